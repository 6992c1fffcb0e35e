"""Listing → `ankigen import` → `ankigen build` → the real Anki engine, with no hand edits."""

from __future__ import annotations

import html
import re
import shutil
from pathlib import Path

from ankigen.cli import main
from tests.ankihelpers import import_package, notes_by_id_field
from tests.conftest import SHIPPED_CARDS

FIXTURES = Path(__file__).resolve().parent / "fixtures"
DISPLAY = re.compile(r"\$\$(.+?)\$\$", re.S)
INLINE = re.compile(r"(?<![\\$])\$(?![\s$])(.+?)(?<![\s\\])\$")


def file_formulas(cards: Path) -> dict[str, list[tuple[str, bool]]]:
    """Formulas of every card file, found with plain regular expressions (not our scanner)."""
    found: dict[str, list[tuple[str, bool]]] = {}
    for path in sorted(cards.rglob("*.md")):
        text = path.read_text(encoding="utf-8")
        card_id = re.search(r"^id: (\S+)$", text, re.M).group(1)
        found[card_id] = [(tex, True) for tex in DISPLAY.findall(text)] + [
            (tex, False) for tex in INLINE.findall(DISPLAY.sub("", text))
        ]
    return found


def import_and_build(listing: str, workdir: Path, runner, monkeypatch) -> Path:
    """Import ``listing`` into a cards folder holding only deck.yaml and build it."""
    monkeypatch.chdir(workdir)
    (workdir / "cards").mkdir()
    shutil.copy(SHIPPED_CARDS / "deck.yaml", workdir / "cards" / "deck.yaml")
    imported = runner.invoke(main, ["import", str(FIXTURES / listing)])
    assert imported.exit_code == 0, imported.output
    built = runner.invoke(main, ["build"])
    assert built.exit_code == 0, built.output
    (package,) = (workdir / "output").glob("*.apkg")
    return package


def pages(collection, package: Path) -> dict[str, str]:
    """Each note's rendered question and answer HTML, by card id, after importing ``package``."""
    import_package(collection, package)
    out = {}
    for card_id, note in notes_by_id_field(collection).items():
        shown = note.cards()[0].render_output()
        out[card_id] = shown.question_text + shown.answer_text
    return out


def assert_typeset(formulas: dict[str, list[tuple[str, bool]]], shown: dict[str, str]) -> None:
    for card_id, card_formulas in formulas.items():
        for tex, display in card_formulas:
            escaped = html.escape(tex, quote=False)
            wrapped = f"\\[{escaped}\\]" if display else f"\\({escaped}\\)"
            assert wrapped in shown[card_id], f"{card_id}: {tex!r} not typeset"
        # no delimiter of the card source reached Anki: every $ left is a literal dollar
        assert not re.search(r"\$(?!\d)", shown[card_id]), card_id


def test_the_imported_seed_builds_and_anki_typesets_every_formula(
    tmp_path, runner, monkeypatch, collection
):
    package = import_and_build("seed_listing.txt", tmp_path, runner, monkeypatch)
    shown = pages(collection, package)
    assert len(shown) == 10
    assert collection.note_count() == 10
    formulas = file_formulas(tmp_path / "cards")
    assert sum(len(f) for f in formulas.values()) == 24
    assert sum(display for f in formulas.values() for _, display in f) == 7
    assert_typeset(formulas, shown)
    assert r"\[y = F(x) + x\]" in shown["DL0001"]
    assert r"(\(18 \cdot C_{in} \cdot C_{out}\) total parameters)" in shown["DL0004"]
    assert "Simplicity &amp; Interpretability" in shown["ML0031"]


def test_an_unseen_listing_builds_and_its_prose_survives_in_anki(
    tmp_path, runner, monkeypatch, collection
):
    package = import_and_build("unseen_listing.txt", tmp_path, runner, monkeypatch)
    shown = pages(collection, package)
    assert sorted(shown) == ["DL0101", "DL0102", "ML0140", "ML0141"]
    assert_typeset(file_formulas(tmp_path / "cards"), shown)
    assert "end-of-sequence token &lt;eos&gt;." in shown["ML0140"]
    assert "flagging a $5 refund" in shown["ML0141"]
    assert "a false-alarm rate &lt; 5% is often acceptable" in shown["ML0141"]
    assert r"\(\sqrt{P \cdot R}\)" in shown["ML0141"]
    assert "“thinned”" in shown["DL0101"]
