"""cmark-gfm through its C API: the same HTML as cmarkgfm's own wrapper, and no memory kept."""

from __future__ import annotations

import os

import cmarkgfm
import pytest

from ankigen.render import cmark


def wrapper(markdown: str) -> str:
    """cmarkgfm's own (leaking) conversion, with ankigen's options."""
    return cmarkgfm.markdown_to_html_with_extensions(markdown, cmark.OPTIONS, ["table"])


SAMPLES = [
    "",
    "plain",
    "*a* **b** `c` \\* &amp; &copy; \u00a0é \ue0001\ue001",
    "1. one\n   - sub\n\n     more\n2. two\n\n> quote\n\n```py\nx = 1\n```\n\n    indented",
    "| a | b | c |\n|:--|--:|:-:|\n| 1 | 2 | 3 |\n",
    'raw <b onclick="x()">html</b> and <img src="x.png"> stays\n\n<div>\nblock\n</div>',
    '[link](http://example.com "title") ![image](images/x.png) <http://auto.link>',
    "# h1\n\nSetext\n---\n\n***\n\nline  \nbreak\\\nagain",
]


@pytest.mark.parametrize("markdown", SAMPLES)
def test_it_renders_exactly_as_cmarkgfm_does(markdown):
    assert cmark.render(markdown).html == wrapper(markdown)


def test_one_parse_shows_every_image_and_piece_of_raw_html_with_its_line():
    seen = []

    def image(destination: str, line: int) -> str | None:
        seen.append((destination, line))
        return "renamed.png" if destination == "images/a b.png" else None

    text = (
        "One\ntwo ![a](<images/a b.png>) <b>bold</b>\n\n<div>\nblock\n</div>\n\n"
        "- ![r][ref]\n\n[ref]: images/c.png\n\n`![not](code.png)`"
    )
    rendered = cmark.render(text, image)
    assert seen == [("images/a b.png", 2), ("images/c.png", 8)]
    assert rendered.raw_html == ((2, "<b>"), (2, "</b>"), (4, "<div>\nblock\n</div>\n"))
    assert '<img src="renamed.png" alt="a" />' in rendered.html
    assert '<img src="images/c.png" alt="r" />' in rendered.html
    assert "<code>![not](code.png)</code>" in rendered.html


def resident_mb() -> float:
    with open("/proc/self/statm", encoding="ascii") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="needs Linux's /proc")
def test_rendering_keeps_no_memory():
    text = "\n\n".join(SAMPLES) * 4  # about 2 KB; cmarkgfm's wrapper keeps ~50 KB a call
    cmark.render(text, lambda destination, line: "x.png")
    before = resident_mb()
    for _ in range(5_000):
        cmark.render(text, lambda destination, line: "x.png")
    assert resident_mb() - before < 40
