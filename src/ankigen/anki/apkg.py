"""Reading any ``.apkg``, ours or another tool's: its note types and notes, as plain data.

Anki has written three layouts: ``collection.anki2`` (schema 11, what genanki writes),
``collection.anki21`` (schema 11, Anki 2.1), and ``collection.anki21b`` (zstd-compressed
schema 18, Anki 2.1.50 and later, with note types in their own tables and settings in
protobuf). The newest one present is read: newer packages carry an old-layout stub beside it.
"""

from __future__ import annotations

import json
import sqlite3
import stat
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ankigen.errors import AnkigenError, Problem, display_path

LAYOUTS = ("collection.anki21b", "collection.anki21", "collection.anki2")
# The most a package's collection may unpack to. A 50,000-card deck's is about 90 MB; a
# package that unpacks to more is refused as it streams to disk, never held in memory.
MAX_COLLECTION_BYTES = 1 << 30
CHUNK = 1 << 20
# what reading a damaged or foreign package can raise, each turned into one message
UNREADABLE = (
    sqlite3.Error,
    ValueError,
    KeyError,
    TypeError,
    IndexError,
    AttributeError,
    RecursionError,
    OverflowError,
    UnicodeDecodeError,
)


@dataclass(frozen=True)
class NoteTypeInfo:
    """A note type as a package carries it."""

    id: int
    name: str
    mod: int
    fields: tuple[tuple[str, int | None], ...]  # (name, stable id where the package has one)
    templates: tuple[tuple[str, int | None], ...]
    sort_field: int
    css: str

    @property
    def field_names(self) -> tuple[str, ...]:
        """The field names in order."""
        return tuple(name for name, _ in self.fields)

    @property
    def schema(self) -> tuple[object, ...]:
        """What Anki compares to decide whether notes of this type can still be updated.

        Fields and templates that all carry stable ids (Anki 2.1.67 and later) are matched by
        id, in order, so a rename or another sort field is no schema change; without ids,
        their names and the sort field count (measured with the ``anki`` package:
        ``tests/test_diff.py``).
        """
        parts = (self.fields, self.templates)
        if all(item_id is not None for part in parts for _, item_id in part):
            return tuple(tuple(item_id for _, item_id in part) for part in parts)
        return (self.fields, self.templates, self.sort_field)


@dataclass(frozen=True)
class NoteInfo:
    """A note as a package carries it."""

    guid: str
    note_type_id: int
    mod: int
    fields: tuple[str, ...]
    tags: tuple[str, ...]


@dataclass(frozen=True)
class PackageContents:
    """The note types and notes (by GUID) of a package."""

    note_types: dict[int, NoteTypeInfo]
    notes: dict[str, NoteInfo]


@dataclass(frozen=True)
class Opened:
    """A package opened for reading: its archive, the layout read, its collection database,
    its member names, and how to fail naming it."""

    archive: zipfile.ZipFile
    layout: str
    db: sqlite3.Connection
    names: set[str]
    fail: Callable[[str], AnkigenError]

    @property
    def newest(self) -> bool:
        """Whether the collection is the zstd-compressed schema 18 one."""
        return self.layout.endswith("b")


@contextmanager
def opened(path: Path) -> Iterator[Opened]:
    """``path`` opened as a package (the newest layout it holds): its collection streamed to
    a temporary file, at most ``MAX_COLLECTION_BYTES``, so memory stays bounded whatever the
    file holds. What the ``with`` body cannot read there (a damaged or foreign table) is an
    ``AnkigenError`` naming the file, as is a file that is no package."""
    shown = display_path(path)

    def fail(message: str) -> AnkigenError:
        return AnkigenError([Problem(shown, 1, f"not an Anki package (.apkg): {message}")])

    try:
        if not stat.S_ISREG(path.stat().st_mode):  # a FIFO would block, a device never end
            raise fail("not a regular file")
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile, *UNREADABLE) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not a zip file"
        raise fail(reason) from None
    with archive, tempfile.TemporaryDirectory(prefix="ankigen-") as work:
        names = set(archive.namelist())
        layout = next((name for name in LAYOUTS if name in names), None)
        if layout is None:
            raise fail("it holds no collection")
        db_path = Path(work) / "collection.db"
        unpack(archive, layout, db_path, fail)
        try:
            with closing(sqlite3.connect(db_path)) as db:
                yield Opened(archive, layout, db, names, fail)
        except UNREADABLE as exc:
            raise fail(f"unreadable collection ({type(exc).__name__}: {str(exc)[:200]})") from None


def read_package(path: Path) -> PackageContents:
    """The note types and notes of the package at ``path`` (``opened``)."""
    with opened(path) as package:
        db = package.db
        note_types = _note_types_schema18(db) if package.newest else _note_types_schema11(db)
        notes = {
            str(guid): NoteInfo(
                str(guid),
                int(mid),
                int(mod),
                tuple(str(flds).split("\x1f")),
                tuple(str(tags).split()),
            )
            for guid, mid, mod, tags, flds in db.execute(
                "select guid, mid, mod, tags, flds from notes order by id"
            )
        }
    return PackageContents(note_types, notes)


