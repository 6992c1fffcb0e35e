"""The deck's permanent ids in deck.yaml: ids no deck of an author should carry.

Learners' Anki finds a deck's notes by ids drawn from ``deck_id`` and matches its note types
by ``note_type_id`` (and ``cloze_note_type_id``). Two decks that share an id conflict in
every collection that holds both, so ids are drawn at random once (``ankigen init`` does,
and each refusal here suggests a fresh one to paste). Refused:

- ``deck_id: 1``, the id of Anki's own Default deck;
- small ids and placeholders (``1234567890``, ``1111111111``): ids copied from an example or
  typed by hand, which another deck is likely to carry too;
- the ids of the deck ankigen ships, in a deck with another name.

An id the deck was already built with (``ankigen.lock`` says so) is never refused: learners
may have it, and changing it now would do more harm than keeping it.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from pathlib import Path

MIN_ID = 1000  # below: typed by hand, surely shared with some other deck
ANKI_DEFAULT_DECK = 1  # Anki's "Default" deck in every collection
SHIPPED_NAME = "ML and DL Interview Questions"  # the deck in ankigen's own cards/
SHIPPED_IDS = {1843956106: "deck_id", 1843956107: "note_type_id"}
# ids that look typed, not drawn: runs of digits up and down (the README's example uses two)
PLACEHOLDERS = frozenset(
    {
        123, 1234, 12345, 123456, 1234567, 12345678, 123456789,
        1234567890, 1234567891, 1234567892, 12345678901, 123456789012,
        987654321, 9876543210,
    }
)  # fmt: skip
ID_KEYS = ("deck_id", "note_type_id", "cloze_note_type_id")
LOCK_ID = re.compile(r'"(deck_id|note_type_id)": (\d+)')
LOCK_CLOZE_ID = re.compile(r'^  "cloze_note_type": \{[^\n]*"id": (\d+)', re.M)
LOCK_HEAD = 4096  # the lock names its ids in its first lines


def random_id() -> int:
    """A fresh id to suggest for deck.yaml, drawn as genanki's documentation draws them."""
    return secrets.randbelow(1 << 30) + (1 << 30)


def fresh_ids(count: int) -> list[int]:
    """``count`` different random ids, none of them one that ``id_refusal`` refuses."""
    drawn: list[int] = []
    while len(drawn) < count:
        candidate = random_id()
        if candidate not in drawn and id_refusal("deck_id", candidate, "") is None:
            drawn.append(candidate)
    return drawn


def is_placeholder(value: int) -> bool:
    """Whether ``value`` looks typed rather than drawn: small, a run, or one repeated digit."""
    digits = str(value)
    return value < MIN_ID or value in PLACEHOLDERS or len(set(digits)) == 1


def id_refusal(key: str, value: int, name: str | None) -> str | None:
    """Why deck.yaml's ``key: value`` is refused in the deck called ``name`` (``None``: not
    known), with a random id to paste; ``None`` when the id is fine."""
    paste = f"`{key}: {random_id()}`"
    if key == "deck_id" and value == ANKI_DEFAULT_DECK:
        return (
            f"deck_id: 1 is the id of Anki's Default deck, which every collection has: the "
            f"cards would land in it; use a random id, like {paste} (chosen once, kept forever)"
        )
    if is_placeholder(value):
        return (
            f"{key}: {value} looks typed or copied, not drawn at random: other decks may carry "
            f"it too, and learners with both would get conflicts; use a random id, like {paste} "
            "(chosen once, kept forever)"
        )
    if value in SHIPPED_IDS and name is not None and name != SHIPPED_NAME:
        return (
            f"{key}: {value}: these are the ids of the deck ankigen ships ({SHIPPED_NAME}): a "
            f"learner with both decks would get conflicts; use {paste} (a random id, chosen "
            "once, kept forever)"
        )
    return None


def missing_id(key: str) -> str:
    """The message for a required id missing from deck.yaml, with a line to paste."""
    return (
        f"missing required key {key!r}: add `{key}: {random_id()}` (a random id, chosen once "
        "and kept forever: learners' Anki matches the deck by it)"
        if key == "deck_id"
        else f"missing required key {key!r}: add `{key}: {random_id()}` (a random id, chosen "
        "once and kept forever: learners' Anki matches the note type by it)"
    )


def built_ids(lock_path: Path) -> set[tuple[str, int]]:
    """The ids (key, value) the lock says the deck was built with; none without a lock."""
    try:
        with lock_path.open("rb") as handle:
            head = handle.read(LOCK_HEAD).decode("utf-8", "replace")
    except OSError:
        return set()
    found = {(key, int(value)) for key, value in LOCK_ID.findall(head)}
    return found | {("cloze_note_type_id", int(v)) for v in LOCK_CLOZE_ID.findall(head)}


def ids_problems(
    values: tuple[int | None, ...],
    name: str | None,
    lock_path: Path,
    problem: Callable[[str, str], None],
) -> None:
    """Report (``problem(key, message)``) each id of ``values`` (those of ``ID_KEYS``, in
    order; ``None`` when not given or wrong) that ``id_refusal`` refuses, unless the lock at
    ``lock_path`` says the deck was built with it."""
    built: set[tuple[str, int]] | None = None
    for key, value in zip(ID_KEYS, values, strict=True):
        refused = id_refusal(key, value, name) if value is not None else None
        if refused is None:
            continue
        built = built_ids(lock_path) if built is None else built
        if (key, value) not in built:
            problem(key, refused)
