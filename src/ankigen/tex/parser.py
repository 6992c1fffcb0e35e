"""Formulas, the parser: MathJax's ``TexParser`` walk over one formula, step by step.

Each control sequence is handled by the method its MathJax parse method maps to
(``Checker.HANDLERS``); the generic case reads the arguments its spec names.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ankigen.tex.arguments import _control_sequence, _star_now
from ankigen.tex.macros import MacroReader, _add_args
from ankigen.tex.reader import WHITESPACE
from ankigen.tex.state import Frame, TexIssue, UserMacro
from ankigen.tex.suggest import elsewhere_hint, nearest
from ankigen.tex.tables import (
    DIMENSION_ONLY,
    ENVIRONMENT_ARGS,
    EQUATION_METHODS,
    METHOD_ARGS,
    NO_ATOM_METHODS,
    OPERATOR_METHODS,
    OVER_METHOD,
    SCRIPT_BREAKERS,
    TexTables,
)


@dataclass(frozen=True)
class Command:
    """A control sequence to handle: the text, where its arguments start, its name, and
    MathJax's parse method for it with the rest of its table entry."""

    text: str
    i: int
    name: str
    method: str
    entry: list[Any]


OVER_SPECS = {
    "atopwithdelims": "dd",
    "overwithdelims": "dd",
    "above": "D",
    "abovewithdelims": "ddD",
}


