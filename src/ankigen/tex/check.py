"""Check stage, formulas: would each formula typeset in Anki's MathJax 3, and is it safe TeX?

Anki typesets ``\\(..\\)`` and ``\\[..\\]`` with MathJax 3's full TeX bundle (ams, mathtools,
mhchem, newcommand, noerrors, noundefined, …; see ``tests/js/anki-tex.js``). A formula MathJax
cannot parse shows up on the learner's phone as raw TeX in a box, an unknown control sequence
in red. This module parses the TeX much as MathJax's ``TexParser`` does, using MathJax's own
tables of control sequences, environments and delimiters (``data/mathjax-tex.json``, generated
from the ``mathjax-full`` package by ``tests/js/dump-tex-tables.js``), so that the build can
refuse a formula before it ships. ``tests/test_mathjax_agreement.py`` runs the real MathJax on
a corpus of good and bad formulas and checks that both agree.

Two kinds of findings: ``mathjax`` ones are what MathJax itself rejects; the others are
ankigen's stricter rules for things MathJax silently gets wrong for a learner (a ``%`` that
comments out the rest of the formula, a stray ``$``, a raw line break in inline math, a display
environment inside inline math). What a formula may make MathJax do on a learner's device
(links, styles, ``\\require``) is ``texsafety``'s rule, added here. Macros defined with
``\\newcommand`` and friends count only inside the formula that defines them: on a phone, the
order in which formulas are typeset is not the order in the deck.
"""

from __future__ import annotations

import contextlib
import difflib
import json
import re
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from ankigen.errors import Problem
from ankigen.render.formulas import NEWLINES, Formula
from ankigen.tex.reader import WHITESPACE, matching_brace, option_end, skip_spaces
from ankigen.tex.safety import hazards

# Argument specs of MathJax's parse methods (the method names its tables give each macro):
#   m  an argument parsed as math        t  an argument taken as text (braces must balance)
#   o  an optional [argument]            s  an optional *
#   d  a delimiter, as after \left       D  a dimension such as 1em
#   N  a positive whole number           a  a body with & and \\ (plain TeX's \matrix{..})
#   U  a character code, like 65 or x41     x  text with $math$ inside (MathJax's internalMath)
# A method not listed reads no arguments here; where MathJax would still read one, this
# checker is lenient rather than wrong.
METHOD_ARGS: dict[str, str] = {
    "Accent": "m",
    "Aboxed": "m",
    "BBox": "om",
    "Boldsymbol": "m",
    "Braket": "m",
    "CFrac": "omm",
    "Cancel": "m",
    "CancelTo": "tm",
    "Class": "tm",
    "Color": "ot",
    "ColorBox": "tx",
    "Cramped": "om",
    "DefineColor": "ttt",
    "Enclose": "tom",
    "FBox": "x",
    "FColorBox": "ttx",
    "FrameBox": "oox",
    "Frac": "mm",
    "HBox": "x",
    "HandleLabel": "t",
    "HandleOperatorName": "sm",
    "HandleRef": "t",
    "HandleTag": "st",  # "sx" in display math, the only place a tag is typeset
    "Href": "tm",
    "Hskip": "D",
    "Id": "tm",
    "Lap": "m",
    "Machine": "t",
    "MakeBig": "d",
    "MathChoice": "mmmm",
    "MathFont": "m",
    "MathLap": "om",
    "MathMBox": "m",
    "MathMakeBox": "oom",
    "Mathtip": "mm",
    "Matrix": "a",
    "MoveLeftRight": "Dm",
    "MoveRoot": "t",
    "MtLap": "x",
    "Overset": "mm",
    "Overunderset": "mmm",
    "Phantom": "m",
    "Prescript": "mmm",
    "RaiseLower": "Dm",
    "Rule": "ttt",
    "SetOptions": "t",
    "SideSet": "mm",
    "Smash": "om",
    "SplitFrac": "mm",
    "Sqrt": "om",
    "Style": "tm",
    "TableColor": "ot",
    "TeXAtom": "m",
    "TextColor": "otm",
    "UnderOver": "m",
    "UnderOverBracket": "oom",
    "Underset": "mm",
    "Unicode": "oU",
    "VDotsWithin": "t",
    "XMathStrut": "om",
    "rule": "ott",
    "xArrow": "om",
}
# Environments that read arguments after \begin{name}, by MathJax method.
ENVIRONMENT_ARGS: dict[str, str] = {
    "AlignAt": "N",
    "AlignedArray": "ot",
    "AmsEqnArray": "o",
    "Empheq": "ot",
    "MtMatrix": "o",
    "MtMultlined": "oo",
    "MtSmallMatrix": "o",
    "NumCases": "t",
    "SpreadLines": "t",
    "XalignAt": "N",
}
# Methods whose environments are whole displayed equations (MathJax's "equation structures",
# which cannot nest). LaTeX allows them only in display math.
EQUATION_METHODS = {"EqnArray", "Equation", "Multline", "FlalignArray", "XalignAt", "Empheq"}
OPERATOR_METHODS = {"NamedFn", "HandleOperatorName"}
# Switches and markers: they make no atom, so x^2\displaystyle^3 is still one base.
NO_ATOM_METHODS = {
    "SetFont",
    "SetSize",
    "SetStyle",
    "Color",
    "HandleLabel",
    "HandleTag",
    "HandleNoTag",
    "Nonscript",
    "DefineColor",
}
OVER_METHOD = "Over"
# After ^ or _, these push no finished atom, so MathJax wants the script in braces.
SCRIPT_BREAKERS = {
    "SetFont",
    "SetSize",
    "SetStyle",
    "Color",
    "BeginEnd",
    "TeXAtom",
    OVER_METHOD,
    "NamedFn",
    "CrLaTeX",
    "Cr",
    "Not",
    "Matrix",
    "HLine",
}
# MathJax's dimensions (ParseUtil.matchDimen): a number and a unit, like 1em or -.5pt.
_NUMBER_UNIT = r"\s*[-+]?(?:[.,]\d+|\d+(?:[.,]\d*)?)\s*(?:pt|em|ex|mu|px|mm|cm|in|pc)"
DIMENSION = re.compile(_NUMBER_UNIT + " ?")
DIMENSION_ONLY = re.compile(_NUMBER_UNIT + r"\s*")
LETTERS = re.compile(r"[A-Za-z]+ ?")
PARAMETER = re.compile(r"#(\d)")
MAX_EXPANSIONS = 10_000  # MathJax's maxMacros: beyond it, a definition must be recursive


