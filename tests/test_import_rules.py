"""`ankigen import`, one normalization rule per test: listing parsing, math recovery, Markdown."""

from __future__ import annotations

import re

import pytest

from ankigen.render.card import Renderer
from ankigen.scrape.cardfile import card_path, card_text, escape_prose, slugify
from ankigen.scrape.listing import parse_listing
from ankigen.scrape.mathguess import Math, formula_symbols, is_display_line, recover_inline
from ankigen.scrape.unicodetex import to_tex
from ankigen.source.validate import Section

HEADER = "Author: admin\n\n  • ML0099 Test Card\n\n    What is tested?\n\n    Answer\n\n"


def answer_of(body: str) -> tuple[str, list[str]]:
    """Import one entry whose answer is ``body``; return the answer Markdown and the doubts."""
    listing = HEADER + "\n".join("    " + line if line else "" for line in body.split("\n"))
    parsed = parse_listing(listing + "\n\n    Login to view more content", "page.txt")
    assert parsed.problems == ()
    (entry,) = parsed.entries
    card = card_text(entry)
    answer = card.text.split("## Answer\n\n", 1)[1].removesuffix("\n")
    return answer, [f"{d.line}: {d.message}" for d in card.doubts]


def inline(text: str, symbols: str = "") -> str:
    """``text`` with its recovered formulas written as ``$…$``."""
    pieces = recover_inline(text, frozenset(symbols)).segments
    return "".join(f"${p.tex}$" if isinstance(p, Math) else p for p in pieces)


def rendered(markdown: str) -> str:
    html, _, problems = Renderer().render_section(Section(markdown, 1), "card.md")
    assert problems == []
    return html


# --- parsing the listing -------------------------------------------------------------------


def test_entries_are_split_into_id_title_question_and_answer_without_clutter():
    parsed = parse_listing(
        "Author: admin\n\n  • DL0007 Two Parts\n\n    First line of the question?\n"
        "    Second line.\n\n    Answer\n\n    Body one.\n\n    Body two.\n\n\n"
        "    Login to view more content\n  • ML0008 Next\n    Q?\n    Answer\n    A.",
        "page.txt",
    )
    assert parsed.problems == () and parsed.dropped == ()
    first, second = parsed.entries
    assert (first.id, first.title, first.line) == ("DL0007", "Two Parts", 3)
    assert [x.text for x in first.question] == ["First line of the question?", "Second line."]
    assert [x.text for x in first.answer] == ["Body one.", "", "Body two."]
    assert [x.number for x in first.answer] == [10, 11, 12]
    assert (second.id, [x.text for x in second.answer]) == ("ML0008", ["A."])


@pytest.mark.parametrize(
    "variant",
    [
        lambda t: t.replace("\n", "\r\n"),
        lambda t: t.replace("\n", "\r"),
        lambda t: "\ufeff" + t,
        lambda t: t.replace("\n    Login to view more content", ""),
        lambda t: re.sub(r"\n\s*\n", "\n", t),
        lambda t: t.replace("\n\n", "\n\n\n\n"),
    ],
    ids=["crlf", "cr", "bom", "no-trailer", "no-blank-lines", "extra-blank-lines"],
)
def test_line_ends_trailer_and_blank_lines_do_not_change_the_entries(variant):
    text = (
        "Author: admin\n\n  • DL0007 Card\n\n    Why?\n\n    Answer\n\n    Because.\n"
        "    (1) One.\n    (2) Two.\n\n    Login to view more content"
    )

    def shape(source: str) -> list[tuple[str, str, list[str], list[str]]]:
        parsed = parse_listing(source, "p.txt")
        assert parsed.problems == ()
        return [
            (
                e.id,
                e.title,
                [x.text for x in e.question if x.text],
                [x.text for x in e.answer if x.text],
            )
            for e in parsed.entries
        ]

    assert (
        shape(variant(text))
        == shape(text)
        == [("DL0007", "Card", ["Why?"], ["Because.", "(1) One.", "(2) Two."])]
    )


def test_text_outside_entries_is_dropped_and_reported():
    parsed = parse_listing(
        "Some page header\n  • DL0007 Card\n    Q?\n    Answer\n    A.\n"
        "    Login to view more content\n    Share this page\n",
        "p.txt",
    )
    assert [(d.line, d.card_id, d.text) for d in parsed.dropped] == [
        (1, "", "Some page header"),
        (7, "DL0007", "Share this page"),
    ]


