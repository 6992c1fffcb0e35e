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
(links, styles, ``\\require``) is ``tex.safety``'s rule, added here. Macros defined with
``\\newcommand`` and friends count only inside the formula that defines them: on a phone, the
order in which formulas are typeset is not the order in the deck.
"""

from __future__ import annotations

import contextlib

from ankigen.errors import Problem
from ankigen.render.formulas import NEWLINES, Formula
from ankigen.tex.parser import Checker
from ankigen.tex.safety import hazards
from ankigen.tex.state import Fatal, Frame, TexIssue
from ankigen.tex.tables import tables


def shipped_tex(formula: Formula) -> str:
    """The TeX exactly as MathJax reads it in the field (see ``Formula.to_html``)."""
    return NEWLINES.sub(" ", formula.tex.strip())


def tex_issues(tex: str, display: bool) -> list[TexIssue]:
    """Everything wrong with ``tex`` (as MathJax reads it) in inline or display math."""
    checker = Checker(display, tables())
    if _deepest_group(tex) > MAX_GROUP_DEPTH:
        checker.issues.append(TexIssue(TOO_DEEP, True))
        return checker.issues
    if _open_braces(tex):
        # MathJax looks for the closing \) or \] outside braces only: it would not find it
        checker.issues.append(TexIssue("missing `}`: a `{` is never closed", True))
        return checker.issues
    try:
        with contextlib.suppress(Fatal):
            checker.parse(tex, Frame("top"))
    except RecursionError:  # groups within arguments within groups: the check's own limit
        checker.issues.append(TexIssue(TOO_DEEP, True))
    return checker.issues


MAX_GROUP_DEPTH = 200  # MathJax gives up near 2,000; no formula needs a tenth of that
TOO_DEEP = (
    f"braces, `\\left`…`\\right` or environments nested more than {MAX_GROUP_DEPTH} deep: "
    "MathJax cannot typeset it; flatten the formula"
)


def _deepest_group(tex: str) -> int:
    """How deep ``{``, ``\\left`` and ``\\begin`` nest in ``tex``, in one pass (a formula
    with fewer openings than the limit is no deeper than their count: not walked)."""
    openings = tex.count("{") + tex.count("\\left") + tex.count("\\begin")
    if openings <= MAX_GROUP_DEPTH:
        return openings
    depth = deepest = 0
    k = 0
    while k < len(tex):
        char = tex[k]
        if char == "\\":
            if tex.startswith(("left", "begin"), k + 1):
                depth += 1
            elif tex.startswith(("right", "end"), k + 1):
                depth = max(depth - 1, 0)
            k += 2
            continue
        if char == "{":
            depth += 1
        elif char == "}":
            depth = max(depth - 1, 0)
        deepest = max(deepest, depth)
        k += 1
    return max(deepest, depth)


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
    if not messages:
        return []
    source = _abbreviate(formula)
    return [Problem(shown, formula.line, f"formula {source}: {message}") for message in messages]


def _abbreviate(formula: Formula, limit: int = 40) -> str:
    tex = shipped_tex(formula)
    if len(tex) > limit:
        tex = tex[: limit - 1] + "…"
    return f"$${tex}$$" if formula.display else f"${tex}$"
