"""Reading TeX text: the few scanning steps every TeX reader of ankigen shares."""

from __future__ import annotations

import re

WHITESPACE = " \t\r\n"
# what brace matching looks at: an escaped character (never a brace), a brace, a bracket
BRACE_TOKENS = re.compile(r"\\.|[{}\]]", re.DOTALL)


def matching_brace(text: str, i: int) -> int | None:
    """Where the ``{`` at ``i`` is closed (escaped braces such as ``\\{`` do not count), or
    ``None`` when it never is."""
    depth = 0
    for token in BRACE_TOKENS.finditer(text, i):
        char = token.group()
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return token.start()
    return None


def skip_spaces(text: str, i: int) -> int:
    """The first position at or after ``i`` that is not white space."""
    while i < len(text) and text[i] in WHITESPACE:
        i += 1
    return i


def option_end(text: str, i: int) -> tuple[int | None, str]:
    """Where the optional argument ``[…]`` opened at ``i`` is closed, as MathJax's
    GetBrackets finds it (a ``]`` inside braces does not close it); or ``None`` and why not:
    ``"brace"`` for a ``}`` that closes more than it opened, ``"end"`` when nothing closes it."""
    depth = 0
    for token in BRACE_TOKENS.finditer(text, i + 1):
        char = token.group()
        if char == "{":
            depth += 1
        elif char == "}":
            if depth == 0:
                return None, "brace"
            depth -= 1
        elif char == "]" and depth == 0:
            return token.start(), ""
    return None, "end"
