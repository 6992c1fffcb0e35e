"""Stage 5: write the deck as an ``.apkg`` that is byte-for-byte reproducible.

genanki builds the collection database; this module pins what genanki takes from the
clock (note and card ids and times come from the lock) and writes the zip itself
(``anki.zipfast``), with fixed entry dates and sorted entries, since genanki's writer stamps
entries with "now".
The file appears atomically (``util.atomic``): an earlier package stays whole until then.
Images go in as Anki expects: zip entries ``0``, ``1``, … and a ``media`` JSON map from
those numbers to file names, numbered in name order so that the bytes never vary.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import sqlite3
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import genanki

from ankigen.anki.deck import DeckPackage, NoteRecord
from ankigen.anki.notetype import NoteTypeSpec
from ankigen.anki.zipfast import zip_bytes
from ankigen.util.atomic import atomic_write_bytes
from ankigen.util.cpus import usable_cpus

COLLECTION_ENTRY = "collection.anki2"
# the collection database (Anki's legacy schema 11, which genanki writes and Anki imports)
PAGE_SIZE = 16384  # its page size (see write_collection)
# zlib's fastest level. Measured on the 10,000-card benchmark deck (a 17.8 MB database), on
# one core: level 1 gives 4.26 MB in 0.09 s, level 6 (zlib's default) 3.49 MB in 0.37 s. A
# build runs on every save; the package is downloaded once. genanki does not compress at all.
COMPRESS_LEVEL = 1


class _StampedModel(genanki.Model):
    """A genanki model whose ``mod`` is its own time from the lock, not the package's."""

    def __init__(self, spec: NoteTypeSpec, mod: int) -> None:
        super().__init__(
            model_id=spec.id,
            name=spec.name,
            fields=[
                {"name": name} | ({} if field_id is None else {"id": field_id})
                for name, field_id in spec.fields
            ],
            templates=[
                {"name": name}
                | ({} if template_id is None else {"id": template_id})
                | {"qfmt": front, "afmt": back}
                for name, template_id, front, back in spec.templates
            ],
            css=spec.css,
            model_type=spec.model_type,
            sort_field_index=spec.sort_field_index,
        )
        self.mod = mod

    def to_json(self, timestamp: float, deck_id: int) -> dict[str, Any]:
        """genanki's JSON of the model, with the model's own ``mod``."""
        return {**super().to_json(timestamp, deck_id), "mod": self.mod}


def genanki_model(spec: NoteTypeSpec, mod: int = 0) -> genanki.Model:
    """Our note type as a genanki model, field and template ids included."""
    return _StampedModel(spec, mod)


Row = tuple[object, ...]


def write_collection(
    deck: DeckPackage,
    db_path: Path,
    notes: Iterable[Row] | None = None,
    cards: Iterable[Row] | None = None,
) -> None:
    """Write the deck's collection database (Anki's legacy schema) to ``db_path``.

    genanki writes the schema, the collection row, the decks and the note types; the notes
    and cards, whose ids and times come from the lock, go in here in two bulk inserts.
    ``notes`` and ``cards`` are their rows when the caller has them (``note_rows``,
    ``card_rows``), else those of ``deck.notes``.
    """
    models = [genanki_model(spec, mod) for spec, mod in deck.note_types()]
    gdeck = genanki.Deck(deck.deck_id, deck.deck_name, description=deck.description)
    for model in models:
        gdeck.add_model(model)
    decks = [gdeck, *(genanki.Deck(deck_id, name) for deck_id, name in deck.subdecks)]
    conn = sqlite3.connect(db_path)
    try:
        # Pages of 16 KiB hold notes of a few KB with less left over than SQLite's default
        # 4 KiB: on the 10,000-card benchmark deck the database is 17.8 MB instead of 21.9 MB
        # and its notes go in 25% faster. A scratch file: no journal, no waiting for the disk.
        conn.execute(f"PRAGMA page_size={PAGE_SIZE}")
        conn.execute("PRAGMA journal_mode=OFF")
        conn.execute("PRAGMA synchronous=OFF")
        # each model carries its own mod (_StampedModel); nothing else reads the clock
        genanki.Package(decks).write_to_db(conn.cursor(), deck.note_type_mod, itertools.count(1))
        conn.executemany(
            "INSERT INTO notes VALUES(?,?,?,?,?,?,?,?,?,?,?)",
            note_rows(deck, deck.notes) if notes is None else notes,
        )
        conn.executemany(
            "INSERT INTO cards VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            card_rows(deck, deck.notes) if cards is None else cards,
        )
        conn.commit()
    finally:
        conn.close()


