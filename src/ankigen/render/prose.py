"""Render stage, prose checks: what an author meant as markup but ships as literal text.

Markdown and Anki pass some writing through untouched, where the author expected it to do
something, and learners see it as typed. Each is a warning at its line and column:

* TeX outside a formula: ``\\varepsilon \\sim \\mathcal{N}(0, 1)`` in prose, or a bare
  ``\\begin{align*} … \\end{align*}`` block. What counts as TeX is the importer's math
  recogniser's judgement (``scrape.mathguess``), which keeps only what would typeset, so a
  Windows path or a ``\\n`` is left alone.
* Cloze look-alikes: ``{{c2:alpha}}``, ``{{C1::…}}``, ``{{c1 ::…}}``, which Anki does not read
  as deletions.
* Obsidian embeds ``![[image.png]]`` and wiki links ``[[DL0001]]``.

Code spans and code blocks are never looked at; neither is math (for TeX and links).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ankigen.errors import Problem
from ankigen.render.formulas import FENCE_OPEN
from ankigen.scrape.mathguess import COMMAND, Math, is_display_line, recover_inline
from ankigen.source.validate import Section

BEGIN = re.compile(r"\\begin\{([A-Za-z]+\*?)\}")
LOOKALIKE = re.compile(r"\{\{(\s*)([cC])(\s*)(\d+)(\s*)(::?)(?!:)")
# not after a name or a closing bracket: ``a[[i]]`` in R, ``x[0][[1]]``, are code
WIKI = re.compile(r"(?<![\w\])])(!?)\[\[([^\[\]\n]+)\]\](?![(\[])")
HTML_CODE = re.compile(r"<(pre|code)\b[^>]*>.*?</\1\s*>", re.S | re.I)
LINK_TARGET = re.compile(r"\]\([^)\n]*\)")  # a Markdown link's or image's destination
LIST_ITEM = re.compile(r"^ {0,3}(?:[-*+]|\d{1,9}[.)])(?:[ \t]|$)")
MAX_SHOWN = 60


def prose_problems(section: Section, shown: str, *, cloze: bool) -> list[Problem]:
    """The warnings for one section (``cloze``: read for Anki's deletions)."""
    code_free = mask_code(section.text)
    prose = mask_math(code_free)
    problems: list[Problem] = []

    def warn(pos: int, message: str) -> None:
        line, column = _position(section, pos)
        problems.append(Problem.warning(shown, line, message, column))

    for pos, message in tex_outside_math(prose):
        warn(pos, message)
    for pos, message in cloze_lookalikes(code_free, section.text, cloze=cloze):
        warn(pos, message)
    for pos, message in wiki_links(prose):
        warn(pos, message)
    return problems


def _position(section: Section, pos: int) -> tuple[int, int]:
    text = section.text
    line = section.line + text.count("\n", 0, pos)
    column = pos - (text.rfind("\n", 0, pos) + 1) + 1
    return line, column


def _blank(text: str) -> str:
    """``text`` with every character but line breaks made a space (positions kept)."""
    return re.sub(r"[^\n]", " ", text)


def mask_code(text: str) -> str:
    """``text`` with code blanked out: fenced and indented code blocks, code spans, HTML
    ``<pre>`` and ``<code>``, and link destinations (addresses are no prose)."""
    out: list[str] = []
    fence: str | None = None
    indented = False
    previous = ""  # the last line that was not blank
    for line in text.splitlines(keepends=True):
        opened = FENCE_OPEN.match(line)
        blank = not line.strip()
        if fence is not None:
            if opened and opened.group(1)[0] == fence[0] and len(opened.group(1)) >= len(fence):
                fence = None
            out.append(_blank(line))
        elif opened:
            fence = opened.group(1)
            out.append(_blank(line))
        elif _indented_code(line, blank, indented, previous, out):
            indented = True
            out.append(_blank(line))
        else:
            indented = indented and blank
            out.append(line)
        if not blank:
            previous = line
    masked = "".join(out)
    masked = HTML_CODE.sub(lambda m: _blank(m.group(0)), masked)
    masked = LINK_TARGET.sub(lambda m: _blank(m.group(0)), masked)
    return re.sub(r"(`+)(?!`).*?(?<!`)\1(?!`)", lambda m: _blank(m.group(0)), masked, flags=re.S)


def _indented_code(
    line: str, blank: bool, indented: bool, previous: str, out: list[str]
) -> bool:
    """Whether ``line`` belongs to an indented code block (four spaces or a tab, after a
    blank line, and not the continuation of a list item)."""
    if blank or not line.startswith(("    ", "\t")):
        return False
    if indented:
        return True
    after_blank = not out or not out[-1].strip()
    in_list = bool(LIST_ITEM.match(previous)) or previous.startswith((" ", "\t"))
    return after_blank and not in_list


MATH = re.compile(
    r"\\\\|\\\$"  # an escaped backslash or dollar: literal
    r"|\$\$.*?\$\$"  # display math (even across a blank line: that is an error of its own)
    r"|\$(?=\S)(?:[^$\\\n]|\\.|\n(?![ \t]*\n))*?(?<=\S)\$(?!\d)"  # inline math
    r"|\\\(.*?\\\)|\\\[.*?\\\]",
    re.S,
)


def mask_math(text: str) -> str:
    """``text`` (code masked) with its formulas and escaped backslashes blanked out."""
    return MATH.sub(lambda m: _blank(m.group(0)), text)


def tex_outside_math(prose: str) -> Iterator[tuple[int, str]]:
    """(position, message) of each stretch of TeX in ``prose`` (code and math masked)."""
    for match in BEGIN.finditer(prose):
        if prose[match.start()] != "\\":
            continue  # inside an environment reported already
        env = match.group(1)
        end = prose.find(f"\\end{{{env}}}", match.end())
        if end >= 0:
            stop = end + len(f"\\end{{{env}}}")
            prose = prose[: match.start()] + _blank(prose[match.start() : stop]) + prose[stop:]
            written = f"`\\begin{{{env}}}` … `\\end{{{env}}}`"
        else:
            written = f"`\\begin{{{env}}}` (and no `\\end{{{env}}}`)"
        yield (
            match.start(),
            f"TeX outside a formula: {written} reaches learners as raw TeX: wrap it in "
            "`$$…$$` (an environment needs a display formula)",
        )
    start = 0
    for line in prose.split("\n"):
        if COMMAND.search(line):
            yield from _line_tex(line, start)
        start += len(line) + 1


def _line_tex(line: str, start: int) -> Iterator[tuple[int, str]]:
    """The TeX in one line of prose: the formulas the importer would recover there."""
    found = [s for s in recover_inline(line, frozenset()).segments if isinstance(s, Math)]
    display = is_display_line(line)
    cursor = 0
    for math in found:
        first = COMMAND.search(math.tex)
        if first is None:
            continue  # a letter or a relation: the importer's guess, not TeX an author wrote
        at = line.find(first.group(0), cursor)
        cursor = at + 1 if at >= 0 else cursor
        tex = _short(math.tex)
        fix = f"`$$…$$`, like `$${tex}$$`" if display else f"`$…$`, like `${tex}$`"
        yield (
            start + max(at, 0),
            f"TeX outside a formula: `{tex}` reaches learners as raw text: wrap it in {fix} "
            "(`$…$` in a sentence, `$$…$$` for a display or an environment)",
        )


def _short(text: str) -> str:
    return text if len(text) <= MAX_SHOWN else text[: MAX_SHOWN - 1] + "…"


def cloze_lookalikes(code_free: str, text: str, *, cloze: bool) -> Iterator[tuple[int, str]]:
    """(position, message) of each ``{{c1:``-like opening Anki does not read as a deletion."""
    for match in LOOKALIKE.finditer(code_free):
        lead, letter, gap, number, space, colons = match.groups()
        why = []
        if letter == "C":
            why.append("a capital C")
        if lead or gap or space:
            why.append("a space")
        if colons == ":":
            why.append("one colon")
        if not why:
            continue
        close = text.find("}}", match.end())
        closed = close >= 0 and "\n\n" not in text[match.end() : close]
        inner = text[match.end() : close] if closed else "…"
        written = text[match.start() : close + 2] if closed else match.group(0)
        fixed = f"{{{{c{number}::{_short(inner)}}}}}"
        where = "" if cloze else "; deletions work only in the `## Text` of a `type: cloze` card"
        yield (
            match.start(),
            f"`{_short(written)}` is not a cloze deletion ({' and '.join(why)}): Anki shows it "
            f"as typed; write `{fixed}`{where}",
        )


def wiki_links(prose: str) -> Iterator[tuple[int, str]]:
    """(position, message) of each Obsidian embed ``![[…]]`` and wiki link ``[[…]]``."""
    for match in WIKI.finditer(prose):
        embed, inner = match.groups()
        target, _, alias = inner.partition("|")
        target = target.strip()
        if embed:
            image = f"<{target}>" if " " in target else target
            yield (
                match.start(),
                f"`![[{inner}]]` is an Obsidian embed, which ships as literal text: write "
                f"Markdown's image `![]({image})`",
            )
        else:
            text = alias.strip() or target
            yield (
                match.start(),
                f"`[[{inner}]]` is a wiki link, which ships as literal text (Anki has no links "
                f"between cards): write the card's id or title as text, like `{text}`",
            )
