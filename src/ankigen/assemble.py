"""Stage 4b: turn rendered cards into the notes of one deck, with ids and times from the lock."""

from __future__ import annotations

import hashlib
import html
import json
from dataclasses import dataclass

from .config import DeckConfig
from .lock import Lock
from .media import MediaFile
from .notetype import NoteTypeSpec
from .render import RenderedCard


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


def note_fields(card: RenderedCard) -> tuple[str, ...]:
    """The field values of a card, in the note type's field order (ID, Title, Question, Answer)."""
    return (card.id, card.title, card.question_html, card.answer_html)


def note_tags(card: RenderedCard) -> tuple[str, ...]:
    """The category tag (the id's prefix) and the card's own tags, sorted as Anki keeps them."""
    return tuple(sorted({card.category, *card.tags}, key=str.lower))


def content_hash(card: RenderedCard) -> str:
    """A digest of what a learner's note holds: its fields and tags."""
    data = json.dumps([note_fields(card), note_tags(card)], ensure_ascii=False)
    return hashlib.sha256(data.encode("utf-8")).hexdigest()[:16]


def deck_description(config: DeckConfig) -> str:
    """The deck description shown on Anki's overview screen, with the version in it."""
    text = f"<p>{html.escape(config.description)}</p>" if config.description else ""
    return f"{text}<p>Version {config.version}</p>"


def assemble(
    config: DeckConfig, note_type: NoteTypeSpec, cards: list[RenderedCard], lock: Lock
) -> DeckPackage:
    """The deck to package: every card as a note, ids and times taken from ``lock``."""
    if lock.note_type is None:
        raise ValueError("the lock must be updated before assembling")
    notes = []
    for position, card in enumerate(sorted(cards, key=lambda c: c.id), start=1):
        stamp = lock.cards[card.id]
        notes.append(
            NoteRecord(
                card_id=card.id,
                guid_key=(str(config.deck_id), card.id),
                note_id=stamp.note_id,
                mod=stamp.mod,
                fields=note_fields(card),
                tags=note_tags(card),
                position=position,
            )
        )
    return DeckPackage(
        deck_id=config.deck_id,
        deck_name=config.name,
        description=deck_description(config),
        note_type=note_type,
        note_type_mod=lock.note_type.mod,
        notes=tuple(notes),
        media=deck_media(cards),
    )


def deck_media(cards: list[RenderedCard]) -> tuple[MediaFile, ...]:
    """The images of all ``cards``: one file per content (names are content hashes), sorted."""
    media = {item.name: item for card in cards for item in card.media}
    return tuple(media[name] for name in sorted(media))
