"""The shipped deck, built and imported into the real Anki engine."""

from __future__ import annotations

import html
import re
from pathlib import Path

from ankigen.commands.build import build
from tests.ankihelpers import import_package, notes_by_id_field

DISPLAY = re.compile(r"\$\$(.+?)\$\$", re.S)
INLINE = re.compile(r"(?<![\\$])\$(?![\s$])(.+?)(?<!\s)\$")
DECK_NAME = "ML and DL Interview Questions"


def source_formulas(cards: Path) -> dict[str, list[tuple[str, bool]]]:
    """Formulas of every card file, found with plain regular expressions (not our scanner)."""
    found: dict[str, list[tuple[str, bool]]] = {}
    for path in sorted(cards.rglob("*.md")):
        text = path.read_text(encoding="utf-8")
        card_id = re.search(r"^id: (\S+)$", text, re.M).group(1)
        formulas = [(tex.strip(), True) for tex in DISPLAY.findall(text)]
        formulas += [(tex, False) for tex in INLINE.findall(DISPLAY.sub("", text))]
        found[card_id] = formulas
    return found


def test_shipped_deck_imports_with_every_formula_typesettable(cards, tmp_path, collection):
    result = build(cards, tmp_path / "out", now=1_800_000_000)
    log = import_package(collection, result.output)

    assert len(log.new) == 10
    notes = notes_by_id_field(collection)
    assert sum("DL" in note.tags for note in notes.values()) == 4
    assert sum("ML" in note.tags for note in notes.values()) == 6
    ours = [m for m in collection.models.all() if m["id"] == 1843956107]
    assert len(ours) == 1
    assert not [m for m in collection.models.all() if m["name"].endswith("+")]
    assert {note.mid for note in notes.values()} == {1843956107}

    formulas = source_formulas(cards)
    assert sum(len(f) for f in formulas.values()) >= 20  # the regexes did find the math
    for card_id, card_formulas in formulas.items():
        card = notes[card_id].cards()[0]
        shown = card.render_output()
        page = shown.question_text + shown.answer_text
        for tex, display in card_formulas:
            wrapped = (
                f"\\[{html.escape(tex, quote=False)}\\]"
                if display
                else f"\\({html.escape(tex, quote=False)}\\)"
            )
            assert wrapped in page, (
                f"{card_id}: {tex!r} not typeset as {'display' if display else 'inline'}"
            )
        # Markdown did not touch the math: no emphasis or lost backslashes inside any formula
        for math in re.findall(r"\\[(\[](.*?)\\[)\]]", page, re.S):
            assert "<em>" not in math and "<strong>" not in math


def test_deck_description_names_the_version(cards, tmp_path, collection):
    result = build(cards, tmp_path / "out", now=1_800_000_000)
    import_package(collection, result.output)
    deck = collection.decks.by_name(DECK_NAME)
    assert deck is not None
    assert "Version 1.0.1" in deck["desc"]
    assert result.output.name == "ml-and-dl-interview-questions-1.0.1.apkg"