class Checker(MacroReader):
    """One formula's parse."""

    def parse(self, text: str, frame: Frame) -> None:
        """Parse ``text`` as math inside ``frame``; raise ``Fatal`` at MathJax's first error."""
        stack = [frame]
        i, n = 0, len(text)
        while i < n:
            char = text[i]
            top = stack[-1]
            if char in WHITESPACE:
                i += 1
            elif char == "\\":
                name, end = _control_sequence(text, i)
                macro = self.defined.get(name) or self._template(name)
                if macro is not None and macro.body is not None:
                    # as MathJax does: splice the expansion into the text and read on
                    expanded, end = self._expand(text, end, name, macro)
                    text, i = _add_args(expanded, text[end:]), 0
                    n = len(text)
                else:
                    i = self._command(text, end, name, stack)
            elif char == "%":
                self.lint(
                    "`%` starts a TeX comment that hides the rest of the formula: "
                    "write `\\%` for a percent sign"
                )
                end = text.find("\n", i)
                i = n if end < 0 else end + 1
            elif char in "^_":
                i = self._script(text, i, top, char)
            else:
                self._character(char, stack)
                i += 1
        self._end_of_formula(stack[-1])

    def _character(self, char: str, stack: list[Frame]) -> None:
        """One character of the formula that is not a control sequence, space or script."""
        top = stack[-1]
        if char == "{":
            stack.append(Frame("group"))
        elif char == "}":
            self._close_group(stack)
        elif char == "'":
            self._prime(top)
        elif char == "&":
            if top.pending_script:
                raise self.fatal("missing superscript or subscript before `&`")
            if not top.aligns:
                raise self.fatal(
                    "`&` outside an alignment environment (like aligned, cases or matrix)"
                )
            self._new_base(top)
            top.cell_empty = True
        elif char == "#":
            raise self.fatal("`#` is only allowed in a \\newcommand definition")
        elif char == "$":
            self.lint("stray `$` inside a formula: write `\\$` for a dollar sign")
            self._atom(top)
        else:
            self._atom(top)

    def _close_group(self, stack: list[Frame]) -> None:
        top = stack[-1]
        if top.kind == "group":
            self._close(top)
            stack.pop()
            alone = top.atoms == 1 and not top.overs
            self._atom(stack[-1], kind=top.core_kind if alone else "")
        elif top.kind == "left":
            raise self.fatal("`\\left` without `\\right` before this `}`")
        elif top.kind == "env":
            raise self.fatal(f"`}}` inside `\\begin{{{top.name}}}` closes no `{{`")
        else:
            raise self.fatal("extra `}` (or a missing `{`)")

    def _prime(self, top: Frame) -> None:
        if top.pending_script:
            raise self.fatal("a prime right after ^ or _: write x^{\\prime} or x'")
        if top.has_sup and top.last_kind not in ("moves", "over"):
            raise self.fatal("a prime after a superscript: use braces, like {x^2}'")
        top.has_prime = True
        top.prime_kind, top.last_kind = top.last_kind, ""
        top.cell_empty = False
        if not top.atoms:
            top.atoms = 1  # a prime with nothing before it has an empty base

    def _end_of_formula(self, top: Frame) -> None:
        if top.pending_script:
            raise self.fatal("missing superscript or subscript at the end")
        if top.kind == "group":
            raise self.fatal("missing `}`: a `{` is never closed")
        if top.kind == "left":
            raise self.fatal("`\\left` without `\\right`")
        if top.kind == "env":
            raise self.fatal(f"`\\begin{{{top.name}}}` without `\\end{{{top.name}}}`")

    def _close(self, frame: Frame) -> None:
        if frame.pending_script:
            raise self.fatal("missing superscript or subscript before `}`")

    def _new_base(self, frame: Frame) -> None:
        frame.has_sub = frame.has_sup = frame.has_prime = False
        frame.last_kind = ""

    def _atom(self, frame: Frame, kind: str = "") -> None:
        """A new atom (character, group, macro with its arguments) completes in ``frame``."""
        frame.cell_empty = False
        if frame.pending_script:
            frame.pending_script = False  # it was the script; the base stays
            return
        self._new_base(frame)
        frame.last_kind = frame.core_kind = kind
        frame.atoms += 1

    def _script(self, text: str, i: int, frame: Frame, char: str) -> int:
        if frame.pending_script:
            raise self.fatal("missing superscript or subscript before another `^` or `_`")
        if char == "^":
            if frame.has_sup or (frame.has_prime and frame.prime_kind == "moves"):
                raise self.fatal("double superscript: use braces, like x^{a^b}")
            frame.has_sup = True
        else:
            if frame.has_sub:
                raise self.fatal("double subscript: use braces, like x_{a_b}")
            frame.has_sub = True
            frame.has_sup = frame.has_sup or frame.has_prime  # x'_i puts the prime up there
        frame.pending_script = True
        frame.cell_empty = False
        return i + 1

    def _command(self, text: str, i: int, name: str, stack: list[Frame]) -> int:
        top = stack[-1]
        closing = ")" if not self.display else "]"
        if name == closing:
            raise self.fatal(f"`\\{closing}` inside the formula ends the math early")
        if not name:  # MathJax would read \) or \] after it as \\ and ) or ]: no end found
            raise self.fatal("a lone `\\` at the end of the formula")
        if name in self.defined:
            i = self._arguments(text, i, name, self.defined[name].spec)
            self._atom(top)
            return i
        if name == "require":  # refused by ``tex.safety``: it loads code at review time
            return self._arguments(text, i, name, "t")
        entry = self.tables.macros.get(name)
        if entry is None:
            self.issues.append(TexIssue(_unknown(name, self.tables, self.defined), True))
            self._atom(top)  # noundefined shows the name in red and goes on
            return i
        method = entry[0]
        if top.pending_script and method in SCRIPT_BREAKERS:
            raise self.fatal(f"`\\{name}` right after ^ or _ needs braces, like x^{{\\{name} …}}")
        handler = HANDLERS.get(method)
        if handler is None and method.startswith("DeclarePairedDelimiter"):
            handler = Checker._paired_delimiter_command
        return (handler or Checker._generic)(self, Command(text, i, name, method, entry), stack)

    # -- one handler per MathJax parse method that needs more than its arguments read ------

    def _begin_end(self, c: Command, stack: list[Frame]) -> int:
        if c.name == "begin":
            return self._begin(c.text, c.i, stack)
        return self._end(c.text, c.i, stack)

    def _left_right_command(self, c: Command, stack: list[Frame]) -> int:
        return self._left_right(c.text, c.i, c.name, stack)

    def _definition_command(self, c: Command, stack: list[Frame]) -> int:
        return self._definition(c.text, c.i, c.name, c.method)

    def _paired_delimiter_command(self, c: Command, stack: list[Frame]) -> int:
        return self._paired_delimiter(c.text, c.i, c.name, c.method)

    def _limits(self, c: Command, stack: list[Frame]) -> int:
        if not stack[-1].last_kind:
            raise self.fatal(f"`\\{c.name}` is allowed only after an operator like \\sum")
        return c.i

    def _over(self, c: Command, stack: list[Frame]) -> int:
        top = stack[-1]
        top.overs += 1
        if top.overs > 1:
            raise self.fatal(f"ambiguous use of `\\{c.name}`: put each fraction in braces")
        i = self._arguments(c.text, c.i, c.name, OVER_SPECS.get(c.name, ""))
        self._new_base(top)
        top.cell_empty = False
        return i

    def _hline(self, c: Command, stack: list[Frame]) -> int:
        top = stack[-1]
        if top.kind not in ("env", "matrix") or not top.cell_empty:
            raise self.fatal(f"`\\{c.name}` only at the start of a row of an array")  # or cell
        return c.i

    def _line_break(self, c: Command, stack: list[Frame]) -> int:
        top, text, i = stack[-1], c.text, c.i
        if c.method == "Cr" and not top.aligns:
            raise self.fatal(f"`\\{c.name}` outside an array (write \\\\ for a new line)")
        if c.method == "CrLaTeX":
            i = _star_now(text, i)
            if i < len(text) and text[i] == "[":
                value, i = self._raw_brackets(text, i, c.name)
                if value and not DIMENSION_ONLY.fullmatch(value):
                    raise self.fatal(f"`\\{c.name}[…]` needs a dimension, like \\\\[2pt]")
        self._new_base(top)  # a line break: not a base for scripts, not a group's core
        if top.aligns:
            top.cell_empty = True
        return i

    def _verb(self, c: Command, stack: list[Frame]) -> int:
        text, i = c.text, c.i
        if i >= len(text):
            raise self.fatal("missing delimiter for `\\verb`")
        end = text.find(text[i], i + 1)
        if end < 0:
            raise self.fatal(f"`\\verb{text[i]}` is never closed")
        self._atom(stack[-1])
        return end + 1

    def _sqrt(self, c: Command, stack: list[Frame]) -> int:
        i = self._brackets(c.text, c.i, c.name, math=True)
        value, i = self._argument(c.text, i, c.name)
        if value == "\\frac":  # MathJax reads \sqrt\frac{a}{b} as \sqrt{\frac{a}{b}}
            i = self._arguments(c.text, i, "frac", "mm")
        else:
            self.parse(value, Frame("arg"))
        self._atom(stack[-1], kind=_kind(c.entry))
        return i

    def _generic(self, c: Command, stack: list[Frame]) -> int:
        """Any other method: read the arguments its spec names (``METHOD_ARGS``)."""
        if c.method == "Genfrac":
            spec = "mm" if len(c.entry) > 1 else "ttttmm"
        elif c.method == "HandleTag" and self.display:
            spec = "sx"
        else:
            spec = METHOD_ARGS.get(c.method, "")
        i = self._arguments(c.text, c.i, c.name, spec)
        if c.method not in NO_ATOM_METHODS:
            self._atom(stack[-1], kind=_kind(c.entry))
        return i

    def _begin(self, text: str, i: int, stack: list[Frame]) -> int:
        env, i = self._argument(text, i, "begin")
        if env in self.defined_envs:
            i = self._arguments(text, i, f"begin{{{env}}}", self.defined_envs[env])
            stack.append(Frame("env", env, aligns=True))
            return i
        entry = self.tables.environments.get(env)
        if entry is None:
            envs = self.tables.environments
            near = nearest(env, envs)
            known = [near] if near else difflib.get_close_matches(env, envs, n=1)
            hint = f" (did you mean {known[0]}?)" if known else ""
            raise self.fatal(f"unknown environment `{env}`{hint}")
        method = entry[0]
        equation = method in EQUATION_METHODS or (method == "AlignAt" and entry[3] is True)
        if method == "EqnArray" and entry[3] is not True:
            equation = False  # split: it sits inside an equation
        if (equation or env == "split") and not self.display:
            self.lint(f"environment `{env}` needs display math: use $$…$$ instead of $…$")
        if equation:
            if self.equation_seen:
                raise self.fatal(f"`\\begin{{{env}}}` inside or after another equation environment")
            self.equation_seen = True
        spec = ENVIRONMENT_ARGS.get(method, "")
        if method == "Array" and len(entry) > 4 and entry[4] is None:
            spec = "t"  # subarray and friends read their column spec
        i = self._arguments(text, i, f"begin{{{env}}}", spec)
        stack.append(Frame("env", env, aligns=method != "Equation"))
        return i

    def _end(self, text: str, i: int, stack: list[Frame]) -> int:
        env, i = self._argument(text, i, "end")
        if env not in self.tables.environments and env not in self.defined_envs:
            raise self.fatal(f"unknown environment `{env}`")
        top = stack[-1]
        if top.kind == "env":
            if top.name != env:
                raise self.fatal(f"`\\begin{{{top.name}}}` ended by `\\end{{{env}}}`")
            self._close(top)
            stack.pop()
            self._atom(stack[-1])
            return i
        if top.kind == "left":
            raise self.fatal(f"`\\left` without `\\right` before `\\end{{{env}}}`")
        if top.kind == "group":
            raise self.fatal(f"missing `}}` before `\\end{{{env}}}`")
        raise self.fatal(f"`\\end{{{env}}}` without `\\begin{{{env}}}`")

    def _left_right(self, text: str, i: int, name: str, stack: list[Frame]) -> int:
        i = self._delimiter(text, i, name)
        top = stack[-1]
        if name == "left":
            stack.append(Frame("left"))
        elif name == "middle":
            if top.kind != "left":
                raise self.fatal("`\\middle` outside `\\left` … `\\right`")
        else:
            if top.kind != "left":
                raise self.fatal("`\\right` without `\\left`")
            self._close(top)
            stack.pop()
            self._atom(stack[-1])
        return i


