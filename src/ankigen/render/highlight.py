"""Render stage, code: fenced code blocks that name their language, highlighted by Pygments.

Highlighting happens once, at build time, so it works offline on every device with no
script: each token of the code becomes a ``<span>`` with Pygments' short class (``k`` a
keyword, ``nf`` a function's name, ``s2`` a string in double quotes…), inside one
``<span class="highlight">`` in the block's ``<code class="language-…">``, and the note
type's stylesheet (``anki.theme``) colours them, by day and by night. A block with no
language, or one Pygments does not know, stays as cmark-gfm wrote it: escaped plain text.

Only Pygments' own lexers are used, never one a plugin adds, and only the classes on
``sanitize.TOKEN_CLASSES`` are written (a token of a finer kind takes its nearest listed
kind's class; an error token and whitespace are plain text), so the same code gives the same
HTML wherever it is built with the same Pygments, and the sanitizer keeps all of it.

In a cloze field, Anki reads deletions by text alone (``render.cloze``): the code's ``{{c1::``,
``}}`` and ``::`` stay plain text between the tokens, so a span never cuts one apart.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Iterable, Iterator

from pygments.lexer import Lexer
from pygments.lexers import find_lexer_class_by_name
from pygments.token import STANDARD_TYPES, Error, Token, Whitespace, _TokenType
from pygments.util import ClassNotFound

from ankigen.render.sanitize import HIGHLIGHT_CLASS, TOKEN_CLASSES

# a fenced block as cmark-gfm renders it: the first word of its info string, escaped text
CODE_BLOCK = re.compile(r'<pre><code class="language-([^"<>]+)">([^<]*)</code></pre>')
# what Anki's cloze reading looks for in a field's text
CLOZE_MARK = re.compile(r"\{\{c[0-9]+::|\}\}|::")
# formula placeholders (``render.card``): a block holding one is left as it is
PLACEHOLDERS = ("\ue000", "\ue001")
PLAIN = (Error, Whitespace)  # written as plain text: no colour, no span


def highlight(html_text: str, *, cloze: bool = False) -> str:
    """``html_text`` (cmark-gfm's) with each fenced code block of a known language highlighted.

    With ``cloze``, the field is read for Anki's deletions, whose marks stay whole.
    """
    if "<pre><code class=" not in html_text:
        return html_text
    return CODE_BLOCK.sub(lambda block: _block(block, cloze=cloze), html_text)


def _block(block: re.Match[str], *, cloze: bool) -> str:
    lexer = _lexer(html.unescape(block.group(1)))
    code = html.unescape(block.group(2))
    if lexer is None or any(mark in code for mark in PLACEHOLDERS):
        return block.group(0)
    pieces = CLOZE_MARK.split(code) if cloze else [code]
    marks = CLOZE_MARK.findall(code) if cloze else []
    out = [f'<pre><code class="language-{block.group(1)}"><span class="{HIGHLIGHT_CLASS}">']
    for index, piece in enumerate(pieces):
        tokens = list(lexer.get_tokens(piece)) if piece else []
        if "".join(value for _, value in tokens) != piece:
            return block.group(0)  # the lexer changed the text: leave the block as it was
        out.extend(_spans(tokens))
        if index < len(marks):
            out.append(marks[index])
    out.append("</span></code></pre>")
    return "".join(out)


def _spans(tokens: Iterable[tuple[_TokenType, str]]) -> Iterator[str]:
    """The tokens as HTML: a run of tokens of one class in one span, plain text bare."""
    run_class = ""
    run: list[str] = []
    for kind, value in tokens:
        token_class = token_class_of(kind)
        if token_class != run_class and run:
            yield _span(run_class, "".join(run))
            run = []
        run_class = token_class
        run.append(value)
    if run:
        yield _span(run_class, "".join(run))


def _span(token_class: str, text: str) -> str:
    escaped = html.escape(text, quote=False)
    return f'<span class="{token_class}">{escaped}</span>' if token_class else escaped


@functools.cache
def token_class_of(kind: _TokenType) -> str:
    """The class a token of ``kind`` is written with: its own or its nearest listed
    ancestor's short class; ``""`` (plain text) for errors, whitespace and plain text."""
    while kind is not Token:
        if any(kind in plain for plain in PLAIN):
            return ""
        token_class = STANDARD_TYPES.get(kind)
        if token_class in TOKEN_CLASSES:
            return token_class
        kind = kind.parent
    return ""


@functools.cache
def _lexer(language: str) -> Lexer | None:
    """Pygments' own lexer for ``language`` (a name or alias, as an info string gives it);
    ``None`` when Pygments has none (a plugin's lexer does not count)."""
    try:
        lexer_class = find_lexer_class_by_name(language.lower())
    except ClassNotFound:
        return None
    if not lexer_class.__module__.startswith("pygments.lexers."):
        return None
    return lexer_class(stripnl=False, ensurenl=False, stripall=False)
