"""A release is all or nothing: a journal of what it changes, and one writer at a time.

A release writes several files: deck.yaml (its version), the release record, the lock, the
package and the changelog. Each is written at once (``util.atomic``), but a release killed
between two of them would leave a deck that is neither before nor after it. So before it
writes anything, a release saves what each of those files held (or that it did not exist)
in ``cards/.ankigen-release.json``, written at once too, and deletes that journal only when
every file is written. A journal found later is a release that did not finish: the next
``build`` or ``release`` puts every file back as the journal has it and removes the package
the release made, then goes on (``release`` repeats the release).

Two commands that write never run at once on one cards folder: each holds an exclusive lock
(``flock``) on a file named after the folder in the system's temporary folder (nothing is
added to the cards folder) while it writes. A release that finds the lock taken stops at
once with a message; a build waits for it.
"""

from __future__ import annotations

import base64
import binascii
import fcntl
import hashlib
import json
import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ankigen.errors import AnkigenError, Problem, display_path
from ankigen.util.atomic import atomic_write_bytes

JOURNAL = ".ankigen-release.json"


@contextmanager
def writing(cards_dir: Path, *, wait: bool) -> Iterator[None]:
    """Hold the cards folder's write lock; without ``wait``, another holder is an error."""
    where = hashlib.sha256(str(cards_dir.resolve()).encode("utf-8")).hexdigest()[:16]
    path = Path(tempfile.gettempdir()) / f"ankigen-{where}.busy"
    try:
        handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError:
        yield  # no temporary folder to lock in: go on unguarded
        return
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            raise AnkigenError(
                [
                    Problem(
                        display_path(cards_dir),
                        1,
                        "another ankigen release or build is writing this deck now: wait for "
                        "it to finish, then run the command again",
                    )
                ]
            ) from None
        yield
    finally:
        os.close(handle)  # closing releases the lock


@contextmanager
def settled(cards_dir: Path, *, wait: bool) -> Iterator[None]:
    """Hold the write lock (``writing``), after undoing a release that did not finish
    (``recover``), which standard error is told."""
    with writing(cards_dir, wait=wait):
        undone = recover(cards_dir)
        if undone:
            print(undone, file=sys.stderr)
        yield


def begin(cards_dir: Path, files: list[Path], package: Path) -> None:
    """Save what ``files`` hold now, and whether ``package`` exists, before a release
    changes them."""
    root = cards_dir.resolve().parent
    for path in files:
        if not path.resolve().is_relative_to(root):
            raise AnkigenError(
                [
                    Problem(
                        display_path(path),
                        1,
                        "a release keeps its changelog inside the deck's folder (the folder "
                        "of the cards folder): choose a changelog there",
                    )
                ]
            )
    saved: dict[str, str | None] = {}
    for path in files:
        try:
            saved[_below(cards_dir, path)] = base64.b64encode(path.read_bytes()).decode("ascii")
        except FileNotFoundError:
            saved[_below(cards_dir, path)] = None
    record = {
        "files": saved,
        "package": _below(cards_dir, package),
        "package_existed": package.exists(),
    }
    atomic_write_bytes(cards_dir / JOURNAL, json.dumps(record).encode("utf-8"))


def finish(cards_dir: Path) -> None:
    """The release is whole: forget what it changed."""
    (cards_dir / JOURNAL).unlink(missing_ok=True)


def recover(cards_dir: Path) -> str | None:
    """Undo a release that did not finish, if its journal is there; a sentence saying what
    was undone (for the command to print), else ``None``.

    A journal is taken only as a release writes it: it may name no file but deck.yaml, the
    lock, the release record, a changelog beside the cards folder and a package, each
    inside the deck's folder; anything else is refused before a byte is written, since a
    journal slipped into a commit must not write or delete files elsewhere (``begin``
    refuses a changelog outside the deck's folder for the same reason)."""
    journal = cards_dir / JOURNAL
    try:
        data = journal.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise _unreadable(journal, exc.strerror or str(exc)) from None
    try:
        plan, package, existed = _plan(cards_dir, json.loads(data))
    except (ValueError, KeyError, TypeError, RecursionError, binascii.Error) as exc:
        raise _unreadable(journal, str(exc)[:120]) from None
    for path, content in plan:
        if content is None:
            path.unlink(missing_ok=True)
        else:
            atomic_write_bytes(path, content)
    if not existed:
        package.unlink(missing_ok=True)
    journal.unlink()
    names = ", ".join(display_path(path) for path, _ in plan)
    return (
        f"ankigen: a release that did not finish was undone: {names} are as they were "
        f"before it, and {display_path(package)} is {'kept' if existed else 'removed'}"
    )


KEPT = frozenset({"deck.yaml", "ankigen.lock", "ankigen.release.json"})


def _plan(
    cards_dir: Path, record: Any
) -> tuple[list[tuple[Path, bytes | None]], Path, bool]:
    """What a journal asks to restore, checked whole before anything is written."""
    files, package, existed = record["files"], record["package"], record["package_existed"]
    if not isinstance(files, dict) or not isinstance(package, str) or not isinstance(
        existed, bool
    ):
        raise TypeError("not a journal of ankigen's")
    root = cards_dir.resolve().parent
    plan: list[tuple[Path, bytes | None]] = []
    for name, content in files.items():
        path = _inside(cards_dir, name, root)
        allowed = (path.parent == cards_dir.resolve() and path.name in KEPT) or (
            path.suffix == ".md" and path.parent != cards_dir.resolve()  # the changelog
        )
        if not allowed:
            raise ValueError(f"it names {name!r}, no file a release writes")
        if content is not None and not isinstance(content, str):
            raise TypeError(f"the content of {name!r} is not text")
        plan.append((path, None if content is None else base64.b64decode(content, validate=True)))
    target = (cards_dir / package).resolve()  # the output folder may be anywhere
    if target.suffix != ".apkg" or "\0" in package:
        raise ValueError(f"its package {package!r} is no .apkg")
    return plan, target, existed


def _inside(cards_dir: Path, name: str, root: Path) -> Path:
    """``name`` (relative to the cards folder) as a path, when it stays in the deck's folder."""
    if not isinstance(name, str) or "\0" in name or os.path.isabs(name):
        raise ValueError(f"{name!r} is not a path below the deck")
    path = (cards_dir / name).resolve()
    if not path.is_relative_to(root):
        raise ValueError(f"{name!r} leaves the deck's folder")
    return path


def _unreadable(journal: Path, why: str) -> AnkigenError:
    shown = display_path(journal)
    return AnkigenError(
        [
            Problem(
                shown,
                1,
                f"this is no journal of an unfinished ankigen release ({why}); nothing was "
                "restored from it: if a release was interrupted, restore deck.yaml, the lock "
                f"and the release record from version control; then delete it (`rm {shown}`)",
            )
        ]
    )


def _below(cards_dir: Path, path: Path) -> str:
    """``path`` relative to the cards folder (``../output/x.apkg``): the journal stays true
    wherever the deck is run from."""
    return os.path.relpath(path.resolve(), cards_dir.resolve())
