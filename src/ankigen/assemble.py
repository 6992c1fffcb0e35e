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

RETIRED_TAG = "ankigen::retired"


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


def deck_description(config: DeckConfig, release_notes: str = "") -> str:
    """The deck description shown on Anki's overview screen: version and what's new."""
    text = f"<p>{html.escape(config.description)}</p>" if config.description else ""
    return f"{text}<p>Version {config.version}</p>{release_notes}"


def tombstone_fields(
    card_id: str, title: str, retired_in: str, reason: str, deck_name: str
) -> tuple[str, ...]:
    """The fields of a retired card's note: what it was, when it went, how to find them all.

    ``title`` is the card's last title as field HTML (already escaped).
    """
    question = (
        f"<p><b>Retired in version {html.escape(retired_in)}.</b> This card is no longer part "
        f"of {html.escape(deck_name)}.</p>"
    )
    if reason:
        question += f"<p>{html.escape(reason)}</p>"
    answer = (
        "<p>Anki never deletes notes on import, so it stays in your collection. To find every "
        f"retired card, search <code>tag:{RETIRED_TAG}</code> in the Browse window, then "
        "suspend or delete them there.</p>"
    )
    return (card_id, f"{title} (retired)", question, answer)


def tombstone_tags(card_id: str) -> tuple[str, ...]:
    """A tombstone's tags: its category (the id's prefix) and ``ankigen::retired``."""
    category = card_id.rstrip("0123456789")
    return tuple(sorted({category, RETIRED_TAG}, key=str.lower))


def tombstone_hash(card_id: str, title: str, retired_in: str, reason: str, deck_name: str) -> str:
    """A digest of a tombstone note's content, like ``content_hash`` for live cards."""
    fields = tombstone_fields(card_id, title, retired_in, reason, deck_name)
    data = json.dumps([fields, tombstone_tags(card_id)], ensure_ascii=False)
    return hashlib.sha256(data.encode("utf-8")).hexdigest()[:16]


def assemble(
    config: DeckConfig,
    note_type: NoteTypeSpec,
    cards: list[RenderedCard],
    lock: Lock,
    release_notes: str = "",
) -> DeckPackage:
    """The deck to package: every card as a note, ids and times taken from ``lock``.

    Retired cards (``lock.retired``) follow as tombstone notes, so learners' copies of them
    update to say so instead of lingering unexplained.
    """
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
    for position, (card_id, tomb) in enumerate(sorted(lock.retired.items()), len(notes) + 1):
        reason = config.retired.get(card_id, "")
        notes.append(
            NoteRecord(
                card_id=card_id,
                guid_key=(str(config.deck_id), card_id),
                note_id=tomb.note_id,
                mod=tomb.mod,
                fields=tombstone_fields(card_id, tomb.title, tomb.retired_in, reason, config.name),
                tags=tombstone_tags(card_id),
                position=position,
            )
        )
    return DeckPackage(
        deck_id=config.deck_id,
        deck_name=config.name,
        description=deck_description(config, release_notes),
        note_type=note_type,
        note_type_mod=lock.note_type.mod,
        notes=tuple(notes),
        media=deck_media(cards),
    )


def deck_media(cards: list[RenderedCard]) -> tuple[MediaFile, ...]:
    """The images of all ``cards``: one file per content (names are content hashes), sorted."""
    media = {item.name: item for card in cards for item in card.media}
    return tuple(media[name] for name in sorted(media))
