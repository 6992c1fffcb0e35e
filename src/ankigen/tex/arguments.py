"""Formulas, arguments: how MathJax reads what follows a control sequence.

``{group}``, ``[option]``, delimiters, dimensions, counts, control-sequence names, and the
math inside a text argument, each as MathJax's ``GetArgument``, ``GetBrackets`` and friends.
"""

from __future__ import annotations

import re

from ankigen.tex.reader import matching_brace, option_end, skip_spaces
from ankigen.tex.state import CheckerBase, Frame
from ankigen.tex.tables import DIMENSION, DIMENSION_ONLY, LETTERS


class ArgumentReader(CheckerBase):
    """The argument readers of the checker."""

    def _arguments(self, text: str, i: int, name: str, spec: str) -> int:
        for kind in spec:
            if kind == "s":
                i = _star(text, i)
            elif kind == "o":
                i = self._brackets(text, i, name, math=True)
            elif kind == "d":
                i = self._delimiter(text, i, name)
            elif kind == "D":
                i = self._dimension(text, i, name)
            elif kind == "N":
                value, i = self._argument(text, i, name)
                if re.search(r"[^0-9]", value):
                    raise self.fatal(f"the argument of `\\{name}` must be a positive whole number")
            elif kind == "U":
                value, i = self._argument(text, i, name)
                if not re.fullmatch(r"(?:0?x[0-9A-Fa-f]+|[0-9]+)", value.strip()):
                    raise self.fatal(f"the argument of `\\{name}` must be a character code")
            else:
                value, i = self._argument(text, i, name)
                if kind == "m":
                    self.parse(value, Frame("arg"))
                elif kind == "a":
                    self.parse(value, Frame("matrix", name, aligns=True))
                elif kind == "x":
                    for math in self._text_math(value):
                        self.parse(math, Frame("arg"))
        return i

    def _argument(self, text: str, i: int, name: str) -> tuple[str, int]:
        """MathJax's GetArgument: a {group}'s content, a control sequence, or one character."""
        i = skip_spaces(text, i)
        if i >= len(text):
            raise self.fatal(f"missing argument for `\\{name}`")
        char = text[i]
        if char == "}":
            raise self.fatal(f"missing argument for `\\{name}` before `}}`")
        if char == "\\":
            cs, end = _control_sequence(text, i)
            return "\\" + cs, end
        if char == "{":
            closed = matching_brace(text, i)
            if closed is None:
                raise self.fatal(f"missing `}}` after the argument of `\\{name}`")
            end = closed
            return text[i + 1 : end], end + 1
        return char, i + 1

    def _brackets(self, text: str, i: int, name: str, *, math: bool) -> int:
        """MathJax's GetBrackets: an optional ``[...]``, parsed as math when ``math``."""
        value, i = self._raw_brackets(text, i, name)
        if value is not None and math:
            self.parse(value, Frame("arg"))
        return i

    def _raw_brackets(self, text: str, i: int, name: str) -> tuple[str | None, int]:
        """The content of an optional ``[...]`` (braces inside are skipped), if there is one."""
        j = skip_spaces(text, i)
        if j >= len(text) or text[j] != "[":
            return None, i
        end, why = option_end(text, j)
        if end is not None:
            return text[j + 1 : end], end + 1
        if why == "brace":
            raise self.fatal(f"extra `}}` in the optional argument of `\\{name}`")
        raise self.fatal(f"missing `]` after the optional argument of `\\{name}`")

    def _text_math(self, text: str) -> list[str]:
        """The math in a text argument (``\\text{if $x$}``), as MathJax's internalMath finds it."""
        found: list[str] = []
        match, braces, start, i = "", 0, 0, 0
        while i < len(text):
            char = text[i]
            i += 1
            if char == "$":
                if match == "$" and braces == 0:
                    found.append(text[start : i - 1])
                    match, start = "", i
                elif match == "":
                    match, start = "$", i
            elif char == "{" and match:
                braces += 1
            elif char == "}":
                if match == "}" and braces == 0:
                    match, start = "", i
                elif match and braces:
                    braces -= 1
            elif char == "\\":
                ref = re.match(r"(eq)?ref\s*\{", text[i:])
                if match == "" and ref:
                    match, i = "}", i + len(ref.group(0))
                elif i < len(text):
                    char = text[i]
                    i += 1
                    if char == "(" and match == "":
                        match, start = ")", i
                    elif char == ")" and match == ")" and braces == 0:
                        found.append(text[start : i - 2])
                        match, start = "", i
        if match:
            raise self.fatal("math inside a text box is never closed (a lone `$`?)")
        return found

    def _delimiter(self, text: str, i: int, name: str) -> int:
        i = skip_spaces(text, i)
        if i < len(text):
            if text[i] == "\\":
                cs, end = _control_sequence(text, i)
                token = "\\" + cs
            else:
                token, end = text[i], i + 1
            if token in self.tables.delimiters:
                return end
        raise self.fatal(f"missing or unknown delimiter after `\\{name}` (like ( [ \\{{ | or .)")

    def _dimension(self, text: str, i: int, name: str) -> int:
        j = skip_spaces(text, i)
        if j < len(text) and text[j] == "{":
            value, end = self._argument(text, j, name)
            if DIMENSION_ONLY.fullmatch(value):
                return end
        else:
            match = DIMENSION.match(text, j)
            if match:
                return match.end()
        raise self.fatal(f"missing dimension (like 1em) after `\\{name}`")

    def _count(self, text: str, i: int, name: str) -> tuple[int, int]:
        j = skip_spaces(text, i)
        if j >= len(text) or text[j] != "[":
            return 0, i
        end = text.find("]", j)
        if end < 0:
            raise self.fatal(f"missing `]` after the argument count of `\\{name}`")
        value = text[j + 1 : end].strip()
        if not (value.isascii() and value.isdigit() and len(value) <= 3):
            raise self.fatal(f"the argument count of `\\{name}` must be a number")
        return int(value), end + 1

    def _cs_name(self, text: str, i: int, name: str) -> tuple[str, int]:
        value, i = self._argument(text, i, name)
        value = value.strip().removeprefix("\\")
        if not re.fullmatch(r".|[A-Za-z]+", value):
            raise self.fatal(f"`\\{name}` needs a control sequence name like \\R")
        return value, i

    def _cs_token(self, text: str, i: int, name: str) -> tuple[str, int]:
        i = skip_spaces(text, i)
        if i >= len(text) or text[i] != "\\":
            raise self.fatal(f"`\\{name}` needs a control sequence name like \\R")
        return _control_sequence(text, i)


def _control_sequence(text: str, i: int) -> tuple[str, int]:
    """The name of the control sequence whose backslash is at ``i``, and where it ends.

    As in MathJax: a run of ASCII letters (and one space after it), else one character.
    """
    match = LETTERS.match(text, i + 1)
    if match:
        return match.group(0).rstrip(" "), match.end()
    if i + 1 < len(text):
        return text[i + 1], i + 2
    return "", i + 1


def _star(text: str, i: int) -> int:
    j = skip_spaces(text, i)
    return j + 1 if j < len(text) and text[j] == "*" else i


def _star_now(text: str, i: int) -> int:
    return i + 1 if i < len(text) and text[i] == "*" else i
