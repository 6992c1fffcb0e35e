"""Cloze cards in ``ankigen preview``, in a real headless Chromium with MathJax 3."""

from __future__ import annotations

from tests.browser import chromium_page, wait_for_mathjax
from tests.clozedeck import add_cloze_cards
from tests.test_preview import make_preview

ENTRY = "article.entry:has(h2:text-matches('^{label} '))"


def test_cloze_cards_show_the_deletion_hidden_then_revealed(runner, cards, tmp_path):
    add_cloze_cards(cards)
    out = tmp_path / "out"
    page_file = make_preview(runner, cards, out)
    with chromium_page() as page:
        page.goto(page_file.as_uri())
        formulas = wait_for_mathjax(page)
        assert [f for f in formulas if f[2]] == [] and page.errors == []
        assert page.locator("article.entry").count() == 10 + 2 + 3  # one per Anki card
        labels = page.locator("article.entry h2").all_inner_texts()
        assert [label.split(" · ")[0] for label in labels if "DL0005" in label] == [
            "DL0005 c1",
            "DL0005 c2",
        ]

        asked = page.locator(ENTRY.format(label="DL0005 c1"))
        front, back = asked.locator(".face > .card").all()
        assert front.locator(".cloze").inner_text() == "[a formula]"
        assert front.locator(".cloze mjx-container").count() == 0  # the formula is hidden
        assert back.locator(".cloze mjx-container").count() == 1  # and typeset on the back
        style = front.locator(".cloze").evaluate(
            "e => [getComputedStyle(e).color, getComputedStyle(e).fontWeight]"
        )
        assert style == ["rgb(0, 0, 255)", "700"]  # Anki's own look for a deletion
        assert "The denominator normalises" in back.inner_text()

        other = page.locator(ENTRY.format(label="DL0005 c2"))
        front = other.locator(".face > .card").first
        assert front.locator(".cloze").inner_text() == "[...]"
        assert front.locator(".cloze-inactive mjx-container").count() == 1

        chain = page.locator(ENTRY.format(label="ML0032 c1"))
        front, back = chain.locator(".face > .card").all()
        assert "[...]" in front.locator("mjx-container").inner_text().replace("\n", "")
        assert back.locator("hr").count() == 0  # no Extra: no rule under the text

        page.check("#night")
        night = page.locator(ENTRY.format(label="DL0005 c1")).locator(".cloze").first
        assert night.evaluate("e => getComputedStyle(e).color") == "rgb(173, 216, 230)"
        page.uncheck("#night")
        asked.screenshot(path=str(out / "preview-cloze-card.png"))
    assert (out / "preview-cloze-card.png").stat().st_size > 1000
