"""Reading the whole of any ``.apkg`` for ``ankigen adopt``: note types with their templates,
notes with their ids, the decks their cards are in, and the media files.

``anki.apkg`` reads what ``diff`` needs (note types' schemas and notes by GUID); this reads
everything a cards folder needs to rebuild the same deck, from the same three layouts
(``collection.anki2``, ``collection.anki21``, zstd ``collection.anki21b`` with protobuf
settings). Scheduling, review history and deck options are never read.

Media come as Anki writes them: legacy packages map zip entries ``0``, ``1``, … to names in
a JSON ``media`` file; Anki 2.1.50 and later write that map as zstd-compressed protobuf
(``MediaEntries``) and compress each file with zstd.
"""

from __future__ import annotations

import json
import sqlite3
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ankigen.anki.apkg import UNREADABLE, int64, opened, protobuf, protobuf_fields
from ankigen.errors import AnkigenError

MAX_MEDIA_BYTES = 512 << 20  # all media files together, unpacked
CLOZE_MODEL = 1  # Anki's note type kind: a card per deletion number


@dataclass(frozen=True)
class WholeField:
    """A field of a note type: its name, stable id (if the package has one) and position."""

    name: str
    id: int | None
    ord: int


@dataclass(frozen=True)
class WholeTemplate:
    """A card template: name, stable id (if any), front and back."""

    name: str
    id: int | None
    front: str
    back: str


@dataclass(frozen=True)
class WholeType:
    """A note type as the package carries it."""

    id: int
    name: str
    mod: int
    fields: tuple[WholeField, ...]
    templates: tuple[WholeTemplate, ...]
    css: str
    sort_field: int
    cloze: bool

    @property
    def field_names(self) -> tuple[str, ...]:
        """The field names in order."""
        return tuple(f.name for f in self.fields)


@dataclass(frozen=True)
class WholeNote:
    """A note as the package carries it, with the decks of its cards."""

    id: int
    guid: str
    type_id: int
    mod: int
    tags: tuple[str, ...]
    fields: tuple[str, ...]
    deck_ids: tuple[int, ...] = ()  # the decks its cards are in, most cards first


@dataclass(frozen=True)
class WholePackage:
    """Everything of a package that a cards folder needs."""

    types: dict[int, WholeType]
    notes: tuple[WholeNote, ...]
    decks: dict[int, str]  # id → full name, levels joined by ``::``
    media: dict[str, bytes] = field(default_factory=dict)  # file name → content
    layout: str = ""


def read_whole(path: Path) -> WholePackage:
    """Read all of ``path``; a file that is no Anki package is an ``AnkigenError`` naming it."""
    with opened(path) as package:
        db, newest = package.db, package.newest
        types = _types18(db) if newest else _types11(db)
        decks = _decks18(db) if newest else _decks11(db)
        notes = _notes(db)
        try:
            media = _media(package.archive, package.names, newest)
        except AnkigenError:
            raise
        except UNREADABLE:
            raise
        except Exception as exc:  # zstandard's errors on a damaged media map or file
            raise package.fail(f"its media cannot be unpacked ({str(exc)[:200]})") from None
        layout = package.layout
    return WholePackage(types, notes, decks, media, layout)


def _notes(db: sqlite3.Connection) -> tuple[WholeNote, ...]:
    decks: dict[int, list[int]] = {}
    for nid, did, _count in db.execute(
        "select nid, did, count(*) from cards group by nid, did order by nid, count(*) desc, did"
    ):
        decks.setdefault(int(nid), []).append(int(did))
    return tuple(
        WholeNote(
            int(nid),
            str(guid),
            int(mid),
            int(mod),
            tuple(str(tags).split()),
            tuple(str(flds).split("\x1f")),
            tuple(decks.get(int(nid), ())),
        )
        for nid, guid, mid, mod, tags, flds in db.execute(
            "select id, guid, mid, mod, tags, flds from notes order by id"
        )
    )


