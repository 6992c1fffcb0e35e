"""A build remembers what it was made from, so that a build in which nothing changed stops early.

After a build, ``build.json`` in the cards folder's cache folder (``rendercache``) holds a
digest of everything the build read, the package's path and SHA-256, and what the build
reported. Everything the build read is: every file below the cards folder, by path and bytes
(cards, ``deck.yaml``, the lock, images; version-control folders aside), ankigen itself (the
renderer's fingerprint: its code, data and libraries), the working directory (messages name
files relative to it) and the options. The next build computes the digest first; if it is the
same and the package is still the file that build wrote, the build could only make the same
bytes again, so it reports the remembered result and writes nothing.

The record is written only when no input changed while the build ran (sizes, change times
and inodes compared before and after; the lock, which the build itself writes, by content),
so the digest always describes the files the package was made from.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import rendercache
from .config import DeckConfig
from .errors import Problem
from .notetype import basic_note_type
from .rendercache import CACHE_FORMAT, cache_folder, cache_root

RECORD = "build.json"
NOT_INPUTS = frozenset({".git", ".hg", ".svn"})  # version control: read by no build


@dataclass(frozen=True)
class InputSnapshot:
    """The inputs of a build as it starts: a digest of each file, and each file's status."""

    cards_dir: Path
    context: tuple[str, ...]  # what is not a file: ankigen, working directory, options
    files: dict[str, str]  # path below the cards folder → digest of its content (or link)
    stats: dict[str, tuple[int, ...]]  # path → (size, mtime, ctime, inode), to see changes


def _digest(context: tuple[str, ...], files: dict[str, str]) -> str:
    digest = hashlib.sha256()
    for part in (*context, *(f"{name}\0{files[name]}" for name in sorted(files))):
        data = part.encode("utf-8", "surrogateescape")
        digest.update(len(data).to_bytes(8, "big") + data)
    return digest.hexdigest()


def _status(info: os.stat_result) -> tuple[int, ...]:
    return (info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino)


def snapshot_inputs(cards_dir: Path, out_dir: Path, options: dict[str, Any]) -> InputSnapshot:
    """Read every input of a build of ``cards_dir`` (the output folder and cache aside)."""
    root = os.path.realpath(cards_dir)
    prefix = root if root.endswith(os.sep) else root + os.sep
    skip = {os.path.realpath(out_dir), os.path.realpath(cache_root())}
    files: dict[str, str] = {}
    stats: dict[str, tuple[int, ...]] = {}
    for folder, subfolders, names in os.walk(root):
        subfolders[:] = sorted(
            name
            for name in subfolders
            if name not in NOT_INPUTS and os.path.join(folder, name) not in skip
        )
        for name in [*names, *(n for n in subfolders if os.path.islink(os.path.join(folder, n)))]:
            path = os.path.join(folder, name)
            relative = path[len(prefix) :].replace(os.sep, "/")
            try:
                info = os.lstat(path)
                stats[relative] = _status(info)
                if stat.S_ISLNK(info.st_mode):
                    files[relative] = "link:" + os.readlink(path)
                    continue
                with open(path, "rb") as handle:
                    files[relative] = hashlib.sha256(handle.read()).hexdigest()
            except OSError as exc:  # unreadable: the build reports it; the digest notes it
                files[relative] = f"error:{exc.errno}"
    context = (
        f"format {CACHE_FORMAT}",
        rendercache.renderer_fingerprint(),
        os.path.realpath(os.getcwd()),
        str(cards_dir),
        json.dumps(options, sort_keys=True),
    )
    return InputSnapshot(cards_dir, context, files, stats)


def _note_type(config: DeckConfig) -> str:
    """The note type as the code makes it now (fields, templates, CSS), which is an input too."""
    return repr(basic_note_type(config.note_type_id, config.name))


def _record_path(cards_dir: Path, config: DeckConfig) -> Path:
    return cache_folder(cards_dir, config) / RECORD


def unchanged_result(
    snapshot: InputSnapshot, config: DeckConfig, target: Path
) -> tuple[dict[str, int], tuple[Problem, ...]] | None:
    """What the last build reported (cards per category, warnings), if it was made from
    exactly these inputs into ``target`` and ``target`` is still the file it wrote."""
    try:
        record = json.loads(_record_path(snapshot.cards_dir, config).read_text(encoding="utf-8"))
        digest = _digest((*snapshot.context, _note_type(config)), snapshot.files)
        if record.get("digest") != digest or record.get("target") != str(target.resolve()):
            return None
        if hashlib.sha256(target.read_bytes()).hexdigest() != record.get("sha256"):
            return None
        report = record["report"]
        per_category = {str(k): int(v) for k, v in report["per_category"].items()}
        warnings = tuple(
            Problem(str(p), int(n), str(m), str(s)) for p, n, m, s in report["warnings"]
        )
        return per_category, warnings
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def record_build(
    snapshot: InputSnapshot,
    config: DeckConfig,
    target: Path,
    lock_path: Path,
    written_lock: bytes | None,
    per_category: dict[str, int],
    warnings: tuple[Problem, ...],
) -> None:
    """Remember that ``target`` was built from ``snapshot``, with ``written_lock`` if the build
    wrote the lock. Nothing is remembered if an input changed while the build ran.
    """
    root = os.path.realpath(snapshot.cards_dir)
    lock_name = os.path.relpath(os.path.realpath(lock_path), root).replace(os.sep, "/")
    files = dict(snapshot.files)
    for name, before in snapshot.stats.items():
        if name == lock_name and written_lock is not None:
            continue  # the build changed it: compared by content below
        try:
            if _status(os.lstat(os.path.join(root, name))) != before:
                return
        except OSError:
            return
    try:
        if written_lock is not None:
            if lock_path.read_bytes() != written_lock:
                return
            files[lock_name] = hashlib.sha256(written_lock).hexdigest()
        record = {
            "digest": _digest((*snapshot.context, _note_type(config)), files),
            "target": str(target.resolve()),
            "sha256": hashlib.sha256(target.read_bytes()).hexdigest(),
            "report": {
                "per_category": per_category,
                "warnings": [[p.path, p.line, p.message, p.severity] for p in warnings],
            },
        }
        path = _record_path(snapshot.cards_dir, config)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=".build.", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(record, handle)
        os.replace(temp, path)
    except OSError:
        pass  # only a later build's shortcut is lost
