"""Code blocks highlighted at build time: Pygments' token spans, kept by the sanitizer."""

from __future__ import annotations

import re
from html import unescape

from ankigen.render.card import Renderer
from ankigen.render.cloze import protect, reveal
from ankigen.render.formulas import scan
from ankigen.render.highlight import highlight
from ankigen.render.sanitize import TOKEN_CLASSES, clean, unsafe_parts
from ankigen.source.validate import Section

PYTHON = '```python\ndef area(r):\n    return 3.14 * r ** 2  # "a" & b\n```\n'
SPAN_CLASS = re.compile(r'<span class="([^"]*)">')


def render(markdown: str, *, cloze: bool = False) -> tuple[str, list[str]]:
    section = Renderer().section(Section(markdown, 7), "card.md", None, cloze=cloze)
    return section.html, [str(p) for p in section.problems]


def text_of(html: str) -> str:
    """What a reader sees of ``html``: its text, tags taken out, references decoded."""
    return unescape(re.sub(r"<[^>]*>", "", html))


def test_a_python_block_gets_keyword_spans():
    html, problems = render(PYTHON)
    assert problems == []
    assert html.startswith('<pre><code class="language-python"><span class="highlight">')
    assert '<span class="k">def</span> <span class="nf">area</span>' in html
    assert '<span class="k">return</span>' in html
    assert '<span class="c1"># "a" &amp; b</span>' in html
    assert text_of(html) == 'def area(r):\n    return 3.14 * r ** 2  # "a" & b\n'
    assert set(SPAN_CLASS.findall(html)) - {"highlight"} <= TOKEN_CLASSES


def test_the_highlighted_block_is_what_the_sanitizer_keeps():
    html, _ = render(PYTHON)
    assert clean(html) == html
    assert unsafe_parts(html) == []


def test_a_language_pygments_does_not_know_stays_plain():
    html, problems = render("```klingon\nqapla' <b>\n```\n")
    assert problems == []
    assert html == '<pre><code class="language-klingon">qapla\' &lt;b&gt;\n</code></pre>'


def test_a_block_without_a_language_stays_plain():
    html, _ = render("```\ndef f(): pass\n```\n")
    assert html == "<pre><code>def f(): pass\n</code></pre>"
    indented, _ = render("    def f(): pass\n")
    assert indented == html


def test_html_in_code_stays_text():
    for language in ("html", "javascript", "python"):
        html, _ = render(f"```{language}\n<script>alert(1)</script> <img src=x onerror=y>\n```\n")
        assert "<script" not in html and "<img" not in html, language
        assert "&lt;" in html and "<span" in html, language
        assert text_of(html) == "<script>alert(1)</script> <img src=x onerror=y>\n"
        assert unsafe_parts(html) == []


def test_raw_html_shaped_like_a_code_block_is_still_sanitized():
    raw = '<pre><code class="language-python"><script>x</script>a = 1</code></pre>\n'
    html, _ = render(raw)
    assert "<script" not in html and "x</" not in html


def test_dollars_in_code_are_text_and_no_placeholder_reaches_the_highlighter():
    markdown = "```python\nprice = '$5' + f'$x$'\n```\n"
    assert [type(p) for p in scan(markdown, "card.md", 1).pieces] == [str]
    html, problems = render(markdown)
    assert problems == []
    assert '<span class="s1">' in html and "$x$" in html
    assert "\\(" not in html


def test_a_block_holding_a_formula_placeholder_is_left_as_it_was():
    # the formula scan misses a tilde fence in a block quote: its `$a$` becomes a formula
    markdown = "> ~~~python\n> x = $a$\n> ~~~\n"
    html, _ = render(markdown)
    assert '<code class="language-python">x = \\(a\\)\n</code>' in html


def test_a_code_block_in_a_cloze_field_keeps_its_deletions_whole():
    markdown = (
        "Sort a list:\n\n```python\nxs.{{c1::sort}}(key=len)\nd = {'a': {{c2::1::one}}}\n```\n"
    )
    html, problems = render(markdown, cloze=True)
    assert problems == []
    assert '<span class="highlight">' in html and '<span class="n">xs</span>' in html
    assert "{{c1::" in html and "{{c2::" in html
    assert protect([html]).numbers == (1, 2)
    assert "xs.[...](key=len)" in text_of(reveal(html, 1, question=True))
    assert "d = {'a': [one]}" in text_of(reveal(html, 2, question=True))
    assert "d = {'a': 1}" in text_of(reveal(html, 2, question=False))
    assert unsafe_parts(html) == []


def test_highlighting_is_deterministic_and_leaves_other_html_alone():
    html = '<p>a <code class="language-python">x</code></p>\n<pre><code>y\n</code></pre>\n'
    assert highlight(html) == html
    first = highlight(Renderer().section(Section(PYTHON, 1), "c.md", None).html)
    assert first == highlight(Renderer().section(Section(PYTHON, 1), "c.md", None).html)