@dataclass(frozen=True)
class TexIssue:
    """One finding in a formula; ``mathjax`` when MathJax itself rejects the formula."""

    message: str
    mathjax: bool


@dataclass(frozen=True)
class TexTables:
    """MathJax's tables as Anki configures it: macros, environments and delimiters."""

    macros: dict[str, list[Any]]
    environments: dict[str, list[Any]]
    delimiters: frozenset[str]


@cache
def tables() -> TexTables:
    """The tables generated from mathjax-full (``data/mathjax-tex.json``)."""
    text = resources.files("ankigen").joinpath("data/mathjax-tex.json").read_text("utf-8")
    data = json.loads(text)
    return TexTables(data["macros"], data["environments"], frozenset(data["delimiters"]))


class _Fatal(Exception):
    """MathJax stops at its first TeX error; so does the checker."""


@dataclass
class _Frame:
    """An open construct: the formula, a {group}, \\left..\\right, an environment, an argument."""

    kind: str  # top, group, left, env, arg, matrix
    name: str = ""
    aligns: bool = False  # whether & and \\ make cells here
    cell_empty: bool = True
    pending_script: bool = False
    has_sub: bool = False
    has_sup: bool = False
    has_prime: bool = False
    # what the last base is: "op" (an operator like \int or \sin), "moves" (one whose scripts
    # go above and below: \sum, \lim), "over" (\overbrace{..}), or "" for anything else
    last_kind: str = ""
    prime_kind: str = ""  # the kind of the base a prime was put on
    atoms: int = 0
    core_kind: str = ""  # the kind of the last atom, which is the group's core if it is alone
    overs: int = 0


@dataclass(frozen=True)
class _UserMacro:
    """A macro the formula defines: its argument spec, and the TeX it expands to."""

    spec: str
    body: str | None  # None: checked by its spec only (mathtools' paired delimiters)
    default: str | None = None
    # \def\f#1.#2;{..}: the text before #1 and after each parameter, where there is some
    template: tuple[str | None, ...] | None = None


