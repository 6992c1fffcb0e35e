"""Markdown as GitHub renders it (cmark-gfm), with images bundled wherever Markdown puts them."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from ankigen.render.card import Renderer
from ankigen.source.validate import Section

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d4944415478da63f8cfc0f01f0005000201e2213ebc0000000049454e44ae426082"
)
NAME = f"ankigen-{hashlib.sha256(PNG).hexdigest()[:16]}.png"


def render(markdown: str, card: Path | None = None, cards: Path | None = None) -> str:
    html, _, problems = Renderer(cards).render_section(Section(markdown, 5), "c.md", card)
    assert [p for p in problems if p.is_error] == []
    return html


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        # list items continue at their text's indent (CommonMark), not at four spaces
        ("1. one\n   - sub\n\n     more\n2. two", "<ol>\n<li>one\n<ul>\n<li>\n<p>sub</p>\n"
         "<p>more</p>\n</li>\n</ul>\n</li>\n<li>two</li>\n</ol>"),
        # GitHub's tables, alignment as a style the sanitizer keeps
        ("| a | b |\n|:--|--:|\n| 1 | 2 |", '<table>\n<thead>\n<tr>\n<th style="text-align:left">'
         'a</th>\n<th style="text-align:right">b</th>\n</tr>\n</thead>\n<tbody>\n<tr>\n'
         '<td style="text-align:left">1</td>\n<td style="text-align:right">2</td>\n</tr>\n'
         "</tbody>\n</table>"),
        # a non-breaking space is text, not whitespace to strip
        ("\xa0x\xa0", "<p>&nbsp;x&nbsp;</p>"),
        # a code fence left open runs to the end, its last line ending as every line does
        ("```\ncode", "<pre><code>code\n</code></pre>"),
        ("a `b|c` d", "<p>a <code>b|c</code> d</p>"),
        ('"q" & \\*', '<p>"q" &amp; *</p>'),
    ],
)  # fmt: skip
def test_markdown_renders_as_github_does(source, expected):
    assert render(source) == expected


@pytest.mark.parametrize(
    "markdown",
    [
        "![a dot](<images/my dot.png>)",
        "![a dot](images/my%20dot.png)",
        'Text\n\n- in a list ![a dot](<images/my dot.png> "a title")',
        "![a dot][fig]\n\n[fig]: <images/my dot.png>",
    ],
)
def test_an_image_is_bundled_however_markdown_writes_it(tmp_path, markdown):
    cards = tmp_path / "cards"
    (cards / "images").mkdir(parents=True)
    (cards / "images" / "my dot.png").write_bytes(PNG)
    html = render(markdown, cards / "c.md", cards)
    assert f'src="{NAME}"' in html
    assert "images/" not in html


def test_only_markdown_images_are_bundled(tmp_path):
    cards = tmp_path / "cards"
    (cards / "images").mkdir(parents=True)
    (cards / "images" / "x.png").write_bytes(PNG)
    markdown = '![x](images/x.png) `<img src="images/x.png">`\n<img alt="r" src="images/x.png">'
    html, _, problems = Renderer(cards).render_section(Section(markdown, 5), "c.md", cards / "c.md")
    assert html == (
        f'<p><img src="{NAME}" alt="x"> <code>&lt;img src="images/x.png"&gt;</code>\n'
        '<img alt="r"></p>'
    )
    assert [str(p) for p in problems] == [
        "c.md:6: warning: removed src='images/x.png' from <img>: write images as ![alt](path) "
        "to bundle them"
    ]


def test_an_image_after_raw_html_is_still_found(tmp_path):
    """Found by review when two parsers were at work: one parse now sees what it renders."""
    cards = tmp_path / "cards"
    cards.mkdir()
    for markdown in ("</pre>\u00a0\n![x](images/missing.png)", "<search>![x](images/missing.png)"):
        _, _, problems = Renderer(cards).render_section(
            Section(markdown, 5), "c.md", cards / "c.md"
        )
        assert [p.message for p in problems if p.is_error] == [
            "image images/missing.png not found (paths are relative to the card file)"
        ]
