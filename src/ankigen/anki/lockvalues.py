"""The values of a lock's entries, checked as they are read: the lock is edited by hand and
in merges, and a wrong id or time would reach every learner's collection.

Ids are whole numbers from 1 to 2**63 - 1 (Anki's signed 64-bit integers), times from 0
(a note type Anki never changed has time 0 in its package, so an adopted one may), a
note id with room above it for its cards' ids; cloze numbers are 1 to ``NOTE_ID_STEP``; no
two cards share a note id.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ankigen.anki.stamps import Stamp
from ankigen.util.strictjson import ID_LIMIT, whole

if TYPE_CHECKING:
    from ankigen.anki.lock import Lock

NOTE_ID_STEP = 100  # room for the cards of one note: card ids are note id + template ordinal


class CardValueError(ValueError):
    """A value of one card's entry in the lock that cannot be."""

    def __init__(self, card: str, message: str) -> None:
        super().__init__(f"card {card}: {message}")
        self.card = card


def read_stamp(entry: dict[str, Any], what: str) -> Stamp:
    return Stamp(str(entry["hash"]), whole(entry["mod"], f"{what}: mod", 0))


def read_mod(entry: dict[str, Any], card: str) -> int:
    try:
        return whole(entry["mod"], "mod", 0)
    except ValueError as exc:
        raise CardValueError(card, str(exc)) from None


def read_note_id(entry: dict[str, Any], card: str) -> int:
    """A note id, with room above it for its cards' ids (note id + ordinal)."""
    try:
        return whole(entry["note_id"], "note_id", 1, ID_LIMIT - 1 - NOTE_ID_STEP)
    except ValueError as exc:
        raise CardValueError(card, str(exc)) from None


def read_clozes(entry: dict[str, Any], card: str) -> tuple[int, ...]:
    clozes = entry.get("clozes")
    if not clozes:
        return ()
    if not isinstance(clozes, list):
        raise CardValueError(card, "clozes is not a list of numbers")
    try:
        return tuple(whole(number, "a cloze number", 1, NOTE_ID_STEP) for number in clozes)
    except ValueError as exc:
        raise CardValueError(card, str(exc)) from None


def check_note_ids(lock: Lock) -> None:
    """Raise when two cards (current or retired) have one note id: Anki would make them one
    note, the later overwriting the earlier on every learner's device."""
    owner: dict[int, str] = {}
    for card_id, stamp in [*lock.cards.items(), *lock.retired.items()]:
        other = owner.setdefault(stamp.note_id, card_id)
        if other != card_id:
            raise CardValueError(card_id, f"its note_id {stamp.note_id} is also {other}'s")
