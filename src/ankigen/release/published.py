"""A released version never changes: a second, different package under the same version
would mean two learners on "1.2.0" with different cards, and no way to tell them apart.

The release record keeps a digest of what the release's package holds
(``package_identity``). A build whose package has that digest, at that version, is the
release and is named ``<deck>-<version>.apkg``; any other build is a development build,
``<deck>-<version>-dev.apkg``, which may change at will.
"""

from __future__ import annotations

import hashlib
import io
import json
import sqlite3
import stat
import tempfile
import zipfile
import zlib
from pathlib import Path

from ankigen.anki.apkg import MAX_COLLECTION_BYTES, UNREADABLE, read_package
from ankigen.anki.deck import DeckPackage
from ankigen.anki.diff import diff_packages
from ankigen.errors import AnkigenError, Problem, display_path

SHOWN = 8  # the message names at most this many cards


def package_identity(package: DeckPackage, lock_text: str) -> str:
    """A digest of everything a learner's Anki takes from ``package``, whose lock is
    ``lock_text``: every note's content digest, time and id are in the lock (with its
    deletion numbers and tombstones); the deck, its subdecks, description and note types
    are here. It does not depend on how the bytes are laid out (zlib's, SQLite's version)."""
    header = [
        package.deck_id,
        package.deck_name,
        package.description,
        [[spec.kind, spec.content_hash(), mod] for spec, mod in package.note_types()],
        [list(subdeck) for subdeck in package.subdecks],
    ]
    data = json.dumps(header, ensure_ascii=False) + "\n" + lock_text
    return hashlib.sha256(data.encode("utf-8")).hexdigest()[:32]


def changed_package_problem(
    target: Path, data: bytes, version: str, *, releasing: bool = False
) -> Problem | None:
    """The error to report when the release package ``target`` exists with other bytes than
    ``data``, else None; ``releasing``: ``ankigen release`` is making it."""
    try:
        found = target.stat()
    except OSError:
        return None  # not there, or no way there: writing it says why
    if not stat.S_ISREG(found.st_mode):
        kind = "a folder" if stat.S_ISDIR(found.st_mode) else "not a regular file"
        return Problem(
            display_path(target),
            1,
            f"is {kind}, where the package {target.name} goes: move it away or remove it, "
            "and build again",
        )
    if found.st_size > MAX_COLLECTION_BYTES:
        return None  # no package of ours is this big: a broken file, rebuilt
    old_bytes = target.read_bytes()
    if old_bytes == data or _same_content(old_bytes, data):
        return None
    try:
        old = read_package(target)
    except AnkigenError:
        return None  # a broken file (a copy cut short, say) is no published version: rebuild it
    with tempfile.TemporaryDirectory(prefix="ankigen-") as work:
        new_path = Path(work) / "new.apkg"
        new_path.write_bytes(data)
        diff = diff_packages(old, read_package(new_path))
    differing = [
        *(f"{c.label} new" for c in diff.new),
        *(f"{c.label} changed" for c in diff.updated + diff.not_applied + diff.blocked),
        *(f"{c.label} retired" for c in diff.retired),
        *(f"{c.label} removed" for c in diff.left_behind),
        *(f"{c.label} re-stamped" for c in diff.restamped),  # same text, newer: a lock lost?
    ]
    what = ", ".join(differing[:SHOWN]) + (
        f" and {len(differing) - SHOWN} more" if len(differing) > SHOWN else ""
    )
    if not what:
        what = "the note type or deck description"
    shown = display_path(target)
    if releasing:
        return Problem(
            shown,
            1,
            f"this file holds other content ({what}) than the release {version} about to be "
            "made: a released package is never overwritten; if that file never left this "
            f"machine, delete it (`rm {shown}`) and run the release again; if it was "
            f"published, {version} is taken: raise `version` in deck.yaml above it by hand "
            "and run `ankigen release`",
        )
    return Problem(
        shown,
        1,
        f"this file holds other content ({what}) than release {version}, which these "
        "sources rebuild: a released package is never overwritten; if that file never left "
        f"this machine, delete it (`rm {shown}`) and build again; if it was published, "
        "publish these sources as a new version (`ankigen release patch --allow-empty`)",
    )


def _same_content(old: bytes, new: bytes) -> bool:
    """Whether two packages hold the same rows and files, however their bytes are laid out.

    A newer ankigen may write the same collection with other bytes (another compression
    level, another order of inserts): that is the same version, not a changed one.
    """
    try:
        return _contents(old) == _contents(new)
    except (
        zipfile.BadZipFile,
        OSError,
        EOFError,
        RuntimeError,
        NotImplementedError,
        zlib.error,
        *UNREADABLE,
    ):
        return False


def _contents(data: bytes) -> tuple[object, ...]:
    """Every zip entry but the collection by name and bytes, and every row of the collection."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        if sum(info.file_size for info in archive.infolist()) > MAX_COLLECTION_BYTES:
            raise ValueError("unpacks to too much")  # a zip bomb is never read
        names = sorted(archive.namelist())
        entries = tuple(
            (name, archive.read(name)) for name in names if not name.startswith("collection.")
        )
        collections = [name for name in names if name.startswith("collection.")]
        if collections != ["collection.anki2"]:
            raise ValueError("not a package of ours")
        database = archive.read("collection.anki2")
    with tempfile.TemporaryDirectory(prefix="ankigen-") as work:
        db_path = Path(work) / "collection.anki2"
        db_path.write_bytes(database)
        with sqlite3.connect(db_path) as db:
            schema = sorted(db.execute("select type, name, tbl_name, sql from sqlite_master"))
            tables = [name for kind, name, _, _ in schema if kind == "table"]
            rows = tuple(
                (table, sorted(db.execute(f'select * from "{table}"'), key=repr))
                for table in tables
            )
        db.close()
    return (entries, tuple(schema), rows)