def note_rows(deck: DeckPackage, records: Iterable[NoteRecord]) -> Iterator[Row]:
    """The rows of the ``notes`` table for ``records``, notes of ``deck``."""
    specs = {spec.kind: spec for spec, _ in deck.note_types()}
    return (_note_row(record, specs[record.kind]) for record in records)


def card_rows(deck: DeckPackage, records: Iterable[NoteRecord]) -> Iterator[Row]:
    """The rows of the ``cards`` table for ``records``, notes of ``deck``, in their order.

    A card's id is its note's id plus its ordinal; notes whose ids came from another tool's
    package (``ankigen adopt``) may stand closer than ankigen's, and a card id taken twice
    moves past the largest one (only cards' ids: Anki matches cards by note and ordinal)."""
    taken: set[int] = set()
    for record in records:
        for row in _card_rows(record, deck.deck_id):
            card_id = int(row[0])  # type: ignore[call-overload]
            if card_id in taken:
                card_id = max(taken) + 1
                row = (card_id, *row[1:])
            taken.add(card_id)
            yield row


def _note_row(record: NoteRecord, spec: NoteTypeSpec | None) -> Row:
    """A note's row: id and ``mod`` from the lock, GUID from its key, Anki's field and tag form."""
    assert spec is not None, "a cloze note in a package without the cloze note type"
    return (
        record.note_id,
        record.guid or guid_for(*record.guid_key),
        spec.id,
        record.mod,
        -1,  # usn: not yet synced
        " " + " ".join(record.tags) + " ",
        "\x1f".join(record.fields),
        record.fields[spec.sort_field_index],
        0,
        0,
        "",
    )


BASE91 = (
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&()*+,-./:;<=>?@[]^_`{|}~"
)
# every pair of base-91 digits, so that a GUID takes five divisions instead of ten
BASE91_PAIRS = tuple(high + low for high in BASE91 for low in BASE91)


def guid_for(*values: object) -> str:
    """genanki's ``guid_for`` (the first 8 bytes of a SHA-256, in Anki's base 91), faster."""
    joined = "__".join(str(value) for value in values).encode("utf-8")
    number = int.from_bytes(hashlib.sha256(joined).digest()[:8], "big")
    pairs = []
    while number:
        number, pair = divmod(number, 8281)  # 91 * 91
        pairs.append(BASE91_PAIRS[pair])
    # the most significant digit is never zero ("a") in genanki's form
    return "".join(reversed(pairs)).lstrip("a")


def _card_rows(record: NoteRecord, deck_id: int) -> list[Row]:
    """A note's new cards, one per ordinal the assemble stage decided; due in deck order."""
    home = record.deck_id if record.deck_id is not None else deck_id
    rows: list[Row] = []
    for ordinal in record.card_ords:
        # id, nid, did, ord, mod, usn, type, queue, due, ivl, factor, reps, lapses, left,
        # odue, odid, flags, data: a new card, due in the deck's order
        new = (0, 0, record.position, 0, 0, 0, 0, 0, 0, 0, 0, "")
        rows.append((record.note_id + ordinal, record.note_id, home, ordinal, record.mod, -1, *new))
    return rows


def package_bytes(
    deck: DeckPackage, notes: Iterable[Row] | None = None, cards: Iterable[Row] | None = None
) -> bytes:
    """The ``.apkg`` file of ``deck``: the same deck always gives the same bytes.

    ``notes`` and ``cards`` are the rows of its notes when the caller has them
    (``write_collection``).
    """
    with tempfile.TemporaryDirectory(prefix="ankigen-") as work:
        db_path = Path(work) / COLLECTION_ENTRY
        write_collection(deck, db_path, notes, cards)
        entries = {COLLECTION_ENTRY: db_path.read_bytes()}
    media_map: dict[str, str] = {}
    for number, item in enumerate(deck.media):
        entries[str(number)] = item.data
        media_map[str(number)] = item.name
    entries["media"] = json.dumps(media_map).encode()
    return zip_bytes(
        ((name, entries[name]) for name in sorted(entries)), COMPRESS_LEVEL, usable_cpus()
    )


def write_package_bytes(target: Path, data: bytes) -> None:
    """Write package bytes to ``target`` atomically; never as ``collection.apkg``."""
    if target.name == "collection.apkg":
        raise ValueError("collection.apkg is what Anki calls a whole-collection backup")
    atomic_write_bytes(target, data)
