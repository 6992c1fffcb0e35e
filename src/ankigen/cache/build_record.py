"""A build remembers what it was made from, so that a build in which nothing changed stops early.

After a build, ``build.json`` in the cards folder's cache folder (``cache.render_cache``) holds a
digest of everything the build read, the package's path and SHA-256, and what the build
reported. Everything the build read is: every file below the cards folder, by path and bytes
(cards, ``deck.yaml``, the lock, images; version-control folders aside; a symbolic link by
where it leads and the bytes of the file there), ankigen itself (the
renderer's fingerprint: its code, data and libraries), the working directory (messages name
files relative to it) and the options. The next build computes the digest first; if it is the
same and the package is still the file that build wrote, the build could only make the same
bytes again, so it reports the remembered result and writes nothing.

The record is written only when no input changed while the build ran (sizes, change times
and inodes compared before and after; the lock, which the build itself writes, by content),
so the digest always describes the files the package was made from.

The record also keeps each file's status (size, modification and change times, inode,
device) with its digest, so that the next snapshot reads only the files whose status
changed, as git does with its index. Any later write sets a file's change time to the
filesystem's "now", which no program can set back. So a status is kept only when its times
are ``RACY_SECONDS`` older than the newest time the snapshot saw on that filesystem (and
than this machine's clock): a second save within the clock's tick, or on a server whose
clock runs behind, could otherwise leave the status as it was. The newest file is thus
always read again; usually that is the lock, which builds write. Statuses are not kept on
Windows, where the change time is the creation time, nor for ``--frozen`` builds and
releases (``trust_status``), which read every file.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ankigen.anki.notetype import basic_note_type
from ankigen.cache import render_cache
from ankigen.cache.render_cache import CACHE_FORMAT, cache_folder, cache_root
from ankigen.errors import AnkigenError, Problem
from ankigen.source.config import DeckConfig, load_config
from ankigen.source.layout import LOCK_FILE
from ankigen.source.load import walk_files
from ankigen.util.atomic import atomic_write_bytes

RECORD = "build.json"
RACY_SECONDS = 3  # a file changed this recently is read again by the next snapshot
# version control, and ankigen's own files in the cards folder (``release.journal``): read
# by no build
NOT_INPUTS = frozenset({".git", ".hg", ".svn", ".ankigen-release.json"})
# What a build reads, by suffix (any case): cards and card-like files (warned about),
# deck.yaml, the lock and release record, templates, stylesheets, images, audio, fonts.
# Any other file (a stray video, archive or Photoshop file) is never read: its digest is its
# size and modification time, so that a template or stylesheet deck.yaml names by an
# unusual name still counts, and a stray file of gigabytes costs nothing.
READ_SUFFIXES = frozenset(
    {".md", ".markdown", ".mdown", ".mkd", ".mkdn", ".txt", ".text"}
    | {".yaml", ".yml", ".json", ".lock", ".html", ".htm", ".css"}
    | {".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp"}
    | {".mp3", ".ogg", ".wav", ".m4a", ".opus", ".webm", ".flac"}
    | {".woff2", ".woff", ".ttf", ".otf"}
)
HASH_CHUNK = 1 << 20  # files are hashed a mebibyte at a time


@dataclass(frozen=True)
class InputSnapshot:
    """The inputs of a build as it starts: a digest of each file, and each file's status."""

    cards_dir: Path
    context: tuple[str, ...]  # what is not a file: ankigen, working directory, options
    files: dict[str, str]  # path below the cards folder → digest of its content (or link)
    stats: dict[str, tuple[int, ...]]  # path → ``_status``: size, times, inode, device
    taken_ns: int = 0  # the clock when the snapshot began
    read: tuple[str, ...] = ()  # the files whose status was not known, so were read
    # card files not read yet (their digest is ""): with no earlier build to compare with,
    # the render reads each once and says its digest (``record_build``'s ``read_digests``)
    deferred: frozenset[str] = frozenset()