def test_duplicate_ids_name_both_places():
    parsed = parse_listing(
        "  • DL0007 A\n    Q?\n    Answer\n    A.\n  • DL0007 B\n    Q?\n    Answer\n    B.",
        "p.txt",
    )
    assert [str(p) for p in parsed.problems] == ["p.txt:5: duplicate id DL0007: also at p.txt:1"]


def test_an_entry_without_answer_line_or_title_is_a_problem():
    parsed = parse_listing(
        "  • DL0007\n    Q?\n    A.\n  • DL0008 Fine\n    Q?\n    Answer\n    A.", "p.txt"
    )
    assert [str(p) for p in parsed.problems] == [
        "p.txt:1: DL0007: the entry has no title",
        "p.txt:1: DL0007: no `Answer` line after the question",
    ]
    assert [e.id for e in parsed.entries] == ["DL0008"]


@pytest.mark.parametrize("text", ["", "\n\n", "Author: admin\nnothing here\n"])
def test_a_listing_without_entries_is_a_problem(text):
    parsed = parse_listing(text, "p.txt")
    assert [str(p) for p in parsed.problems] == [
        "p.txt:1: no entries found: an entry starts with a line like `• DL0001 Title`"
    ]


# --- math: display lines -------------------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        r"\displaystyle h_\theta(x) = \theta_0 + \sum_{j=1}^{p} \theta_j x_j",
        r"\mbox{Sigmoid}(x) = \frac{1}{1 + e^{-x}}",
        r"{\large \text{ReLU}(x) = \max(0, x)}",
        r"{\large \text{Leaky ReLU}(x) = x \text{ if } x \ge 0,\quad \alpha x \text{ if } x < 0}",
        "y = F(x) + x",
        r"\text{Precision} = \frac{TP}{TP + FP}",
        "Sigmoid(x) = 1/(1 + e^{-x})",
    ],
)
def test_a_line_that_is_all_tex_is_display_math(line):
    assert is_display_line(line)
    answer, _ = answer_of(f"Intro.\n{line}")
    assert answer == f"Intro.\n\n$${line}$$"


@pytest.mark.parametrize(
    "line",
    [
        r"h_\theta(x) represents the hypothesis for input x.",
        "Where:",
        "Two stacked 3×3 layers have the same receptive field as a 5×5 layer.",
        "In the positive region (x>0), ReLU has a constant gradient of 1.",
        "e.g., 256→64",
    ],
)
def test_a_line_with_prose_words_is_not_display_math(line):
    assert not is_display_line(line)


def test_a_bare_word_in_a_display_formula_is_reported():
    answer, doubts = answer_of("Sigmoid(x) = 1/(1 + e^{-x})")
    assert answer == "$$Sigmoid(x) = 1/(1 + e^{-x})$$"
    assert doubts == ["9: display formula has the bare word `Sigmoid`; consider \\text{Sigmoid}"]


# --- math: TeX inside prose ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            r"Two layers ( 18 \cdot C_{in} \cdot C_{out} total parameters) suffice.",
            r"Two layers ($18 \cdot C_{in} \cdot C_{out}$ total parameters) suffice.",
        ),
        (r"h_\theta(x) represents the hypothesis", r"$h_\theta(x)$ represents the hypothesis"),
        (" z_i represents the raw score", "$z_i$ represents the raw score"),
        (r" \theta_j are the weights", r"$\theta_j$ are the weights"),
        (
            r"scaled by  \frac{1}{1 - p} during training",
            r"scaled by $\frac{1}{1 - p}$ during training",
        ),
        (r"it is \max(0, x), cheap", r"it is $\max(0, x)$, cheap"),
        (r"costs  -\log 0.01 \approx 4.6, while", r"costs $-\log 0.01 \approx 4.6$, while"),
        ("roughly 2^n sub-networks", "roughly $2^n$ sub-networks"),
        (r"(e.g., 10^{-5})", r"(e.g., $10^{-5}$)"),
        (r"the gradient is  \hat{y} - y, so", r"the gradient is $\hat{y} - y$, so"),
        ("both: F_1 = 2PR/(P + R). Some", "both: $F_1 = 2PR/(P + R)$. Some"),
        ("takes O(n log n) time", r"takes $O(n \log n)$ time"),
    ],
)
def test_tex_inside_prose_becomes_inline_math_spanning_the_formula(text, expected):
    assert inline(text, symbols="xypnCFPR") == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("In the positive region (x>0), ReLU", "In the positive region ($x>0$), ReLU"),
        ("(a common choice is p = 0.5).", "(a common choice is $p = 0.5$)."),
        ("If x ≥ 0 it is 1.", r"If $x \ge 0$ it is 1."),
        ("if a < b then", "if $a < b$ then"),
    ],
)
def test_letters_joined_by_a_relation_are_math(text, expected):
    assert inline(text, symbols="xpab") == expected


