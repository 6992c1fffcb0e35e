"""Stage 4, the deck as plain data: what the package writer needs, and nothing that renders.

``notes`` makes these from rendered cards; ``package`` writes them. Keeping them apart means
the writer (and the reader of packages) never loads Markdown or the sanitizer.
"""

from __future__ import annotations

from dataclasses import dataclass

from ankigen.anki.notetype import NoteTypeSpec
from ankigen.render.media import MediaFile
from ankigen.source.layout import BASIC


@dataclass(frozen=True)
class NoteRecord:
    """One Anki note as it goes into the package."""

    card_id: str
    guid_key: tuple[str, ...]  # what the GUID is hashed from: never content, never position
    note_id: int
    mod: int
    fields: tuple[str, ...]
    tags: tuple[str, ...]
    position: int  # order among new cards
    kind: str = BASIC  # which of the package's note types: basic, cloze or a declared one
    deck_id: int | None = None  # its subdeck; ``None``: the deck itself
    card_ords: tuple[int, ...] = (0,)  # its cards: a cloze note's are its numbers less one
    guid: str = ""  # kept verbatim (a card's ``guid:``); "" hashed from ``guid_key``


@dataclass(frozen=True)
class DeckPackage:
    """Everything the package writer needs, with no clock and no file system behind it."""

    deck_id: int
    deck_name: str
    description: str
    note_type: NoteTypeSpec
    note_type_mod: int
    notes: tuple[NoteRecord, ...]
    media: tuple[MediaFile, ...] = ()  # every image the notes show, once each, sorted by name
    cloze_note_type: NoteTypeSpec | None = None  # only when some note is a cloze note
    cloze_note_type_mod: int = 0
    subdecks: tuple[tuple[int, str], ...] = ()  # (id, full name) of each subdeck with notes
    # the note types declared in deck.yaml that some note uses, with their ``mod``, by name
    declared_types: tuple[tuple[NoteTypeSpec, int], ...] = ()

    def note_types(self) -> list[tuple[NoteTypeSpec, int]]:
        """Every note type of the package with its ``mod``, the deck's own first. The
        built-in question-and-answer type is left out when no note uses it and every
        declared type is a ``base: none`` one: a deck adopted from another tool (``ankigen
        adopt``) has only its own types, and learners would get a note type they never had."""
        types = [(self.note_type, self.note_type_mod)]
        own = self.declared_types and all(spec.own for spec, _ in self.declared_types)
        if own and all(note.kind != self.note_type.kind for note in self.notes):
            types = []
        if self.cloze_note_type is not None:
            types.append((self.cloze_note_type, self.cloze_note_type_mod))
        return types + list(self.declared_types)
