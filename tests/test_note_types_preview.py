"""The preview of a deck of declared note types, in the real browser at a phone's width:
each note type with its own templates (a reverse card, the type-in box, a hint, an audio
player), code highlighted in night mode, and nothing wider than the screen without a cue."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser import chromium_page
from tests.modeldeck import write_model_deck
from tests.test_preview import make_preview

WIDE = """\
---
id: ML0009
title: Wide things
---

## Question

$$\\sum_{i=1}^{n} \\left( \\alpha_i x_i + \\beta_i y_i + \\gamma_i z_i + \\delta_i w_i + \\epsilon_i v_i + \\zeta_i u_i \\right)^2$$

## Answer

```python
result = some_function_with_a_long_name(argument_one, argument_two, argument_three, argument_four)
```

| column one | column two | column three | column four | column five | column six | column seven |
|---|---|---|---|---|---|---|
| a long cell | another long cell | yet another | and another | still more | and more | the last |
"""

FACES_JS = """() => Array.from(document.querySelectorAll('.entry')).map(entry => [
  entry.querySelector('h2').textContent,
  entry.querySelectorAll('.face > .card')[0].innerHTML,
  entry.querySelectorAll('.face > .card')[1].innerHTML,
])"""

OVERFLOW_JS = """() => {
  const wide = [];
  for (const el of document.querySelectorAll('.face > .card pre, .face > .card table,'
      + ' .face > .card .math-display')) {
    if (el.scrollWidth > el.clientWidth + 1) {
      wide.push([el.tagName, getComputedStyle(el).overflowX,
                 getComputedStyle(el).backgroundImage !== 'none']);
    }
  }
  return [document.documentElement.scrollWidth, wide];
}"""


@pytest.fixture
def page_file(runner, tmp_path: Path) -> Path:
    cards = write_model_deck(tmp_path)
    (cards / "ML" / "ML0009-wide.md").write_text(WIDE, encoding="utf-8")
    return make_preview(runner, cards, tmp_path / "out")


def test_each_note_type_previews_with_its_own_cards_at_phone_width_by_night(page_file):
    with chromium_page(viewport=(390, 800)) as page:
        page.goto(page_file.as_uri())
        page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise")
        page.evaluate("() => MathJax.startup.promise")
        page.check("#night")
        page.check("#phone")
        faces = {label: (front, back) for label, front, back in page.evaluate(FACES_JS)}
        labels = list(faces)

        # the reversed type: two cards, the second asking the Answer
        (reverse,) = [label for label in labels if label.startswith("DL0001 · Answer → Question")]
        front, back = faces[reverse]
        assert "A convolution." in front and "What slides" not in front
        assert "What slides" in back
        # the hint: a tap-to-reveal where filled, on the forward card only
        (forward,) = [label for label in labels if label.startswith("DL0001 · Question → Answer")]
        assert '<details class="hint">' in faces[forward][0] and "It starts with" in faces[forward][0]
        (relu,) = [label for label in labels if label.startswith("DL0002 · Question → Answer")]
        assert "<details" not in faces[relu][0]
        # audio: a player with the bundled file inside the page, wherever the Answer shows:
        # the forward card's back, the reverse card's front, and its back ({{FrontSide}})
        assert page.locator('audio[src^="data:audio/wav;base64,"]').count() == 3
        # type-in: the box on the front, what to type on the back
        (mean,) = [label for label in labels if label.startswith("ML0001")]
        assert 'class="typeans"' in faces[mean][0] and "<input" in faces[mean][0]
        assert '<code class="typeans"' in faces[mean][1]

        # code highlighted, in night colours
        keyword = page.locator(".face > .card .highlight .k").first
        assert keyword.evaluate("el => getComputedStyle(el).color") == "rgb(102, 217, 239)"
        assert page.locator(".face > .card.nightMode").count() > 0

        # nothing wider than the phone; what scrolls inside itself shows a scroll cue
        width, wide = page.evaluate(OVERFLOW_JS)
        assert width <= 390
        assert {tag for tag, _, _ in wide} >= {"PRE", "TABLE"}
        assert all(overflow == "auto" and cue for _, overflow, cue in wide), wide
