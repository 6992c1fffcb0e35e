"""Stage 3a: find the formulas in a card's Markdown before Markdown can damage them.

Markdown eats TeX (``_`` becomes ``<em>``, ``\\\\`` loses a backslash), so every formula is
cut out first and put back, as MathJax-ready ``\\(..\\)`` / ``\\[..\\]``, after Markdown ran.

Delimiters: ``$..$`` and ``\\(..\\)`` inline, ``$$..$$`` and ``\\[..\\]`` display. ``\\$`` is a
literal dollar, and so is a ``$`` right before a digit that opens no formula (``$5``). Inside
code spans and fenced code blocks nothing is math. A ``$`` opens inline math only when a
non-space follows it, and closes it only after a non-space and not before a digit (the rule
of Pandoc), so ``$5 and $10`` stays prose. A formula never spans a blank line.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from ankigen.errors import Problem

FENCE_OPEN = re.compile(r"^ {0,3}(`{3,}|~{3,})")
PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")
NEWLINES = re.compile(r"[ \t]*\n[ \t]*")
SPECIAL = re.compile(r"[`\\$]")


@dataclass(frozen=True)
class Formula:
    """One formula of a card: its TeX as written, whether it is display math, and its line."""

    tex: str
    display: bool
    line: int

    def to_html(self) -> str:
        """The formula as Anki's MathJax reads it: ``\\(..\\)`` or ``\\[..\\]``, HTML-escaped.

        A display formula sits in a block that scrolls sideways on narrow screens.
        """
        tex = html.escape(NEWLINES.sub(" ", self.tex.strip()), quote=False)
        if self.display:
            return f'<span class="math-display">\\[{tex}\\]</span>'
        return f"\\({tex}\\)"


@dataclass(frozen=True)
class ScannedText:
    """Markdown cut into prose (``str``) and ``Formula`` pieces, and what was wrong."""

    pieces: tuple[str | Formula, ...]
    problems: tuple[Problem, ...]

    @property
    def formulas(self) -> list[Formula]:
        """The formulas, in order."""
        return [p for p in self.pieces if isinstance(p, Formula)]


def scan(text: str, shown: str, first_line: int) -> ScannedText:
    """Cut ``text`` (which starts at line ``first_line`` of file ``shown``) into prose and math."""
    pieces: list[str | Formula] = []
    problems: list[Problem] = []
    chunk: list[str] = []
    chunk_line = first_line
    fence: str | None = None
    for index, line in enumerate(text.splitlines(keepends=True)):
        opened = FENCE_OPEN.match(line)
        if fence is None:
            if opened:  # prose so far is scanned; the code block is kept as it is
                _scan_prose("".join(chunk), chunk_line, shown, pieces, problems)
                fence, chunk = opened.group(1), []
                pieces.append(line)
            else:
                chunk.append(line)
            continue
        pieces.append(line)
        if opened and opened.group(1)[0] == fence[0] and len(opened.group(1)) >= len(fence):
            fence, chunk_line = None, first_line + index + 1
    _scan_prose("".join(chunk), chunk_line, shown, pieces, problems)
    return ScannedText(tuple(_merge(pieces)), tuple(problems))


def _scan_prose(
    text: str, first_line: int, shown: str, pieces: list[str | Formula], problems: list[Problem]
) -> None:
    out: list[str] = []
    i = 0
    n = len(text)

    def line_at(pos: int) -> int:
        return first_line + text.count("\n", 0, pos)

    def paragraph_end(pos: int) -> int:
        found = PARAGRAPH_BREAK.search(text, pos)
        return found.start() if found else n

    def emit(tex: str, display: bool, pos: int) -> None:
        if not tex.strip():
            problems.append(Problem(shown, line_at(pos), "empty formula"))
        pieces.append("".join(out))
        out.clear()
        pieces.append(Formula(tex.strip(), display, line_at(pos)))

    while i < n:
        char = text[i]
        if char == "`":
            run = len(text[i:]) - len(text[i:].lstrip("`"))
            closing = _closing_backticks(text, i + run, run)
            end = closing + run if closing is not None else i + run
            out.append(text[i:end])
            i = end
        elif char == "\\" and i + 1 < n:
            nxt = text[i + 1]
            if nxt == "$":
                out.append("$")
                i += 2
            elif nxt in "([":
                closer = "\\)" if nxt == "(" else "\\]"
                end = text.find(closer, i + 2, paragraph_end(i))
                if end < 0:
                    problems.append(
                        Problem(shown, line_at(i), f"`\\{nxt}` is never closed by `{closer}`")
                    )
                    out.append(text[i : i + 2])
                    i += 2
                else:
                    emit(text[i + 2 : end], nxt == "[", i)
                    i = end + 2
            else:
                out.append(text[i : i + 2])
                i += 2
        elif char == "$":
            i = _dollar(text, i, out, emit, problems, shown, line_at, paragraph_end)
        else:  # prose, up to the next character that may start code, an escape or math
            special = SPECIAL.search(text, i + 1)
            end = special.start() if special else n
            out.append(text[i:end])
            i = end
    pieces.append("".join(out))


def _dollar(text, i, out, emit, problems, shown, line_at, paragraph_end) -> int:
    """Handle a ``$`` at ``i``; return where scanning goes on."""
    n = len(text)
    limit = paragraph_end(i)
    if text.startswith("$$", i):
        end = _next_dollar(text, i + 2, limit, double=True)
        later = _next_dollar(text, i + 2, n, double=True) if end is None else None
        if later is not None:  # closed, but after a blank line: one problem, not two
            problems.append(
                Problem(
                    shown,
                    line_at(i),
                    f"the display formula `$$` opened here and closed at line {line_at(later)} "
                    "contains a blank line: Markdown ends the paragraph there, so a formula "
                    "cannot span it; delete the blank line (or close the formula with `$$` "
                    "before it and open another after it)",
                )
            )
            out.append(text[i : later + 2])
            return later + 2
        if end is None:
            problems.append(
                Problem(shown, line_at(i), "`$$` is never closed (write \\$ for a dollar sign)")
            )
            out.append("$$")
            return i + 2
        emit(text[i + 2 : end], True, i)
        return end + 2
    nxt = text[i + 1] if i + 1 < n else ""
    if nxt and not nxt.isspace():
        end = _next_dollar(text, i + 1, limit, double=False)
        if (
            end is not None
            and not text[end - 1].isspace()
            and not text[end + 1 : end + 2].isdigit()
        ):
            emit(text[i + 1 : end], False, i)
            return end + 1
        if nxt.isdigit():
            out.append("$")  # a price such as $5
            return i + 1
    problems.append(
        Problem(
            shown,
            line_at(i),
            "unbalanced `$`: no closing `$` in this paragraph (write \\$ for a dollar sign)",
        )
    )
    out.append("$")
    return i + 1


def _next_dollar(text: str, start: int, limit: int, double: bool) -> int | None:
    """Index of the next unescaped ``$`` (or ``$$``) in ``text[start:limit]``.

    The search stops at a backtick: code spans bind tighter than math.
    """
    i = start
    while i < limit:
        if text[i] == "\\":
            i += 2
            continue
        if text[i] == "`":
            return None
        if (
            text[i] == "$"
            and (not double or text.startswith("$$", i))
            and (i + (2 if double else 1) <= limit)
        ):
            return i
        i += 1
    return None


def _closing_backticks(text: str, start: int, run: int) -> int | None:
    """Start of the next run of exactly ``run`` backticks (a code span's end), if any."""
    for match in re.finditer(r"`+", text[start:]):
        if len(match.group(0)) == run:
            return start + match.start()
    return None


def _merge(pieces: list[str | Formula]) -> list[str | Formula]:
    merged: list[str | Formula] = []
    for piece in pieces:
        if isinstance(piece, str):
            if not piece:
                continue
            if merged and isinstance(merged[-1], str):
                merged[-1] += piece
                continue
        merged.append(piece)
    return merged