def test_a_relation_of_letters_no_formula_uses_stays_text_and_is_reported():
    recovered = recover_inline("if a < b then stop, and x>0 too", frozenset("x"))
    assert "".join(s if isinstance(s, str) else f"${s.tex}$" for s in recovered.segments) == (
        "if a < b then stop, and $x>0$ too"
    )
    assert recovered.doubts == (
        "`a < b` kept as text: a, b are in none of this card's formulas (write $a < b$ if it "
        "is math)",
    )


@pytest.mark.parametrize(
    ("text", "doubt"),
    [
        (
            r"A path like C:\temp\new is a path.",
            r"`C:\temp\new` looks like math but would not typeset (unknown control sequence "
            r"`\temp`: Anki's MathJax does not know it); left as text",
        ),
        ("Call `x_1` in code.", "TeX left in prose (`x_1`): check it"),
    ],
)
def test_what_would_not_typeset_or_is_code_stays_text_and_is_reported(text, doubt):
    recovered = recover_inline(text, frozenset())
    assert recovered.segments == (text,)
    assert doubt in recovered.doubts


def test_a_bullet_point_in_an_answer_is_no_entry_but_is_reported():
    listing = HEADER + "It comes in sizes:\n• GPT3 is large\n• BERT2 is small\n"
    parsed = parse_listing(listing + "Login to view more content\n", "l.txt")
    assert parsed.problems == ()
    (entry,) = parsed.entries
    assert [line.text for line in entry.answer] == [
        "It comes in sizes:",
        "• GPT3 is large",
        "• BERT2 is small",
    ]
    assert [(r.line, r.card_id) for r in parsed.remarks] == [(10, "ML0099"), (11, "ML0099")]
    assert parsed.remarks[0].message == (
        "`• GPT3 is large` looks like an entry but no `Answer` line follows; kept as a point of "
        "this answer"
    )


def test_an_answer_line_inside_an_answer_is_reported():
    listing = HEADER + "Its answer.\n• ml0100 Mistyped entry\nA second question?\nAnswer\nA.\n"
    parsed = parse_listing(listing, "l.txt")
    assert [entry.id for entry in parsed.entries] == ["ML0099"]
    assert [(r.line, r.card_id, r.message) for r in parsed.remarks] == [
        (
            12,
            "ML0099",
            "a second `Answer` line inside the answer: is an entry header above it mistyped?",
        )
    ]


def test_a_header_without_an_answer_outside_an_answer_is_still_an_error():
    parsed = parse_listing(HEADER + "An answer.\nLogin to view more content\n• ML0100 T\nQ?\n", "l")
    assert [p.message for p in parsed.problems] == ["ML0100: no `Answer` line after the question"]


def test_a_norm_with_a_subscript_is_one_formula():
    assert inline(r"L1 adds \lambda \|w\|_1 to the loss.", symbols="w") == (
        r"L1 adds $\lambda \|w\|_1$ to the loss."
    )


@pytest.mark.parametrize(
    "text",
    [
        "Stacking multiple 3×3 layers (e.g., three 3×3 layers) helps.",
        "first reduces channels (e.g., 256→64), then expands (64 → 256).",
        "values between -1 and 1, sum is always 1.",
        "a false-alarm rate < 5% is often acceptable",
        "the F1-score, A/B testing, t-SNE, k-means, n-gram, x-axis, the sigmoid’s S‑shape",
        "ResNet’s block doesn’t care, i.e. it is fine, e.g. here",
        "Xavier/He initialization; Simplicity & Interpretability",
    ],
)
def test_prose_stays_prose(text):
    assert inline(text, symbols="xSaeiktn") == re.sub(r" +", " ", text)