def _types11(db: sqlite3.Connection) -> dict[int, WholeType]:
    (models_json,) = db.execute("select models from col").fetchone()
    types = {}
    for model in json.loads(models_json).values():
        fields = sorted(model["flds"], key=lambda f: f["ord"])
        templates = sorted(model["tmpls"], key=lambda t: t["ord"])
        types[int(model["id"])] = WholeType(
            id=int(model["id"]),
            name=str(model["name"]),
            mod=int(model.get("mod", 0)),
            fields=tuple(
                WholeField(str(f["name"]), _id(f.get("id")), int(f["ord"])) for f in fields
            ),
            templates=tuple(
                WholeTemplate(str(t["name"]), _id(t.get("id")), str(t["qfmt"]), str(t["afmt"]))
                for t in templates
            ),
            css=str(model.get("css", "")),
            sort_field=int(model.get("sortf", 0)),
            cloze=int(model.get("type", 0)) == CLOZE_MODEL,
        )
    return types


def _id(value: Any) -> int | None:
    return int(value) if isinstance(value, int) and not isinstance(value, bool) else None


def _types18(db: sqlite3.Connection) -> dict[int, WholeType]:
    types = {}
    for ntid, name, mod, config in db.execute("select id, name, mtime_secs, config from notetypes"):
        settings = protobuf(config)
        fields = tuple(
            WholeField(str(fname), int64(protobuf(fconfig).get(9)), int(ord_))
            for ord_, fname, fconfig in db.execute(
                "select ord, name, config from fields where ntid = ? order by ord", (ntid,)
            )
        )
        templates = []
        for tname, tconfig in db.execute(
            "select name, config from templates where ntid = ? order by ord", (ntid,)
        ):
            parts = protobuf(tconfig)  # TemplateConfig: q_format 1, a_format 2, id 8
            templates.append(
                WholeTemplate(str(tname), int64(parts.get(8)), _text(parts, 1), _text(parts, 2))
            )
        types[int(ntid)] = WholeType(
            id=int(ntid),
            name=str(name),
            mod=int(mod),
            fields=fields,
            templates=tuple(templates),
            css=_text(settings, 3),  # NotetypeConfig: kind 1, sort_field_idx 2, css 3
            sort_field=int(settings.get(2, 0)),
            cloze=settings.get(1, 0) == CLOZE_MODEL,
        )
    return types


def _text(parts: dict[int, int | bytes], number: int) -> str:
    value = parts.get(number, b"")
    return value.decode("utf-8") if isinstance(value, bytes) else ""


def _decks11(db: sqlite3.Connection) -> dict[int, str]:
    (decks_json,) = db.execute("select decks from col").fetchone()
    return {int(deck["id"]): str(deck["name"]) for deck in json.loads(decks_json).values()}


def _decks18(db: sqlite3.Connection) -> dict[int, str]:
    return {
        int(deck_id): str(name).replace("\x1f", "::")
        for deck_id, name in db.execute("select id, name from decks")
    }


def _media(archive: zipfile.ZipFile, names: set[str], newest: bool) -> dict[str, bytes]:
    """Each media file by name, unpacked; at most ``MAX_MEDIA_BYTES`` in all."""
    if "media" not in names:
        return {}
    raw = archive.read("media")
    zstd = newest and raw[:4] == b"\x28\xb5\x2f\xfd"
    if zstd:
        entries = [(str(number), name) for number, name in enumerate(_media_entries(raw))]
    else:
        entries = [(str(k), str(v)) for k, v in json.loads(raw.decode("utf-8") or "{}").items()]
    media: dict[str, bytes] = {}
    total = 0
    for member, name in entries:
        if member not in names or not name or "/" in name or "\\" in name or name in (".", ".."):
            continue
        data = _read_limited(archive, member, MAX_MEDIA_BYTES - total, zstd)
        total += len(data)
        media[name] = data
    return media


def _read_limited(archive: zipfile.ZipFile, member: str, limit: int, zstd: bool) -> bytes:
    with archive.open(member) as source:
        stream: Any = source
        if zstd:
            import zstandard

            stream = zstandard.ZstdDecompressor().stream_reader(source)
        data = stream.read(limit + 1)
    if len(data) > limit:
        raise ValueError(f"its media unpack to more than {MAX_MEDIA_BYTES >> 20} MB")
    return bytes(data)


def _media_entries(raw: bytes) -> list[str]:
    """The names in a zstd-compressed ``MediaEntries`` message, in order (entry ``i`` is the
    zip member ``str(i)``)."""
    import zstandard

    data = zstandard.ZstdDecompressor().stream_reader(raw).read(64 << 20)
    names = []
    for number, value in protobuf_fields(data):
        if number == 1 and isinstance(value, bytes):  # MediaEntries.entries
            entry = protobuf(value)  # MediaEntry: name 1, size 2, sha1 3
            names.append(_text(entry, 1))
    return names
