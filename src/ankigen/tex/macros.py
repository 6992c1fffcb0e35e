"""Formulas, macros: ``\\newcommand``, ``\\def``, ``\\let`` and friends, defined and expanded
as MathJax does, inside the one formula that defines them.
"""

from __future__ import annotations

import re

from ankigen.tex.arguments import ArgumentReader, _control_sequence, _star
from ankigen.tex.reader import skip_spaces
from ankigen.tex.state import UserMacro
from ankigen.tex.tables import MAX_EXPANSIONS


class MacroReader(ArgumentReader):
    """Definitions and expansions of the formula's own macros."""

    def _definition(self, text: str, i: int, name: str, method: str) -> int:
        if method == "NewEnvironment":
            env, i = self._argument(text, i, name)
            count, i = self._count(text, i, name)
            i = self._brackets(text, i, name, math=False)
            for _ in range(2):
                _, i = self._argument(text, i, name)
            self.defined_envs[env.strip()] = "m" * count
            return i
        if method == "HandleDeclareOp":
            star = _star(text, i)
            starred, i = star != i, star
            cs, i = self._argument(text, i, name)  # not checked as a name, as in MathJax
            cs = cs.strip().removeprefix("\\")
            op, i = self._argument(text, i, name)
            body = f"\\operatorname{'*' if starred else ''}{{{op}}}"
            self.defined[cs] = UserMacro("", body)
            return i
        if method == "Let":
            cs, i = self._cs_token(text, i, name)
            i = skip_spaces(text, i)
            if i < len(text) and text[i] == "=":
                i = skip_spaces(text, i + 1)
            if i >= len(text):
                return i  # MathJax lets \let\a at the very end pass
            if text[i] == "\\":
                target, i = _control_sequence(text, i)
                self.defined[cs] = self.defined.get(target) or UserMacro("", "\\" + target)
            else:
                self.defined[cs] = UserMacro("", text[i])
                i += 1
            return i
        if method == "MacroDef":
            cs, i = self._cs_token(text, i, name)
            template, i = self._template_of(text, i, cs)
            body, i = self._argument(text, i, name)
            count = len(template) - 1
            delimited = any(template)
            self.defined[cs] = UserMacro("m" * count, body, None, template if delimited else None)
            return i
        cs, i = self._cs_name(text, i, name)
        count, i = self._count(text, i, name)
        default, i = self._raw_brackets(text, i, name)
        body, i = self._argument(text, i, name)
        if default is not None and count:
            self.defined[cs] = UserMacro("o" + "m" * (count - 1), body, default)
        else:
            self.defined[cs] = UserMacro("m" * count, body)
        return i

    def _paired_delimiter(self, text: str, i: int, name: str, method: str) -> int:
        cs, i = self._cs_name(text, i, name)
        count = 0
        if method != "DeclarePairedDelimiter":
            count, i = self._count(text, i, name)
        reads = {"DeclarePairedDelimiter": 2, "DeclarePairedDelimiterX": 3}.get(method, 5)
        for _ in range(reads):
            _, i = self._argument(text, i, name)
        spec = "so" + "m" * max(count, 1 if method == "DeclarePairedDelimiter" else 0)
        self.defined[cs] = UserMacro(spec, None)
        return i

    def _template_of(self, text: str, i: int, cs: str) -> tuple[tuple[str | None, ...], int]:
        """MathJax's GetTemplate: \\def's parameters #1#2… and the text around them."""
        params: list[str | None] = [None]
        start = i
        while i < len(text):
            i = skip_spaces(text, i)
            if i >= len(text):
                break
            if text[i] == "#":
                if i != start:
                    params[-1] = text[start:i]
                digit = text[i + 1 : i + 2]
                if not re.fullmatch(r"[1-9]", digit):
                    raise self.fatal(f"`#` in the parameters of `\\{cs}` must be #1, #2, …")
                if int(digit) != len(params):
                    raise self.fatal(f"the parameters of `\\{cs}` must be numbered in order")
                params.append(None)
                start = i + 2
                i += 2
                continue
            if text[i] == "{":
                if i != start:
                    params[-1] = text[start:i]
                return tuple(params), i
            i += 1
        raise self.fatal(f"missing replacement text for the definition of `\\{cs}`")

    def _parameter(self, text: str, i: int, name: str, delimiter: str | None) -> tuple[str, int]:
        """MathJax's GetParameter: an argument, or all text up to ``delimiter``."""
        if delimiter is None:
            return self._argument(text, i, name)
        start, length, braces = i, 0, False
        while i < len(text):
            if text[i] == "{":
                braces = i == start
                _, i = self._argument(text, i, name)
                length = i - start
            elif text.startswith(delimiter, i) and (
                not re.match(r"\\[A-Za-z]+$", delimiter)
                or not text[i + len(delimiter) :][:1].isalpha()
            ):
                value = (
                    text[start + 1 : start + length - 1] if braces else text[start : start + length]
                )
                return value, i + len(delimiter)
            elif text[i] == "\\":
                match = re.match(r"[A-Za-z]+|.", text[i + 1 :], re.DOTALL)
                i += 1 + (len(match.group(0)) if match else 0)
                length, braces = i - start, False
            else:
                i += 1
                length, braces = length + 1, False
        raise self.fatal(f"runaway argument for `\\{name}`: its delimiter never comes")

    def _template(self, name: str) -> UserMacro | None:
        """A macro MathJax defines by a TeX template (its ``Macro`` method), to expand."""
        entry = self.tables.macros.get(name)
        if entry is None or entry[0] != "Macro":
            return None
        count = int(entry[2]) if len(entry) > 2 and entry[2] else 0
        default = entry[3] if len(entry) > 3 else None
        if default is not None and count:
            return UserMacro("o" + "m" * (count - 1), entry[1], default)
        return UserMacro("m" * count, entry[1])

    def _expand(self, text: str, i: int, name: str, macro: UserMacro) -> tuple[str, int]:
        """The body of ``macro`` with its arguments, as MathJax substitutes them."""
        self.expansions += 1
        if self.expansions > MAX_EXPANSIONS:
            raise self.fatal(f"`\\{name}` expands forever (a recursive definition?)")
        args: list[str] = []
        if macro.template is not None:
            i = skip_spaces(text, i)
            prefix = macro.template[0]
            if prefix and macro.spec:
                if not text.startswith(prefix, i):
                    raise self.fatal(f"`\\{name}` is used differently from its definition")
                i += len(prefix)
            for delimiter in macro.template[1:]:
                value, i = self._parameter(text, i, name, delimiter)
                args.append(value)
        for kind in macro.spec if macro.template is None else "":
            if kind == "o":
                option, i = self._raw_brackets(text, i, name)
                args.append(macro.default or "" if option is None else option)
            else:
                value, i = self._argument(text, i, name)
                args.append(value)
        assert macro.body is not None
        if not args:
            return macro.body, i  # MathJax substitutes nothing: a # in it stays, and fails
        return self._substitute(macro.body, args), i

    def _substitute(self, body: str, args: list[str]) -> str:
        """MathJax's substituteArgs: #1… replaced by the arguments, ## by #."""
        done, text, k = "", "", 0
        while k < len(body):
            char = body[k]
            k += 1
            if char == "\\":
                text += char + body[k : k + 1]
                k += 1
            elif char == "#":
                nxt = body[k : k + 1]
                k += 1
                if nxt == "#":
                    text += "#"
                elif re.fullmatch(r"[1-9]", nxt) and int(nxt) <= len(args):
                    done = _add_args(_add_args(done, text), args[int(nxt) - 1])
                    text = ""
                else:
                    raise self.fatal("a macro body refers to a parameter it does not have")
            else:
                text += char
        return _add_args(done, text)


def _add_args(expanded: str, rest: str) -> str:
    """Join an expansion to the text after it, as MathJax's addArgs: \\a then b stays apart."""
    if re.match(r"[A-Za-z]", rest) and re.search(r"(?:^|[^\\])(?:\\\\)*\\[A-Za-z]+$", expanded):
        expanded += " "
    return expanded + rest
