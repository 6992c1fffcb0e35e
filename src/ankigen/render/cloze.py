"""Stage 3c: the deletions (``{{c1::…}}``) of a cloze card, read exactly as Anki reads them.

Anki finds deletions in a field's HTML by text alone: ``{{c`` digits ``::`` opens one, the
next ``}}`` closes the innermost open one, and in a deletion's last stretch of text the first
``::`` starts its hint. So TeX can end a deletion early: in ``{{c1::$\\frac{a}{b^{2}}$}}`` the
``}}`` of the formula closes it. ``protect`` rewrites the formulas that Anki's reading would
cut: inside a deletion, ``}}`` becomes ``} }`` and ``::`` becomes ``: :`` (in math, TeX skips
spaces, so the formula means the same). Formulas outside any deletion keep their TeX as
written: Anki's reading of them is harmless, and the author's TeX is kept wherever it can be.
A deletion inside a formula (``$E = {{c1::mc^2}}$``, which Anki supports) is found by its
braces: its own closing ``}}`` stays, the ``}}`` within it are rewritten.

``reveal`` renders a field's deletions for one card as Anki's ``{{cloze:Field}}`` does, for
the preview: the asked deletion as ``[...]`` (or ``[hint]``) on the front and revealed on the
back, the others as plain text in ``cloze-inactive`` spans.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from ankigen.render.formulas import Formula

OPEN = re.compile(r"\{\{c([0-9]+)::")
CLOSE = "}}"
TOKEN = re.compile(r"\{\{c(?P<number>[0-9]+)::|\}\}")
HINT = "::"
# A note has room for this many card ids (``anki.lock.NOTE_ID_STEP``): card id = note id + c - 1.
MAX_CLOZE = 100
MATH_DELIMITER = re.compile(r"\\[()\[\]]")
HUGE = 10**9  # a deletion numbered with more digits than this has: always refused


def cloze_number(digits: str) -> int:
    """The number of a deletion ``{{c<digits>::``; ``HUGE`` past nine digits (Python would
    refuse to read a number of thousands of digits, and no card has such a deletion)."""
    return int(digits) if len(digits) <= 9 else HUGE


@dataclass(frozen=True)
class Deletion:
    """One deletion found: its number (``c1`` → 1), whether it hides nothing, and whether it
    stands inside another deletion."""

    number: int
    empty: bool
    nested: bool = False


@dataclass(frozen=True)
class ClozeField:
    """A cloze field's HTML with its formulas back in place, safe for Anki's cloze reading."""

    html: str
    deletions: tuple[Deletion, ...]
    unclosed: tuple[int, ...]  # numbers of deletions no ``}}`` closes
    unclosed_in_formula: tuple[int, ...]  # opened in a formula, not closed within it

    @property
    def numbers(self) -> tuple[int, ...]:
        """The distinct deletion numbers, ascending: one card for each."""
        return tuple(sorted({d.number for d in self.deletions}))


def protect(parts: list[str | Formula]) -> ClozeField:
    """Join a field's HTML ``parts`` (text, and formulas where they stand), rewriting the
    formulas that Anki's cloze reading would cut."""
    out: list[str] = []
    stack: list[tuple[int, int]] = []  # open deletions: number, where their content starts
    deletions: list[Deletion] = []
    in_formula: list[int] = []
    for part in parts:
        if isinstance(part, Formula):
            tex, inner, unclosed = protect_tex(part.tex, inside=bool(stack))
            deletions.extend(inner)
            in_formula.extend(unclosed)
            out.append(replace(part, tex=tex).to_html())
            continue
        position = 0
        for match in TOKEN.finditer(part):
            out.append(part[position : match.start()])
            position = match.end()
            if match.group("number") is not None:
                stack.append((cloze_number(match.group("number")), len(out) + 1))
            elif stack:
                number, start = stack.pop()
                deletions.append(Deletion(number, _is_empty("".join(out[start:])), bool(stack)))
            out.append(match.group(0))
        out.append(part[position:])
    return ClozeField("".join(out), tuple(deletions), tuple(n for n, _ in stack), tuple(in_formula))


def protect_tex(tex: str, *, inside: bool) -> tuple[str, list[Deletion], list[int]]:
    """``tex`` rewritten so that Anki's cloze reading sees the deletions the author meant.

    ``inside``: the formula stands in a deletion. Returns the TeX, the deletions within it,
    and the numbers of those it opens but does not close.
    """
    out: list[str] = []
    stack: list[list[int]] = []  # open deletions: [number, brace depth, hint seen, start]
    deletions: list[Deletion] = []
    depth = 0
    last_closed = False  # the last thing written closed a deletion
    i = 0
    while i < len(tex):
        opened = OPEN.match(tex, i)
        if opened:
            stack.append([cloze_number(opened.group(1)), depth, 0, len(out) + 1])
            out.append(opened.group(0))
            i, last_closed = opened.end(), False
            continue
        char = tex[i]
        protecting = inside or bool(stack)
        if char == "}" and stack and depth == stack[-1][1] and tex.startswith(CLOSE, i):
            if out and out[-1].endswith("}") and not last_closed:
                out.append(" ")  # `}` right before `}}` would make Anki close one brace early
            number, _, _, start = stack.pop()
            nested = inside or bool(stack)
            deletions.append(Deletion(number, _is_empty("".join(out[start:])), nested))
            out.append(CLOSE)
            i, last_closed = i + 2, True
            continue
        piece, step = char, 1
        if char == "\\" and i + 1 < len(tex):
            piece, step = tex[i : i + 2], 2  # an escaped brace or colon is no delimiter
        elif char == ":" and protecting and tex.startswith(HINT, i):
            if stack and stack[-1][2]:
                piece, step = HINT, 2  # in a hint, which Anki splits off only once
            elif stack and depth == stack[-1][1]:
                stack[-1][2] = 1  # the author's hint: Anki splits it off here
                piece, step = HINT, 2
            else:
                piece = ": "  # and the next colon is looked at on its own (`:::` → `: : :`)
        elif char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if protecting and out and out[-1].endswith("}"):
                out.append(" ")  # `}}`, even after `\}`, would end a deletion
        out.append(piece)
        i += step
        last_closed = False
    return "".join(out), deletions, [number for number, *_ in stack]


def _is_empty(content: str) -> bool:
    """Whether a deletion's content hides nothing (a hint alone hides nothing)."""
    return not content.split(HINT, 1)[0].strip()


# -- rendering, as Anki's {{cloze:Field}} filter does ------------------------------------------


@dataclass
class _Cloze:
    number: int
    children: list[str | _Cloze] = field(default_factory=list)
    hint: str | None = None


def _parse(text: str) -> list[str | _Cloze]:
    """The text as Anki's cloze parser splits it: text and (nested) deletions."""
    root: list[str | _Cloze] = []
    stack: list[_Cloze] = []

    def add(node: str | _Cloze) -> None:
        (stack[-1].children if stack else root).append(node)

    position = 0
    for match in TOKEN.finditer(text):
        if match.start() > position:
            add(text[position : match.start()])
        position = match.end()
        if match.group(1) is not None:
            stack.append(_Cloze(cloze_number(match.group(1))))
        elif stack:
            cloze = stack.pop()
            last = cloze.children[-1] if cloze.children else None
            if isinstance(last, str) and HINT in last:
                cloze.children[-1], cloze.hint = last.split(HINT, 1)
            add(cloze)
        else:
            add(CLOSE)
    if position < len(text):
        add(text[position:])
    while stack:  # never closed: shown as typed
        cloze = stack.pop()
        add(f"{{{{c{cloze.number}::")
        for child in cloze.children:
            add(child)
    return root


def reveal(text: str, number: int, *, question: bool) -> str:
    """``{{cloze:Field}}`` of field ``text`` on card ``c<number>``: front or back."""
    html, _ = _render(_parse(text), number, question, in_math=False)
    return html


def _render(
    nodes: list[str | _Cloze], number: int, question: bool, *, in_math: bool
) -> tuple[str, bool]:
    """Render ``nodes``; ``in_math``: whether they start inside ``\\(…\\)`` or ``\\[…\\]``.

    Inside math, deletions are shown without spans, which MathJax would not read.
    """
    out: list[str] = []
    for node in nodes:
        if isinstance(node, str):
            out.append(node)
            for delimiter in MATH_DELIMITER.findall(node):
                in_math = delimiter in ("\\(", "\\[")
            continue
        active = node.number == number
        hidden = f"[{node.hint if node.hint is not None else '...'}]"
        content, after = _render(node.children, number, question, in_math=in_math)
        if in_math:
            out.append(hidden if active and question else content)
        elif active and question:
            out.append(
                f'<span class="cloze" data-cloze="{encode_attribute(content)}" '
                f'data-ordinal="{node.number}">{hidden}</span>'
            )
        else:
            kind = "cloze" if active else "cloze-inactive"
            out.append(f'<span class="{kind}" data-ordinal="{node.number}">{content}</span>')
        in_math = after
    return "".join(out), in_math


def encode_attribute(text: str) -> str:
    """Text as Anki writes it into an attribute: every Latin-1 character but a letter or digit
    as a character reference (``&#x20;``), ``& < > "`` by name, other characters as they are."""
    named = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}
    return "".join(
        char
        if ord(char) >= 256 or (char.isascii() and char.isalnum())
        else named.get(char, f"&#x{ord(char):02X};")
        for char in text
    )
