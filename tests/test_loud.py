"""Silent failures made loud: the shipped deck stays quiet, and the helpers behind the
warnings (typo distance, masking of code and math) do what the messages promise."""

from __future__ import annotations

from pathlib import Path

from ankigen.cli import main
from ankigen.errors import Problem
from ankigen.render.prose import mask_code, mask_math, tex_outside_math
from ankigen.tex.suggest import distance, nearest

CARDS = Path(__file__).resolve().parents[1] / "cards"


def test_the_shipped_deck_checks_without_a_single_warning(runner):
    result = runner.invoke(main, ["check", "--cards", str(CARDS)])
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    assert result.stdout.endswith("no problems.\n")


def test_a_swap_of_two_letters_is_one_step():
    assert distance("frca", "frac") == 1
    assert distance("sqtr", "sqrt") == 1
    assert distance("alpah", "alpha") == 1
    assert distance("abc", "xyz") == 3
    assert nearest("frca", ["frac", "fbox", "arccos"]) == "frac"
    assert nearest("sqtr", ["sqrt", "sqsubset"]) == "sqrt"
    assert nearest("zzzz", ["frac"]) is None


def test_code_and_math_are_never_read_as_prose():
    text = "`C:\\alpha` and $\\beta$ and \\\\gamma\n```\n\\sum\n```\n"
    prose = mask_math(mask_code(text))
    assert len(prose) == len(text)
    assert "\\" not in prose
    assert list(tex_outside_math(prose)) == []


def test_a_column_is_printed_only_where_known_and_sorts_before_the_message():
    assert str(Problem("a.md", 3, "x")) == "a.md:3: x"
    assert str(Problem.warning("a.md", 3, "x", 7)) == "a.md:3:7: warning: x"
    later = Problem.warning("a.md", 3, "a", 9)
    sooner = Problem.warning("a.md", 3, "z", 2)
    assert sorted([later, sooner]) == [sooner, later]


def test_a_package_given_to_import_is_named_as_one(tmp_path, runner, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "cards").mkdir()
    (tmp_path / "deck.apkg").write_bytes(b"PK\x03\x04" + bytes(range(256)))
    result = runner.invoke(main, ["import", "deck.apkg"])
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "deck.apkg:1: this is an Anki package, not a listing page: `ankigen import` reads a web "
        "page of questions saved as HTML or text; ankigen cannot import packages (adopting an "
        "existing deck is not built yet): import the package into Anki itself, or give "
        "`ankigen import` the page the questions came from"
    )


def test_code_in_every_form_and_link_addresses_are_never_taken_for_prose(
    cards, runner, monkeypatch
):
    """Indented code, HTML <code> and <pre>, R's a[[i]], a fenced {{c1::x}}: no warning; TeX
    in a link's text and in a list item's continuation is prose, and warned about."""
    source = Path(__file__).parent / "fixtures" / "prose-false-positives.md"
    (cards / "ML" / "ML0099-fp.md").write_text(source.read_text(encoding="utf-8"))
    monkeypatch.chdir(cards.parent)
    result = runner.invoke(main, ["check"])
    warned = [
        line.split(": warning: ")[0] for line in result.stderr.splitlines() if "warning" in line
    ]
    assert warned == ["cards/ML/ML0099-fp.md:13:71", "cards/ML/ML0099-fp.md:19:35"], result.stderr
