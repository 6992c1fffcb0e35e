"""The math rules: what becomes MathJax, what stays prose, and what is an error."""

from __future__ import annotations

import pytest

from ankigen.render.card import Renderer
from ankigen.source.validate import Section


def render(markdown: str) -> tuple[str, list[str]]:
    html, _, problems = Renderer().render_section(Section(markdown, 7), "card.md")
    return html, [str(p) for p in problems]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("$a_i + b_i$ and $c_i$", r"<p>\(a_i + b_i\) and \(c_i\)</p>"),
        ("$a*b*c$ not *emph*", r"<p>\(a*b*c\) not <em>emph</em></p>"),
        (r"$\frac{1}{2} \\ x$", r"<p>\(\frac{1}{2} \\ x\)</p>"),
        ("$x < y$ & $a > b$", r"<p>\(x &lt; y\) &amp; \(a &gt; b\)</p>"),
        (r"\(a_b\) and \[c_d\]", r'<p>\(a_b\) and <span class="math-display">\[c_d\]</span></p>'),
        (
            "$$\\sum_{i=1}^{n} x_i$$",
            r'<p><span class="math-display">\[\sum_{i=1}^{n} x_i\]</span></p>',
        ),
        ("$$\na_1 \\\\\nb_2\n$$", r'<p><span class="math-display">\[a_1 \\ b_2\]</span></p>'),
        ("$\\text{if } x \\ge 0$", r"<p>\(\text{if } x \ge 0\)</p>"),
        (
            "1. one $x_1$\n2. two $x_2$",
            "<ol>\n<li>one \\(x_1\\)</li>\n<li>two \\(x_2\\)</li>\n</ol>",
        ),
    ],
)
def test_math_reaches_the_field_untouched_by_markdown(source, expected):
    html, problems = render(source)
    assert problems == []
    assert html == expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("It costs $5 and $10.", "<p>It costs $5 and $10.</p>"),
        (r"A literal \$ sign, and \$x\$.", "<p>A literal $ sign, and $x$.</p>"),
        ("Code `$x$` here.", "<p>Code <code>$x$</code> here.</p>"),
        ("```\n$$ not math $$\n```", "<pre><code>$$ not math $$\n</code></pre>"),
        ("$5 and $x$", r"<p>$5 and \(x\)</p>"),
    ],
)
def test_dollars_that_are_not_math_stay_text(source, expected):
    html, problems = render(source)
    assert problems == []
    assert html == expected


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("one\n\nthe $x + y costs", "card.md:9: unbalanced `$`: no closing `$` in this paragraph"),
        ("$a$ and $ b", "card.md:7: unbalanced `$`"),
        ("$$x\n\ny$$", "card.md:7: the display formula `$$` opened here and closed at line 9"),
        ("$$$$", "card.md:7: empty formula"),
        ("\\(x", "card.md:7: `\\(` is never closed by `\\)`"),
        ("$x\n\ny$", "card.md:7: unbalanced `$`"),
    ],
)
def test_broken_math_is_an_error_at_its_line(source, message):
    _, problems = render(source)
    assert problems, source
    assert problems[0].startswith(message)