# --- math: lone letters --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("added to the input  x to achieve", "added to the input $x$ to achieve"),
        ("for input feature vector x.", "for input feature vector $x$."),
        ("x is the input to the block.", "$x$ is the input to the block."),
        ("K represents the number of classes", "$K$ represents the number of classes"),
        ("denotes the j‑th feature", "denotes the $j$‑th feature"),
        ("for the i th class.", "for the $i$ th class."),
        ("F(x) represents the mapping", "$F(x)$ represents the mapping"),
    ],
)
def test_a_lone_letter_is_a_variable(text, expected):
    recovered = recover_inline(text, frozenset("xKjiF"))
    assert inline(text, "xKjiF") == expected
    assert recovered.doubts == ()


def test_a_lone_letter_the_formulas_do_not_use_is_math_but_reported():
    recovered = recover_inline("Moving the threshold t trades one for the other.", frozenset("PR"))
    assert inline("Moving the threshold t trades one for the other.", "PR") == (
        "Moving the threshold $t$ trades one for the other."
    )
    assert recovered.doubts == ("lone letter `t` read as math; it is not in this card's formulas",)


def test_articles_stay_words_but_are_reported_when_the_formulas_use_them():
    text = "A model with a bias and I think a weight."
    assert inline(text, "") == text
    assert recover_inline(text, frozenset()).doubts == ()
    assert recover_inline(text, frozenset("a")).doubts == (
        "`a` left as a word, though this card's formulas use a",
        "`a` left as a word, though this card's formulas use a",
    )


def test_formula_symbols_are_single_letters_outside_commands_and_text():
    symbols = formula_symbols(
        [r"\mbox{Softmax}(z_i) = \frac{e^{z_i}}{\sum_{j=1}^{K} e^{z_j}}", r"C_{in} \cdot \eta"]
    )
    assert symbols == frozenset({"z", "i", "e", "j", "K", "C", "η"})


def test_unicode_math_inside_a_formula_becomes_tex():
    assert to_tex("√(P·R)") == r"\sqrt{P \cdot R}"
    assert to_tex("1/√d_k") == r"1/\sqrt{d_k}"
    assert to_tex("C_{in} × C_{out}") == r"C_{in} \times C_{out}"
    assert to_tex("αx + β ≤ 1") == r"\alpha x + \beta \le 1"
    assert to_tex(r"x \text{ if } x") == r"x \text{ if } x"  # spacing inside TeX is kept
    assert inline("the geometric mean √(P·R) instead", "PR") == (
        r"the geometric mean $\sqrt{P \cdot R}$ instead"
    )
    assert inline("3×3 stays prose, 5% too", "") == "3×3 stays prose, 5% too"


# --- text stays text -----------------------------------------------------------------------


def test_markdown_and_html_characters_in_prose_are_escaped_so_they_show():
    assert escape_prose("flagging a $5 refund") == r"flagging a \$5 refund"
    assert escape_prose("the token <eos> and </b>") == r"the token \<eos> and \</b>"
    assert escape_prose("a < b & c, x&amp;y") == r"a < b & c, x\&amp;y"
    assert escape_prose("snake_case *stars* `code` C:\\dir") == (
        r"snake\_case \*stars\* \`code\` C:\\dir"
    )
    assert escape_prose("see [this](link)") == r"see \[this](link)"


def test_escaped_prose_renders_as_the_same_visible_text():
    answer, _ = answer_of(
        "Flagging a $5 refund costs $10 in time.\n"
        "The end-of-sequence token <eos> ends it; a < b in prose; Simplicity & Interpretability.\n"
        "# not a heading, *not emphasis*, snake_case.\n"
        "2024. was a year."
    )
    html = rendered(answer)
    assert "<p>Flagging a $5 refund costs $10 in time.</p>" in html
    assert "token &lt;eos&gt; ends it" in html
    assert "ends it; a &lt; b in prose;" in html  # no formula of the card uses a or b
    assert "Simplicity &amp; Interpretability." in html
    assert "<p># not a heading, *not emphasis*, snake_case.</p>" in html
    assert "<p>2024. was a year.</p>" in html


# --- structure -----------------------------------------------------------------------------


@pytest.mark.parametrize("style", ["({n}) ", "{n}. "])
def test_numbered_points_become_a_markdown_list(style):
    points = "\n".join(style.format(n=n) + f"Point {n}." for n in (1, 2, 3))
    answer, doubts = answer_of("Intro:\n" + points)
    assert answer == "Intro:\n\n1. Point 1.\n2. Point 2.\n3. Point 3."
    assert doubts == []
    assert "<ol>" in rendered(answer)