def unpack(
    archive: zipfile.ZipFile, layout: str, target: Path, fail: Callable[[str], AnkigenError]
) -> None:
    """Stream the collection ``layout`` of ``archive`` to ``target``, decompressed (zstd for
    the newest layout), refusing more than ``MAX_COLLECTION_BYTES``."""
    written = 0
    try:
        with archive.open(layout) as member, target.open("wb") as out:
            source: Any = member
            if layout.endswith("b"):
                import zstandard  # only packages from Anki 2.1.50+ need it

                source = zstandard.ZstdDecompressor().stream_reader(member)
            while chunk := source.read(CHUNK):
                written += len(chunk)
                if written > MAX_COLLECTION_BYTES:
                    raise fail(
                        f"its collection unpacks to more than {MAX_COLLECTION_BYTES >> 20} MB "
                        "(a damaged or hostile file); ask its author for the package again"
                    )
                out.write(chunk)
    except AnkigenError:
        raise
    except (
        OSError,
        EOFError,
        zipfile.BadZipFile,
        zlib.error,
        RuntimeError,
        NotImplementedError,
        *UNREADABLE,
    ) as exc:
        reason = str(exc)[:200] or type(exc).__name__
        raise fail(f"its collection cannot be unpacked ({reason})") from None
    except Exception as exc:  # zstandard.ZstdError and other decompressor failures
        raise fail(f"its collection cannot be unpacked ({str(exc)[:200]})") from None


def _note_types_schema11(db: sqlite3.Connection) -> dict[int, NoteTypeInfo]:
    (models_json,) = db.execute("select models from col").fetchone()
    note_types = {}
    for model in json.loads(models_json).values():
        fields = sorted(model["flds"], key=lambda f: f["ord"])
        templates = sorted(model["tmpls"], key=lambda t: t["ord"])
        note_types[int(model["id"])] = NoteTypeInfo(
            id=int(model["id"]),
            name=model["name"],
            mod=int(model.get("mod", 0)),
            fields=tuple((f["name"], f.get("id")) for f in fields),
            templates=tuple((t["name"], t.get("id")) for t in templates),
            sort_field=int(model.get("sortf", 0)),
            css=model.get("css", ""),
        )
    return note_types


def _note_types_schema18(db: sqlite3.Connection) -> dict[int, NoteTypeInfo]:
    note_types = {}
    for ntid, name, mod, config in db.execute("select id, name, mtime_secs, config from notetypes"):
        settings = protobuf(config)
        fields = tuple(
            (fname, int64(protobuf(fconfig).get(9)))  # FieldConfig.id = 9
            for fname, fconfig in db.execute(
                "select name, config from fields where ntid = ? order by ord", (ntid,)
            )
        )
        templates = tuple(
            (tname, int64(protobuf(tconfig).get(8)))  # TemplateConfig.id = 8
            for tname, tconfig in db.execute(
                "select name, config from templates where ntid = ? order by ord", (ntid,)
            )
        )
        css = settings.get(3, b"")
        note_types[ntid] = NoteTypeInfo(
            id=ntid,
            name=name,
            mod=mod,
            fields=fields,
            templates=templates,
            sort_field=int(settings.get(2, 0)),  # NotetypeConfig.sort_field_idx = 2
            css=css.decode("utf-8") if isinstance(css, bytes) else "",
        )
    return note_types


def int64(value: int | bytes | None) -> int | None:
    """A protobuf ``int64`` read as an unsigned varint, back to its sign."""
    if not isinstance(value, int):
        return None
    return value - 2**64 if value >= 2**63 else value


def protobuf_fields(data: bytes) -> list[tuple[int, int | bytes]]:
    """Every top-level field of a protobuf message, repeated ones each time, in order:
    varints as numbers, length-delimited ones as bytes (fixed-width ones skipped)."""
    found: list[tuple[int, int | bytes]] = []
    i = 0

    def varint() -> int:
        nonlocal i
        shift = result = 0
        while True:
            byte = data[i]
            i += 1
            result |= (byte & 0x7F) << shift
            if not byte & 0x80:
                return result
            shift += 7

    while i < len(data):
        key = varint()
        number, wire = key >> 3, key & 7
        if wire == 0:
            found.append((number, varint()))
        elif wire == 2:
            length = varint()
            found.append((number, data[i : i + length]))
            i += length
        elif wire in (1, 5):
            i += 8 if wire == 1 else 4
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")
    return found


def protobuf(data: bytes) -> dict[int, int | bytes]:
    """The top-level scalar fields of a protobuf message (last value wins), by field number."""
    return dict(protobuf_fields(data))