@dataclass
class _Checker:
    """One formula's parse: its own macro definitions and what was found."""

    display: bool
    tables: TexTables
    issues: list[TexIssue] = field(default_factory=list)
    defined: dict[str, _UserMacro] = field(default_factory=dict)
    defined_envs: dict[str, str] = field(default_factory=dict)
    equation_seen: bool = False
    expansions: int = 0

    # -- findings ---------------------------------------------------------------------------

    def fatal(self, message: str) -> _Fatal:
        self.issues.append(TexIssue(message, True))
        return _Fatal(message)

    def lint(self, message: str) -> None:
        if TexIssue(message, False) not in self.issues:
            self.issues.append(TexIssue(message, False))

    # -- the parse --------------------------------------------------------------------------

    def parse(self, text: str, frame: _Frame) -> None:
        """Parse ``text`` as math inside ``frame``; raise ``_Fatal`` at MathJax's first error."""
        stack = [frame]
        i, n = 0, len(text)
        while i < n:
            char = text[i]
            top = stack[-1]
            if char in WHITESPACE:
                i += 1
            elif char == "%":
                self.lint(
                    "`%` starts a TeX comment that hides the rest of the formula: "
                    "write `\\%` for a percent sign"
                )
                end = text.find("\n", i)
                i = n if end < 0 else end + 1
            elif char == "{":
                stack.append(_Frame("group"))
                i += 1
            elif char == "}":
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
                i += 1
            elif char in "^_":
                i = self._script(text, i, top, char)
            elif char == "'":
                if top.pending_script:
                    raise self.fatal("a prime right after ^ or _: write x^{\\prime} or x'")
                if top.has_sup and top.last_kind not in ("moves", "over"):
                    raise self.fatal("a prime after a superscript: use braces, like {x^2}'")
                top.has_prime = True
                top.prime_kind, top.last_kind = top.last_kind, ""
                top.cell_empty = False
                if not top.atoms:
                    top.atoms = 1  # a prime with nothing before it has an empty base
                i += 1
            elif char == "&":
                if top.pending_script:
                    raise self.fatal("missing superscript or subscript before `&`")
                if not top.aligns:
                    raise self.fatal(
                        "`&` outside an alignment environment (like aligned, cases or matrix)"
                    )
                self._new_base(top)
                top.cell_empty = True
                i += 1
            elif char == "#":
                raise self.fatal("`#` is only allowed in a \\newcommand definition")
            elif char == "$":
                self.lint("stray `$` inside a formula: write `\\$` for a dollar sign")
                self._atom(top)
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
            else:
                self._atom(top)
                i += 1
        top = stack[-1]
        if top.pending_script:
            raise self.fatal("missing superscript or subscript at the end")
        if top.kind == "group":
            raise self.fatal("missing `}`: a `{` is never closed")
        if top.kind == "left":
            raise self.fatal("`\\left` without `\\right`")
        if top.kind == "env":
            raise self.fatal(f"`\\begin{{{top.name}}}` without `\\end{{{top.name}}}`")

    def _close(self, frame: _Frame) -> None:
        if frame.pending_script:
            raise self.fatal("missing superscript or subscript before `}`")

    def _new_base(self, frame: _Frame) -> None:
        frame.has_sub = frame.has_sup = frame.has_prime = False
        frame.last_kind = ""

    def _atom(self, frame: _Frame, kind: str = "") -> None:
        """A new atom (character, group, macro with its arguments) completes in ``frame``."""
        frame.cell_empty = False
        if frame.pending_script:
            frame.pending_script = False  # it was the script; the base stays
            return
        self._new_base(frame)
        frame.last_kind = frame.core_kind = kind
        frame.atoms += 1

    def _script(self, text: str, i: int, frame: _Frame, char: str) -> int:
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

    # -- control sequences ------------------------------------------------------------------

    def _command(self, text: str, i: int, name: str, stack: list[_Frame]) -> int:
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
        if name == "require":  # refused by ``texsafety``: it loads code at review time
            return self._arguments(text, i, name, "t")
        entry = self.tables.macros.get(name)
        if entry is None:
            self.issues.append(TexIssue(_unknown(name, self.tables, self.defined), True))
            self._atom(top)  # noundefined shows the name in red and goes on
            return i
        method = entry[0]
        if top.pending_script and method in SCRIPT_BREAKERS:
            raise self.fatal(f"`\\{name}` right after ^ or _ needs braces, like x^{{\\{name} …}}")
        if method == "BeginEnd":
            return self._begin(text, i, stack) if name == "begin" else self._end(text, i, stack)
        if method == "LeftRight":
            return self._left_right(text, i, name, stack)
        if method in ("NewCommand", "MacroDef", "Let", "HandleDeclareOp", "NewEnvironment"):
            return self._definition(text, i, name, method)
        if method.startswith("DeclarePairedDelimiter"):
            return self._paired_delimiter(text, i, name, method)
        if method == "Limits":
            if not top.last_kind:
                raise self.fatal(f"`\\{name}` is allowed only after an operator like \\sum")
            return i
        if method == OVER_METHOD:
            top.overs += 1
            if top.overs > 1:
                raise self.fatal(f"ambiguous use of `\\{name}`: put each fraction in braces")
            spec = {"atopwithdelims": "dd", "overwithdelims": "dd", "above": "D"}.get(name, "")
            if name == "abovewithdelims":
                spec = "ddD"
            i = self._arguments(text, i, name, spec)
            self._new_base(top)
            top.cell_empty = False
            return i
        if method == "HLine":
            if top.kind not in ("env", "matrix") or not top.cell_empty:
                raise self.fatal(f"`\\{name}` only at the start of a row of an array")  # or cell
            return i
        if method in ("CrLaTeX", "Cr"):
            if method == "Cr" and not top.aligns:
                raise self.fatal(f"`\\{name}` outside an array (write \\\\ for a new line)")
            if method == "CrLaTeX":
                i = _star_now(text, i)
                if i < len(text) and text[i] == "[":
                    value, i = self._raw_brackets(text, i, name)
                    if value and not DIMENSION_ONLY.fullmatch(value):
                        raise self.fatal(f"`\\{name}[…]` needs a dimension, like \\\\[2pt]")
            self._new_base(top)  # a line break: not a base for scripts, not a group's core
            if top.aligns:
                top.cell_empty = True
            return i
        if method == "Verb":
            if i >= len(text):
                raise self.fatal("missing delimiter for `\\verb`")
            end = text.find(text[i], i + 1)
            if end < 0:
                raise self.fatal(f"`\\verb{text[i]}` is never closed")
            self._atom(top)
            return end + 1
        if method == "Genfrac":
            spec = "mm" if len(entry) > 1 else "ttttmm"
        else:
            spec = METHOD_ARGS.get(method, "")
        if method == "HandleTag" and self.display:
            spec = "sx"
        if method == "Sqrt":
            i = self._brackets(text, i, name, math=True)
            value, i = self._argument(text, i, name)
            if value == "\\frac":  # MathJax reads \sqrt\frac{a}{b} as \sqrt{\frac{a}{b}}
                i = self._arguments(text, i, "frac", "mm")
            else:
                self.parse(value, _Frame("arg"))
            spec = ""
        i = self._arguments(text, i, name, spec)
        if method not in NO_ATOM_METHODS:
            self._atom(top, kind=_kind(entry))
        return i

    def _begin(self, text: str, i: int, stack: list[_Frame]) -> int:
        env, i = self._argument(text, i, "begin")
        if env in self.defined_envs:
            i = self._arguments(text, i, f"begin{{{env}}}", self.defined_envs[env])
            stack.append(_Frame("env", env, aligns=True))
            return i
        entry = self.tables.environments.get(env)
        if entry is None:
            known = difflib.get_close_matches(env, self.tables.environments, n=1)
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
        stack.append(_Frame("env", env, aligns=method != "Equation"))
        return i

    def _end(self, text: str, i: int, stack: list[_Frame]) -> int:
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

    def _left_right(self, text: str, i: int, name: str, stack: list[_Frame]) -> int:
        i = self._delimiter(text, i, name)
        top = stack[-1]
        if name == "left":
            stack.append(_Frame("left"))
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
            self.defined[cs] = _UserMacro("", body)
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
                self.defined[cs] = self.defined.get(target) or _UserMacro("", "\\" + target)
            else:
                self.defined[cs] = _UserMacro("", text[i])
                i += 1
            return i
        if method == "MacroDef":
            cs, i = self._cs_token(text, i, name)
            template, i = self._template_of(text, i, cs)
            body, i = self._argument(text, i, name)
            count = len(template) - 1
            delimited = any(template)
            self.defined[cs] = _UserMacro("m" * count, body, None, template if delimited else None)
            return i
        cs, i = self._cs_name(text, i, name)
        count, i = self._count(text, i, name)
        default, i = self._raw_brackets(text, i, name)
        body, i = self._argument(text, i, name)
        if default is not None and count:
            self.defined[cs] = _UserMacro("o" + "m" * (count - 1), body, default)
        else:
            self.defined[cs] = _UserMacro("m" * count, body)
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
        self.defined[cs] = _UserMacro(spec, None)
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

    def _template(self, name: str) -> _UserMacro | None:
        """A macro MathJax defines by a TeX template (its ``Macro`` method), to expand."""
        entry = self.tables.macros.get(name)
        if entry is None or entry[0] != "Macro":
            return None
        count = int(entry[2]) if len(entry) > 2 and entry[2] else 0
        default = entry[3] if len(entry) > 3 else None
        if default is not None and count:
            return _UserMacro("o" + "m" * (count - 1), entry[1], default)
        return _UserMacro("m" * count, entry[1])

    def _expand(self, text: str, i: int, name: str, macro: _UserMacro) -> tuple[str, int]:
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
                value, i = self._raw_brackets(text, i, name)
                args.append(macro.default or "" if value is None else value)
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

    # -- arguments --------------------------------------------------------------------------

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
                    self.parse(value, _Frame("arg"))
                elif kind == "a":
                    self.parse(value, _Frame("matrix", name, aligns=True))
                elif kind == "x":
                    for math in self._text_math(value):
                        self.parse(math, _Frame("arg"))
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
            end = matching_brace(text, i)
            if end is None:
                raise self.fatal(f"missing `}}` after the argument of `\\{name}`")
            return text[i + 1 : end], end + 1
        return char, i + 1

    def _brackets(self, text: str, i: int, name: str, *, math: bool) -> int:
        """MathJax's GetBrackets: an optional ``[...]``, parsed as math when ``math``."""
        value, i = self._raw_brackets(text, i, name)
        if value is not None and math:
            self.parse(value, _Frame("arg"))
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
        if not value.isdigit():
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