HANDLERS: dict[str, Callable[[Checker, Command, list[Frame]], int]] = {
    "BeginEnd": Checker._begin_end,
    "LeftRight": Checker._left_right_command,
    "NewCommand": Checker._definition_command,
    "MacroDef": Checker._definition_command,
    "Let": Checker._definition_command,
    "HandleDeclareOp": Checker._definition_command,
    "NewEnvironment": Checker._definition_command,
    "Limits": Checker._limits,
    OVER_METHOD: Checker._over,
    "HLine": Checker._hline,
    "CrLaTeX": Checker._line_break,
    "Cr": Checker._line_break,
    "Verb": Checker._verb,
    "Sqrt": Checker._sqrt,
}


def _kind(entry: list[Any]) -> str:
    """Whether a macro makes an operator ("op"), one with scripts above and below ("moves")."""
    method = entry[0]
    if method == "NamedOp" or (method == "char" and "movesupsub" in entry):
        return "moves"
    if method == "UnderOver" and len(entry) > 2 and entry[2]:
        return "over"  # \overbrace{..}^{n}: moves its scripts too, but takes a prime before ^
    if method in OPERATOR_METHODS or (method == "char" and "op" in entry):
        return "op"
    if method == "TeXAtom" and len(entry) > 1 and entry[1] == 1:
        return "op"  # \mathop{..}
    return ""


def _unknown(name: str, tables: TexTables, defined: dict[str, UserMacro]) -> str:
    hint = elsewhere_hint(name)
    if hint:
        return f"unknown control sequence `\\{name}`: {hint}"
    close = nearest(name, [*tables.macros, *defined])
    if close is None:  # no near name by edits: difflib's looser likeness, as before
        found = difflib.get_close_matches(name, [*tables.macros, *defined], n=1, cutoff=0.75)
        close = found[0] if found and len(name) > 1 else None
    hint = f" (did you mean \\{close}?)" if close else ""
    return f"unknown control sequence `\\{name}`{hint}: Anki's MathJax does not know it"
