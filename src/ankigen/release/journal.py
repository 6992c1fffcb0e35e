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
import fcntl
import hashlib
import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

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


def begin(cards_dir: Path, files: list[Path], package: Path) -> None:
    """Save what ``files`` hold now, and whether ``package`` exists, before a release
    changes them."""
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


def recover(cards_dir: Path) -> bool:
    """Undo a release that did not finish, if its journal is there; whether it was."""
    journal = cards_dir / JOURNAL
    try:
        record = json.loads(journal.read_bytes())
        files: dict[str, str | None] = record["files"]
        package = cards_dir / record["package"]
        existed = bool(record["package_existed"])
    except FileNotFoundError:
        return False
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise AnkigenError(
            [
                Problem(
                    display_path(journal),
                    1,
                    f"the journal of an unfinished release cannot be read ({exc}): restore "
                    "deck.yaml, the lock and the release record from version control, then "
                    f"delete it (`rm {display_path(journal)}`)",
                )
            ]
        ) from None
    for name, content in files.items():
        path = cards_dir / name
        if content is None:
            path.unlink(missing_ok=True)
        else:
            atomic_write_bytes(path, base64.b64decode(content))
    if not existed:
        package.unlink(missing_ok=True)
    journal.unlink()
    return True


def _below(cards_dir: Path, path: Path) -> str:
    """``path`` relative to the cards folder (``../output/x.apkg``): the journal stays true
    wherever the deck is run from."""
    return os.path.relpath(path.resolve(), cards_dir.resolve())
