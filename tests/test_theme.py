"""The note type's look: code colours by day and night, night colours, and scroll cues.

The layout checks run in a real headless Chromium (``tests.browser``) at a phone's width.
"""

from __future__ import annotations

import importlib.util
import re

import pygments
import pytest

from ankigen.anki import notetype, theme
from ankigen.render.card import Renderer
from ankigen.render.sanitize import HIGHLIGHT_CLASS, TOKEN_CLASSES
from ankigen.source.validate import Section
from tests.browser import REPO, chromium_page

PHONE_WIDTH = 390
WIDE_CARD = """\
A formula, a code line and a table, each wider than a phone:

$$\\sum_{i=1}^{n} \\sum_{k=1}^{K} y_{ik} \\log \\frac{\\exp(\\theta_k^\\top x_i)}{\\sum_j \\exp(\\theta_j^\\top x_i)}$$

```python
def loss(logits, targets): return cross_entropy(logits.view(-1, vocabulary_size), targets.view(-1), ignore_index=-100)
```

| parameter | shape | initialisation | learning rate | weight decay | schedule |
|---|---|---|---|---|---|
| embedding | vocabulary × width | normal(0, 0.02) | 3e-4 | 0.1 | cosine decay |
"""
# what MathJax makes of a display formula: one line that never wraps (typesetting is not
# what is tested here, so a formula's text stands in for it)
TYPESET = '<span style="white-space: nowrap">{}</span>'
WIDE = ".math-display, pre, table"
LAYOUT_JS = """([wideSelector, highlight]) => {
  const style = el => getComputedStyle(el);
  const wide = Array.from(document.querySelectorAll(wideSelector)).map(el => ({
    tag: el.tagName,
    scrolls: el.scrollWidth > el.clientWidth,
    overflow: style(el).overflowX,
    image: style(el).backgroundImage,
    attachment: style(el).backgroundAttachment,
  }));
  return {
    page: document.documentElement.scrollWidth,
    wide,
    keyword: style(document.querySelector('.' + highlight + ' .k')).color,
    border: style(document.querySelector('td')).borderTopColor,
    background: style(document.body).backgroundColor,
  };
}"""


def card_html() -> str:
    html = Renderer().section(Section(WIDE_CARD, 1), "wide.md", None).html
    return re.sub(
        r'(<span class="math-display">)(.*?)(</span>)',
        lambda m: m.group(1) + TYPESET.format(m.group(2)) + m.group(3),
        html,
    )


def page_html(night: bool) -> str:
    classes = "card card1 mobile" + (" nightMode" if night else "")
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>{notetype.CSS}</style></head>
<body class="{classes}"><div class="ankigen answer">{card_html()}</div></body></html>"""


@pytest.fixture(scope="module")
def layouts(tmp_path_factory):
    """The layout of the wide card on a phone, by day and by night."""
    found = {}
    folder = tmp_path_factory.mktemp("theme")
    with chromium_page(viewport=(PHONE_WIDTH, 800)) as page:
        for night in (False, True):
            path = folder / f"{'night' if night else 'day'}.html"
            path.write_text(page_html(night), encoding="utf-8")
            page.goto(path.as_uri())
            found[night] = page.evaluate(LAYOUT_JS, [WIDE, HIGHLIGHT_CLASS])
            page.screenshot(path=str(folder / f"{path.stem}.png"))
        assert page.errors == []
    return found


@pytest.mark.parametrize("night", [False, True], ids=["day", "night"])
def test_wide_things_scroll_inside_themselves_and_show_it(layouts, night):
    layout = layouts[night]
    assert layout["page"] <= PHONE_WIDTH  # the page itself never scrolls sideways
    assert [w["tag"] for w in layout["wide"]] == ["SPAN", "PRE", "TABLE"]
    for wide in layout["wide"]:
        assert wide["scrolls"], wide["tag"]
        assert wide["overflow"] == "auto", wide["tag"]
        assert wide["image"] != "none" and "gradient" in wide["image"], wide["tag"]
        # covers that move with the content over shadows that stay at the edges
        assert wide["attachment"].startswith("local, local, scroll, scroll"), wide["tag"]


def test_night_mode_has_its_own_code_and_table_colours(layouts):
    day, night = layouts[False], layouts[True]
    assert day["keyword"] == "rgb(0, 128, 0)"  # Pygments' default style
    assert night["keyword"] == "rgb(102, 217, 239)"  # monokai's
    assert day["border"] == "rgb(200, 200, 200)"
    assert night["border"] == "rgb(74, 74, 74)"
    assert night["background"] == "rgb(31, 31, 31)"
    wide_day = [w["image"] for w in day["wide"]]
    wide_night = [w["image"] for w in night["wide"]]
    assert all(d != n for d, n in zip(wide_day, wide_night, strict=True))


def test_the_token_colours_name_only_classes_the_sanitizer_keeps():
    named = set(re.findall(rf"\.{HIGHLIGHT_CLASS} \.(\w+)", theme.TOKEN_CSS))
    assert named <= TOKEN_CLASSES
    night = set(re.findall(rf"\.nightMode \.{HIGHLIGHT_CLASS} \.(\w+)", theme.TOKEN_CSS))
    assert named <= night  # every class coloured by day has its own night colour
    assert theme.THEME_CSS in notetype.CSS and notetype.CSS in notetype.CLOZE_CSS
    assert not re.search(r"url\(|@import|https?:|//|<", notetype.CSS)


def test_the_token_colours_are_what_the_script_printed():
    spec = importlib.util.spec_from_file_location("theme_tokens", REPO / "scripts/theme_tokens.py")
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    scope = f".{HIGHLIGHT_CLASS}"
    printed = [
        *script.rules(script.DAY, scope, complete=False),
        *script.rules(script.NIGHT, f".nightMode {scope}", complete=True),
    ]
    if "\n".join(printed) + "\n" != theme.TOKEN_CSS:
        pytest.skip(f"Pygments {pygments.__version__}'s styles differ from 2.21's; CSS kept")
