"""cmark-gfm through its C API: the same HTML as cmarkgfm's own wrapper, and no memory kept."""

from __future__ import annotations

import os

import pytest

from ankigen import cmark

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


def test_the_freeing_renderer_is_the_one_in_use():
    assert cmark._renderer() is not cmark._wrapper_renderer


@pytest.mark.parametrize("markdown", SAMPLES)
def test_it_renders_exactly_as_cmarkgfm_does(markdown):
    assert cmark.markdown_html(markdown) == cmark._wrapper_renderer(markdown)


def resident_mb() -> float:
    with open("/proc/self/statm", encoding="ascii") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="needs Linux's /proc")
def test_rendering_keeps_no_memory():
    text = "\n\n".join(SAMPLES) * 4  # about 2 KB; cmarkgfm's wrapper keeps ~50 KB a call
    cmark.markdown_html(text)
    before = resident_mb()
    for _ in range(5_000):
        cmark.markdown_html(text)
    assert resident_mb() - before < 40
