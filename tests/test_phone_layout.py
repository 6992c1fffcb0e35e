"""Cards as a phone shows them: 360 px wide, night mode, no script, nothing remote.

Each card is rendered by the real Anki engine (``render_output``), then laid out in a real
headless Chromium with the note type's CSS, Anki's phone classes and MathJax 3.
"""

from __future__ import annotations

import json
import re

import pytest

from ankigen.anki import notetype
from ankigen.commands.build import build
from ankigen.commands.preview import MATHJAX_CONFIG
from tests.ankihelpers import import_package, notes_by_id_field
from tests.browser import MATHJAX_DIR, chromium_page, require, wait_for_mathjax

PHONE_WIDTH = 360
LONG_FORMULA_CARD = """---
id: ML0099
title: A Long Formula
---
## Question

What is the expanded form of the multinomial log-likelihood?

## Answer

$$\\log L(\\theta) = \\sum_{i=1}^{n} \\sum_{k=1}^{K} y_{ik} \\log \\frac{\\exp(\\theta_k^\\top x_i)}{\\sum_{j=1}^{K} \\exp(\\theta_j^\\top x_i)} + \\lambda_1 \\lVert \\theta \\rVert_1 + \\lambda_2 \\lVert \\theta \\rVert_2^2$$

A long word such as Donaudampfschifffahrtsgesellschaftskapitänsmützenabzeichen wraps too.

| parameter | shape | initialisation | learning rate | weight decay | notes on the schedule |
|---|---|---|---|---|---|
| embedding matrix | vocabulary × model width | normal(0, 0.02) | 3e-4 | 0.1 | cosine decay to 10% |

```
loss = cross_entropy(logits.view(-1, vocabulary_size), targets.view(-1), ignore_index=-100)
```
"""

OVERFLOW_JS = """() => {
  const width = document.documentElement.clientWidth;
  const outside = [];
  for (const el of document.querySelectorAll('.card *')) {
    if (el.parentElement.closest('.math-display, pre, table')) continue;  // scrolls inside
    const box = el.getBoundingClientRect();
    if (box.right > width + 1) outside.push(el.tagName + ' ' + (el.className || ''));
  }
  const scrollers = Array.from(document.querySelectorAll('.math-display, pre, table')).map(
    m => [m.tagName, m.scrollWidth > m.clientWidth + 1, getComputedStyle(m).overflowX]);
  return {page: document.documentElement.scrollWidth, width, outside, scrollers};
}"""


def phone_page(side_html: str, night: bool) -> str:
    classes = "card card1 mobile" + (" nightMode" if night else "")
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>{notetype.CSS}</style>
<script>window.MathJax = {json.dumps(MATHJAX_CONFIG)};</script>
<script src="{(MATHJAX_DIR / "es5" / "tex-chtml-full.js").as_uri()}"></script>
</head><body class="{classes}">{side_html}</body></html>"""


@pytest.mark.parametrize("make", [notetype.basic_note_type, notetype.cloze_note_type])
def test_templates_need_no_script_and_load_nothing_remote(make):
    spec = make(1, "Deck")
    for _, _, front, back in spec.templates:
        for template in (front, back):
            assert "<script" not in template.lower()
            assert not re.search(r"\bon\w+\s*=", template)
    assert not re.search(r"url\(|@import|https?:|//", spec.css)


@pytest.mark.parametrize("night", [False, True])
def test_every_card_fits_a_phone_and_long_formulas_scroll(cards, tmp_path, collection, night):
    require(MATHJAX_DIR / "es5" / "tex-chtml-full.js", "MathJax (tests/js, npm ci)")
    (cards / "ML" / "ML0099-a-long-formula.md").write_text(LONG_FORMULA_CARD)
    import_package(collection, build(cards, tmp_path / "out", now=1_800_000_000).output)
    notes = notes_by_id_field(collection)
    assert len(notes) == 11

    with chromium_page(viewport=(PHONE_WIDTH, 800)) as page:
        for card_id, note in sorted(notes.items()):
            answer = note.cards()[0].render_output().answer_text
            page_file = tmp_path / f"{card_id}.html"
            page_file.write_text(phone_page(answer, night), encoding="utf-8")
            page.goto(page_file.as_uri())
            problems = [f for f in wait_for_mathjax(page) if f[2]]
            assert problems == [], card_id
            layout = page.evaluate(OVERFLOW_JS)
            assert layout["outside"] == [], card_id
            assert layout["page"] <= PHONE_WIDTH, card_id
            if card_id == "ML0099":  # each wide thing scrolls inside its own block
                assert layout["scrollers"] == [
                    ["SPAN", True, "auto"],
                    ["TABLE", True, "auto"],
                    ["PRE", True, "auto"],
                ]
            if night:
                color = page.evaluate("getComputedStyle(document.body).backgroundColor")
                assert color == "rgb(31, 31, 31)"
        assert page.errors == []
        page.screenshot(path=str(tmp_path / "out" / f"phone-{'night' if night else 'day'}.png"))
