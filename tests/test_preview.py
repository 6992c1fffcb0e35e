"""`ankigen preview`, opened in a real headless Chromium with MathJax 3 as Anki runs it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ankigen.cli import main
from ankigen.commands.build import render_cards
from tests.browser import MATHJAX_DIR, chromium_page, require, wait_for_mathjax
from tests.test_badinput import CORPUS

ARTIFACTS = Path(__file__).resolve().parents[1] / "output" / "test-artifacts"


def make_preview(runner, cards: Path, out: Path) -> Path:
    require(MATHJAX_DIR / "es5" / "tex-chtml-full.js", "MathJax (tests/js, npm ci)")
    args = ["preview", "--cards", str(cards), "--out", str(out), "--mathjax", str(MATHJAX_DIR)]
    result = runner.invoke(main, args)
    assert result.exit_code == 0, result.output
    (page,) = out.glob("*-preview.html")
    assert result.stdout.startswith("Wrote ")
    return page


def expected_formulas(cards: Path) -> int:
    """Question formulas show twice (front, and back through {{FrontSide}}), answers once."""
    _, rendered = render_cards(cards)
    total = 0
    for card in rendered:
        for formula in card.formulas:
            total += 2 if formula.to_html() in card.fields["Question"] else 1
    return total


def test_every_formula_typesets_without_errors(runner, cards, tmp_path):
    out = tmp_path / "out"
    page_file = make_preview(runner, cards, out)
    with chromium_page() as page:
        page.goto(page_file.as_uri())
        formulas = wait_for_mathjax(page)
        assert len(formulas) == expected_formulas(cards) > 0
        assert [f for f in formulas if f[2]] == []
        assert page.errors == []
        page.locator("article.entry").first.screenshot(path=str(out / "preview-first-card.png"))
        ARTIFACTS.mkdir(parents=True, exist_ok=True)  # kept after the run, for a person to see
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(ARTIFACTS / "preview-first-cards.png"))  # the first screenful
    assert (out / "preview-first-card.png").stat().st_size > 1000
    assert (ARTIFACTS / "preview-first-cards.png").stat().st_size > 1000


def test_a_broken_formula_shows_up_as_a_mathjax_problem(runner, cards, tmp_path):
    card = next(cards.rglob("ML0030-*.md"))
    card.write_text(
        card.read_text().replace(r"\frac{1}{1 + e^{-x}}", r"\frac{1} + \undefinedmacro")
    )
    page_file = make_preview(runner, cards, tmp_path / "out")
    with chromium_page() as page:
        page.goto(page_file.as_uri())
        problems = [f for f in wait_for_mathjax(page) if f[2]]
    assert len(problems) == 1
    assert problems[0][2] == ["undefined macro"]


def test_search_tags_night_mode_and_phone_width(runner, cards, tmp_path):
    page_file = make_preview(runner, cards, tmp_path / "out")
    with chromium_page() as page:
        page.goto(page_file.as_uri())
        wait_for_mathjax(page)
        visible = "() => document.querySelectorAll('article.entry:not([hidden])').length"
        assert page.evaluate(visible) == 10
        page.fill("#search", "softmax")
        assert page.evaluate(visible) == 1
        page.fill("#search", "")
        page.select_option("#tag", "DL")
        assert page.evaluate(visible) == 4
        assert page.inner_text("#count") == "4 of 10 cards"

        page.check("#night")
        assert page.evaluate("document.querySelectorAll('.face > .card.nightMode').length") == 20
        background = page.evaluate(
            "getComputedStyle(document.querySelector('.face > .card')).backgroundColor"
        )
        assert background == "rgb(31, 31, 31)"

        page.select_option("#tag", "")
        page.check("#phone")
        widths = page.evaluate(
            "Array.from(document.querySelectorAll('.face')).map(f => f.getBoundingClientRect().width)"
        )
        assert set(widths) == {360}
        overflowing = page.evaluate(
            """() => Array.from(document.querySelectorAll('.face > .card'))
                 .filter(c => c.scrollWidth > c.clientWidth + 1)
                 .map(c => c.closest('article').dataset.id)"""
        )
        assert overflowing == []


@pytest.mark.parametrize("mathjax", [None, "https://example.org/mathjax/tex-chtml-full.js"])
def test_without_a_local_copy_the_page_loads_a_pinned_url(runner, cards, tmp_path, mathjax):
    args = ["preview", "--cards", str(cards), "--out", str(tmp_path)]
    if mathjax:
        args += ["--mathjax", mathjax]
    assert runner.invoke(main, args).exit_code == 0
    (page,) = tmp_path.glob("*-preview.html")
    html = page.read_text()
    expected = mathjax or "https://cdn.jsdelivr.net/npm/mathjax@3.2.2/es5/tex-chtml-full.js"
    assert f'src="{expected}"' in html


def test_images_are_in_the_page_itself(runner, tmp_path):
    cards = tmp_path / "cards"  # the images are named "../cards/images/…" by one card
    shutil.copytree(CORPUS / "image-accepted", cards, ignore=shutil.ignore_patterns("*.txt"))
    page_file = make_preview(runner, cards, tmp_path / "elsewhere")
    assert "data:image/png;base64," in page_file.read_text(encoding="utf-8")
    with chromium_page() as page:
        page.goto(page_file.as_uri())
        wait_for_mathjax(page)
        widths = page.evaluate("[...document.images].map(image => image.naturalWidth)")
        assert len(widths) == 3 and all(width > 0 for width in widths)
        assert page.errors == []


def test_a_local_mathjax_that_is_not_there_is_an_error(runner, cards, tmp_path):
    missing = tmp_path / "no-mathjax"
    args = ["preview", "--cards", str(cards), "--out", str(tmp_path), "--mathjax", str(missing)]
    result = runner.invoke(main, args)
    assert result.exit_code == 1
    assert "no such file or folder: give a local copy of MathJax 3" in result.stderr
    assert not list(tmp_path.glob("*.html"))
