"""Stage 5: write the deck as an ``.apkg`` that is byte-for-byte reproducible.

genanki builds the collection database; this module pins what genanki takes from the
clock (note and card ids and times come from the lock) and writes the zip itself, with
fixed entry dates and sorted entries, since genanki's writer stamps entries with "now".
The file appears atomically (``atomic``): an earlier package stays whole until then.
Images go in as Anki expects: zip entries ``0``, ``1``, … and a ``media`` JSON map from
those numbers to file names, numbered in name order so that the bytes never vary.
"""

from __future__ import annotations

import io
import itertools
import json
import sqlite3
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import genanki

from .assemble import DeckPackage, NoteRecord
from .atomic import atomic_write_bytes
from .notetype import BASIC, CLOZE, NoteTypeSpec

ZIP_DATE = (1980, 1, 1, 0, 0, 0)
COLLECTION_ENTRY = "collection.anki2"  # the legacy schema 11 that genanki writes; Anki imports it


class _StampedNote(genanki.Note):
    """A genanki note whose ids and ``mod`` come from the lock instead of the clock."""

    def __init__(self, record: NoteRecord, model: genanki.Model) -> None:
        super().__init__(
            model=model,
            fields=list(record.fields),
            tags=list(record.tags),
            guid=genanki.guid_for(*record.guid_key),
            due=record.position,
        )
        self.record = record

    def write_to_db(self, cursor, timestamp, deck_id, id_gen) -> None:
        """Like genanki's, with the note's own id and time for the note and its cards."""
        self._check_number_model_fields_matches_num_fields()
        record = self.record
        cursor.execute(
            "INSERT INTO notes VALUES(?,?,?,?,?,?,?,?,?,?,?);",
            (
                record.note_id,
                self.guid,
                self.model.model_id,
                record.mod,
                -1,
                self._format_tags(),
                self._format_fields(),
                self.sort_field,
                0,
                0,
                "",
            ),
        )
        for ordinal in record.card_ords:  # the assemble stage decided the cards, not genanki
            cursor.execute(
                "INSERT INTO cards VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?);",
                (
                    record.note_id + ordinal,
                    record.note_id,
                    deck_id,
                    ordinal,
                    record.mod,
                    -1,
                    0,
                    0,
                    self.due,
                    0,
                    0,
                    0,
                    0,
                    0,
                    0,
                    0,
                    0,
                    "",
                ),
            )


class _StampedModel(genanki.Model):
    """A genanki model whose ``mod`` is its own time from the lock, not the package's."""

    def __init__(self, spec: NoteTypeSpec, mod: int) -> None:
        super().__init__(
            model_id=spec.id,
            name=spec.name,
            fields=[{"name": name, "id": field_id} for name, field_id in spec.fields],
            templates=[
                {"name": name, "id": template_id, "qfmt": front, "afmt": back}
                for name, template_id, front, back in spec.templates
            ],
            css=spec.css,
            model_type=genanki.Model.CLOZE if spec.kind == CLOZE else genanki.Model.FRONT_BACK,
            sort_field_index=spec.sort_field_index,
        )
        self.mod = mod

    def to_json(self, timestamp: float, deck_id: int) -> dict[str, Any]:
        """genanki's JSON of the model, with the model's own ``mod``."""
        return {**super().to_json(timestamp, deck_id), "mod": self.mod}


def genanki_model(spec: NoteTypeSpec, mod: int = 0) -> genanki.Model:
    """Our note type as a genanki model, field and template ids included."""
    return _StampedModel(spec, mod)


def write_collection(deck: DeckPackage, db_path: Path) -> None:
    """Write the deck's collection database (Anki's legacy schema) to ``db_path``."""
    models = {BASIC: genanki_model(deck.note_type, deck.note_type_mod)}
    if deck.cloze_note_type is not None:
        models[CLOZE] = genanki_model(deck.cloze_note_type, deck.cloze_note_type_mod)
    gdeck = genanki.Deck(deck.deck_id, deck.deck_name, description=deck.description)
    for model in models.values():
        gdeck.add_model(model)
    decks = {None: gdeck} | {
        deck_id: genanki.Deck(deck_id, name) for deck_id, name in deck.subdecks
    }
    for record in deck.notes:
        decks[record.deck_id].add_note(_StampedNote(record, models[record.kind]))
    conn = sqlite3.connect(db_path)
    try:
        # each model carries its own mod (_StampedModel); nothing else reads the clock
        package = genanki.Package(list(decks.values()))
        package.write_to_db(conn.cursor(), deck.note_type_mod, itertools.count(1))
        conn.commit()
    finally:
        conn.close()


def package_bytes(deck: DeckPackage) -> bytes:
    """The ``.apkg`` file of ``deck``: the same deck always gives the same bytes."""
    with tempfile.TemporaryDirectory(prefix="ankigen-") as work:
        db_path = Path(work) / COLLECTION_ENTRY
        write_collection(deck, db_path)
        entries = {COLLECTION_ENTRY: db_path.read_bytes()}
    media_map: dict[str, str] = {}
    for number, item in enumerate(deck.media):
        entries[str(number)] = item.data
        media_map[str(number)] = item.name
    entries["media"] = json.dumps(media_map).encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = 0o644 << 16
            # zlib's default level: on a 10,000-card deck within 0.2% of level 9's size in
            # 70% of its time (bench/)
            archive.writestr(info, entries[name], compresslevel=6)
    return buffer.getvalue()


def write_package(deck: DeckPackage, target: Path) -> None:
    """Write ``deck`` to ``target`` atomically; an earlier file stays until the new one is whole."""
    write_package_bytes(target, package_bytes(deck))


def write_package_bytes(target: Path, data: bytes) -> None:
    """Write package bytes to ``target`` atomically; never as ``collection.apkg``."""
    if target.name == "collection.apkg":
        raise ValueError("collection.apkg is what Anki calls a whole-collection backup")
    atomic_write_bytes(target, data)
