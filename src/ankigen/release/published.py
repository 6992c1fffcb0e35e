"""A built version never changes: a second, different package under the same version would
mean two learners on "1.2.0" with different cards, and no way to tell them apart."""

from __future__ import annotations

import io
import sqlite3
import tempfile
import zipfile
from pathlib import Path

from ankigen.anki.apkg import read_package
from ankigen.anki.diff import diff_packages
from ankigen.errors import AnkigenError, Problem, display_path

SHOWN = 8  # the message names at most this many cards


def changed_package_problem(target: Path, data: bytes, version: str) -> Problem | None:
    """The error to report when ``target`` exists with other bytes than ``data``, else None."""
    if not target.exists():
        return None
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
    return Problem(
        display_path(target),
        1,
        f"version {version} was already built with other content ({what}): a built version "
        "never changes; raise `version` in deck.yaml (`ankigen release patch` does it), or "
        "pass --force to overwrite it",
    )


def _same_content(old: bytes, new: bytes) -> bool:
    """Whether two packages hold the same rows and files, however their bytes are laid out.

    A newer ankigen may write the same collection with other bytes (another compression
    level, another order of inserts): that is the same version, not a changed one.
    """
    try:
        return _contents(old) == _contents(new)
    except (zipfile.BadZipFile, sqlite3.DatabaseError, OSError, KeyError, ValueError):
        return False


def _contents(data: bytes) -> tuple[object, ...]:
    """Every zip entry but the collection by name and bytes, and every row of the collection."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
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