def _digest(context: tuple[str, ...], files: dict[str, str]) -> str:
    digest = hashlib.sha256()
    for part in (*context, *(f"{name}\0{files[name]}" for name in sorted(files))):
        data = part.encode("utf-8", "surrogateescape")
        digest.update(len(data).to_bytes(8, "big") + data)
    return digest.hexdigest()


def _status(info: os.stat_result) -> tuple[int, ...]:
    return (info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino, info.st_dev)


STATUS_FIELDS = 5
# On Windows st_ctime is the creation time, and os.scandir gives no inode: no status is kept.
KEEPS_STATUS = os.name == "posix"


def snapshot_inputs(
    cards_dir: Path,
    out_dir: Path,
    options: dict[str, Any],
    known: dict[str, tuple[tuple[int, ...], str]] | None = None,
    *,
    defer: bool = False,
) -> InputSnapshot:
    """Every input of a build of ``cards_dir`` (the output folder and cache aside).

    ``known`` maps paths to the status and digest a previous build recorded (``known_files``):
    a file whose status is the same is not read again. With ``defer``, card files (``.md``)
    are not read at all: the build reads them anyway, and says their digests afterwards.
    """
    deferred: set[str] = set()
    taken_ns = time.time_ns()
    known = known or {}
    read: list[str] = []
    root = os.path.realpath(cards_dir)
    skip = {os.path.realpath(out_dir), os.path.realpath(cache_root())}

    def is_input(entry: os.DirEntry[str]) -> bool:  # version control, output, cache: not
        return entry.name not in NOT_INPUTS and entry.path not in skip

    files: dict[str, str] = {}
    stats: dict[str, tuple[int, ...]] = {}
    for relative, entry in walk_files(root, is_input):
        if entry.is_symlink() and not is_input(entry):
            continue  # a link to a folder left out is left out too
        path = entry.path
        try:
            # os.scandir's status has no inode on Windows; record_build compares with lstat
            info = entry.stat(follow_symlinks=False) if KEEPS_STATUS else os.lstat(path)
            status = stats[relative] = _status(info)
            if stat.S_ISLNK(info.st_mode):  # its own status says nothing of what it leads to
                read.append(relative)
                files[relative] = _link_digest(path)
                continue
            before = known.get(relative)
            if before is not None and before[0] == status:
                files[relative] = before[1]
                continue
            read.append(relative)
            if not stat.S_ISREG(info.st_mode):  # a pipe or device: opening it could block
                files[relative] = f"special:{stat.S_IFMT(info.st_mode)}"
                continue
            if defer and relative.endswith(".md"):
                files[relative] = ""
                deferred.add(relative)
                continue
            files[relative] = _file_digest(path)  # unreadable: the build reports it
        except OSError as exc:  # no status: the build reports it; the digest notes it
            files[relative] = f"error:{exc.errno}"
    context = (
        f"format {CACHE_FORMAT}",
        render_cache.renderer_fingerprint(),
        os.path.realpath(os.getcwd()),
        str(cards_dir),
        json.dumps(options, sort_keys=True),
    )
    return InputSnapshot(
        cards_dir, context, files, stats, taken_ns, tuple(read), frozenset(deferred)
    )


def is_read(name: str) -> bool:
    """Whether a build may read the file called ``name`` (``READ_SUFFIXES``)."""
    return os.path.splitext(name)[1].lower() in READ_SUFFIXES


def _file_digest(path: str) -> str:
    """A file's SHA-256 (hex), read in chunks; for a file no build reads, its size and
    modification time; or what kept it from being read."""
    try:
        if not is_read(path):
            info = os.stat(path)
            return f"unread:{info.st_size}:{info.st_mtime_ns}"
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            while chunk := handle.read(HASH_CHUNK):
                digest.update(chunk)
        return digest.hexdigest()
    except OSError as exc:
        return f"error:{exc.errno}"


def _link_digest(path: str) -> str:
    """A link's digest: where it leads, and the content of the file there, if any."""
    target = "link:" + os.readlink(path)
    return f"{target}\0{_file_digest(path)}" if os.path.isfile(path) else target