def _add_args(expanded: str, rest: str) -> str:
    """Join an expansion to the text after it, as MathJax's addArgs: \\a then b stays apart."""
    if re.match(r"[A-Za-z]", rest) and re.search(r"(?:^|[^\\])(?:\\\\)*\\[A-Za-z]+$", expanded):
        expanded += " "
    return expanded + rest


def _unknown(name: str, tables: TexTables, defined: dict[str, _UserMacro]) -> str:
    known = [*tables.macros, *defined]
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.75) if len(name) > 1 else []
    hint = f" (did you mean \\{close[0]}?)" if close else ""
    return f"unknown control sequence `\\{name}`{hint}: Anki's MathJax does not know it"


def shipped_tex(formula: Formula) -> str:
    """The TeX exactly as MathJax reads it in the field (see ``Formula.to_html``)."""
    return NEWLINES.sub(" ", formula.tex.strip())


def tex_issues(tex: str, display: bool) -> list[TexIssue]:
    """Everything wrong with ``tex`` (as MathJax reads it) in inline or display math."""
    checker = _Checker(display, tables())
    if _open_braces(tex):
        # MathJax looks for the closing \) or \] outside braces only: it would not find it
        checker.issues.append(TexIssue("missing `}`: a `{` is never closed", True))
        return checker.issues
    with contextlib.suppress(_Fatal):
        checker.parse(tex, _Frame("top"))
    return checker.issues


