"""The shipped deck with cloze cards added (``tests/fixtures/cloze``), for the cloze tests."""

from __future__ import annotations

import shutil
from pathlib import Path

CLOZE_FIXTURES = Path(__file__).resolve().parent / "fixtures" / "cloze"
CLOZE_NOTE_TYPE_ID = 1843956108
# the cloze cards of the fixtures and their deletion numbers
CLOZE_CARDS = {"DL0005": (1, 2), "ML0032": (1, 2, 3)}


def add_cloze_cards(cards: Path) -> None:
    """Give ``cards`` (a copy of the shipped deck) a cloze note type id and two cloze cards."""
    deck = cards / "deck.yaml"
    deck.write_text(
        deck.read_text(encoding="utf-8") + f"cloze_note_type_id: {CLOZE_NOTE_TYPE_ID}\n",
        encoding="utf-8",
    )
    shutil.copytree(CLOZE_FIXTURES, cards, dirs_exist_ok=True)