def test_a_line_right_after_a_point_is_a_paragraph_inside_it():
    answer, _ = answer_of("(1) Sparse Activation:\nBy outputting zero …\n(2) Cheap.\n(3) Fast.")
    assert answer == ("1. Sparse Activation:\n\n   By outputting zero …\n\n2. Cheap.\n3. Fast.")
    html = rendered(answer)
    assert re.search(
        r"<li>\s*<p>Sparse Activation:</p>\s*<p>By outputting zero …</p>\s*</li>", html
    )


def test_a_paragraph_between_point_n_and_n_plus_1_belongs_to_point_n():
    answer, _ = answer_of("(1) Control.\n\nFor example, bottlenecks.\n\n(2) Depth.\n\nAfterword.")
    assert answer == "1. Control.\n\n   For example, bottlenecks.\n\n2. Depth.\n\nAfterword."


def test_a_lead_line_before_a_new_list_ends_the_previous_list():
    answer, _ = answer_of(
        "Advantages:\n(1) Simple.\n(2) Fast.\nDisadvantages:\n(1) Linear.\n(2) Outliers."
    )
    assert answer == (
        "Advantages:\n\n1. Simple.\n2. Fast.\n\nDisadvantages:\n\n1. Linear.\n2. Outliers."
    )


def test_points_out_of_sequence_are_reported():
    answer, doubts = answer_of("(1) One.\n(3) Three.")
    assert answer == "1. One.\n3. Three."
    assert doubts == ["10: point 3 follows point 1; Markdown will number it in sequence"]


def test_where_definitions_become_bullets_with_their_symbols_as_math():
    answer, doubts = answer_of(
        "y = F(x) + x\nWhere:\n F(x) represents the mapping added to the input  x.\n"
        " x is the input.\nThe block then adds them."
    )
    assert answer == (
        "$$y = F(x) + x$$\n\nWhere:\n\n- $F(x)$ represents the mapping added to the input $x$.\n"
        "- $x$ is the input.\n\nThe block then adds them."
    )
    assert doubts == []


def test_a_where_line_that_defines_no_symbol_is_reported():
    answer, doubts = answer_of("Where\nthe weights are learned.")
    assert answer == "Where\n\n- the weights are learned."
    assert doubts == ["10: read as a definition under `Where`, but it does not start with a symbol"]


def test_bullet_lines_become_a_markdown_list():
    answer, _ = answer_of("Options:\n• Adam\n• SGD with momentum")
    assert answer == "Options:\n\n- Adam\n- SGD with momentum"


def test_a_mention_of_an_image_gets_a_note_and_is_reported():
    answer, doubts = answer_of("(1) Slow. (The below image shows the loss.)\n(2) Saturation.")
    assert answer == (
        "1. Slow. (The below image shows the loss.)\n\n"
        "   *(The image was lost when the source page was scraped; it is not included in this "
        "card.)*\n\n2. Saturation."
    )
    assert doubts == [
        "9: points at an image the listing does not contain; the card says it was lost"
    ]
    answer, _ = answer_of("The figure below shows a curve.")
    assert answer.endswith(
        "curve.\n\n*(The image was lost when the source page was scraped; "
        "it is not included in this card.)*"
    )


# --- the card file -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "line", "slug"),
    [
        ("1×1 Convolution", "title: 1×1 Convolution", "1x1-convolution"),
        ("Yes", "title: 'Yes'", "yes"),
        ("Bias: a Review", "title: 'Bias: a Review'", "bias-a-review"),
        ("Régularisation “L2”", "title: Régularisation “L2”", "regularisation-l2"),
    ],
)
def test_the_front_matter_and_file_name_come_from_id_and_title(title, line, slug):
    parsed = parse_listing(f"  • DL0042 {title}\n    Why?\n    Answer\n    A.", "p.txt")
    card = card_text(parsed.entries[0])
    assert card.text.startswith(f"---\nid: DL0042\n{line}\ntags: []\n---\n## Question\n\nWhy?\n")
    assert slugify(title) == slug
    assert str(card.relative_path) == str(card_path("DL0042", title)) == f"DL/DL0042-{slug}.md"


def test_a_line_nearly_all_formula_is_kept_as_prose_and_reported():
    answer, doubts = answer_of(r"\hat{y} = \sigma(Wx + b) where")
    assert answer == r"$\hat{y} = \sigma(Wx + b)$ where"
    assert doubts == ["9: nearly all formula but for `where`: kept as prose with inline math"]