def _note_type(config: DeckConfig) -> str:
    """The note type as the code makes it now (fields, templates, CSS), which is an input too."""
    return repr(basic_note_type(config.note_type_id, config.name))


def build_context(snapshot: InputSnapshot, config: DeckConfig) -> tuple[str, ...]:
    """Everything a build depends on that is not a file: ankigen, options, the note type."""
    return (*snapshot.context, _note_type(config))


def _record_path(cards_dir: Path, config: DeckConfig) -> Path:
    return cache_folder(cards_dir, config) / RECORD


def read_record(cards_dir: Path, config: DeckConfig) -> dict[str, Any]:
    """The last build's record of ``cards_dir`` (empty when there is none or it is unreadable)."""
    try:
        record = json.loads(_record_path(cards_dir, config).read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):  # RecursionError: absurdly nested JSON
        return {}
    return record if isinstance(record, dict) else {}


def known_files(record: dict[str, Any]) -> dict[str, tuple[tuple[int, ...], str]]:
    """The status and digest of each file, as the build that made ``record`` read it."""
    files = record.get("files")
    if not isinstance(files, dict):
        return {}
    # a status that is not five integers matches no file's status, so it does no harm
    return {
        name: (tuple(entry[:STATUS_FIELDS]), entry[STATUS_FIELDS])
        for name, entry in files.items()
        if isinstance(entry, list)
        and len(entry) == STATUS_FIELDS + 1
        and isinstance(entry[STATUS_FIELDS], str)
    }


def unchanged_result(
    snapshot: InputSnapshot,
    config: DeckConfig,
    targets: tuple[Path, ...],
    record: dict[str, Any] | None = None,
) -> tuple[dict[str, int], tuple[Problem, ...], Path, tuple[str, ...]] | None:
    """What the last build reported (cards per category, warnings, the package), if it was
    made from exactly these inputs into one of ``targets`` (the release's name and the
    development build's) and that file is still the one it wrote.

    ``record`` is the last build's record when the caller has read it (``read_record``).
    """
    try:
        if record is None:
            record = read_record(snapshot.cards_dir, config)
        if not record or snapshot.deferred:
            return None  # no earlier build, or one that cannot be compared with
        digest = _digest(build_context(snapshot, config), snapshot.files)
        by_name = {str(target.resolve()): target for target in targets}
        target = by_name.get(str(record.get("target")))
        if record.get("digest") != digest or target is None:
            return None
        if hashlib.sha256(target.read_bytes()).hexdigest() != record.get("sha256"):
            return None
        report = record["report"]
        per_category = {str(k): int(v) for k, v in report["per_category"].items()}
        warnings = tuple(
            Problem(str(p), int(n), str(m), str(s), int(c)) for p, n, m, s, c in report["warnings"]
        )
        drafts = tuple(str(name) for name in report.get("drafts", []))
        return per_category, warnings, target, drafts
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
    read_digests: dict[str, str] | None = None,
    drafts: tuple[str, ...] = (),
) -> dict[str, str] | None:
    """Remember that ``target`` was built from ``snapshot``, with ``written_lock`` if the build
    wrote the lock. Nothing is remembered if an input changed while the build ran.
    ``read_digests`` are the SHA-256 digests (hex) of the card files as the build read them,
    by name below the cards folder: those the snapshot deferred (the others are read now).

    Returns the digest of every input file as the build left them (the lock as written), or
    ``None`` when nothing was remembered.
    """
    root = os.path.realpath(snapshot.cards_dir)
    lock_name = _name_below(snapshot.cards_dir, lock_path)
    files = dict(snapshot.files)
    for name in snapshot.deferred:  # an unchanged status (checked below) means these bytes
        files[name] = (read_digests or {}).get(name) or _file_digest(os.path.join(root, name))
    for name, before in snapshot.stats.items():
        if name == lock_name and written_lock is not None:
            continue  # the build changed it: compared by content below
        try:
            if _status(os.lstat(os.path.join(root, name))) != before:
                return None
        except OSError:
            return None
    try:
        if written_lock is not None:
            if lock_path.read_bytes() != written_lock:
                return None
            files[lock_name] = hashlib.sha256(written_lock).hexdigest()
        record = {
            "digest": _digest(build_context(snapshot, config), files),
            "target": str(target.resolve()),
            "sha256": hashlib.sha256(target.read_bytes()).hexdigest(),
            "report": {
                "per_category": per_category,
                "warnings": [
                    [p.path, p.line, p.message, p.severity, p.column] for p in warnings
                ],
                "drafts": list(drafts),
            },
            "files": _statuses(snapshot, files, lock_name),
        }
        _write_record(snapshot.cards_dir, config, record)
    except OSError:
        return None  # only a later build's shortcut is lost
    return files