def _open_braces(tex: str) -> int:
    """Braces left open, counted as MathJax's FindTeX counts them when finding the math."""
    depth, k = 0, 0
    while k < len(tex):
        if tex[k] == "\\":
            k += 2
            continue
        if tex[k] == "{":
            depth += 1
        elif tex[k] == "}" and depth:
            depth -= 1
        k += 1
    return depth


def mathjax_rejects(tex: str, display: bool) -> bool:
    """Whether MathJax 3, as Anki configures it, shows an error for ``tex``."""
    return any(issue.mathjax for issue in tex_issues(tex, display))


def formula_problems(formula: Formula, shown: str) -> list[Problem]:
    """The problems of one formula of card file ``shown``, at the formula's line."""
    if not formula.tex.strip():
        return []  # mathtex reports the empty formula
    tex = shipped_tex(formula)
    messages = [issue.message for issue in tex_issues(tex, formula.display)]
    messages.extend(hazards(tex))
    if not formula.display and "\n" in formula.tex.strip():
        messages.insert(0, "line break inside inline math: keep $…$ on one line, or use $$…$$")
    source = _abbreviate(formula)
    return [Problem(shown, formula.line, f"formula {source}: {message}") for message in messages]


def _abbreviate(formula: Formula, limit: int = 40) -> str:
    tex = shipped_tex(formula)
    if len(tex) > limit:
        tex = tex[: limit - 1] + "…"
    return f"$${tex}$$" if formula.display else f"${tex}$"