def _statuses(
    snapshot: InputSnapshot, files: dict[str, str], lock_name: str
) -> dict[str, list[int | str]]:
    """Each file's status and digest, for the next snapshot to trust; the lock, which builds
    write, and files changed too recently to be trusted (``RACY_SECONDS``, measured from the
    newest time seen on the filesystem and from this machine's clock) left out."""
    if not KEEPS_STATUS:
        return {}
    newest = max((max(status[1], status[2]) for status in snapshot.stats.values()), default=0)
    settled = min(snapshot.taken_ns, newest) - RACY_SECONDS * 1_000_000_000
    return {
        name: [*status, files[name]]
        for name, status in snapshot.stats.items()
        if name != lock_name and status[1] < settled and status[2] < settled
    }


def _name_below(cards_dir: Path, path: Path) -> str:
    """``path``'s name below ``cards_dir`` as a snapshot names it."""
    root = os.path.realpath(cards_dir)
    return os.path.relpath(os.path.realpath(path), root).replace(os.sep, "/")


def _write_record(cards_dir: Path, config: DeckConfig, record: dict[str, Any]) -> None:
    path = _record_path(cards_dir, config)
    atomic_write_bytes(path, json.dumps(record).encode("utf-8"), durable=False)


def refresh_statuses(
    snapshot: InputSnapshot, config: DeckConfig, record: dict[str, Any], lock_path: Path
) -> None:
    """After a build that found nothing changed (``unchanged_result``), remember the status of
    files it had to read: their status changed, not their content (a ``touch``, a checkout),
    and without this every later build would read them again."""
    statuses = _statuses(snapshot, snapshot.files, _name_below(snapshot.cards_dir, lock_path))
    if not any(name in statuses for name in snapshot.read):
        return  # nothing new to trust: leave the record as it is
    with contextlib.suppress(OSError):  # only a later build's shortcut would be lost
        _write_record(snapshot.cards_dir, config, {**record, "files": statuses})


def look_back(
    cards_dir: Path, out_dir: Path, options: dict[str, bool], *, trust_status: bool = True
) -> tuple[
    InputSnapshot,
    tuple[dict[str, int], tuple[Problem, ...], DeckConfig, Path, tuple[str, ...]] | None,
]:
    """The build's inputs as they are now, and what the last build reported (its cards per
    category, its warnings, deck.yaml, its package) if no input has changed and its package
    is intact.
    With ``trust_status``, files whose status is as the last build recorded it are not read
    again."""
    try:
        config: DeckConfig | None = load_config(cards_dir)
    except AnkigenError:
        config = None
    record = read_record(cards_dir, config) if config is not None else {}
    known = known_files(record) if trust_status else None
    # no earlier build to compare with: the card files are read once, by the render
    snapshot = snapshot_inputs(cards_dir, out_dir, options, known, defer=not record)
    if config is None:
        return snapshot, None
    targets = (out_dir / config.package_name, out_dir / config.dev_package_name)
    found = unchanged_result(snapshot, config, targets, record)
    if found is None:
        return snapshot, None
    refresh_statuses(snapshot, config, record, cards_dir / LOCK_FILE)
    per_category, warnings, target, drafts = found
    return snapshot, (per_category, warnings, config, target, drafts)
