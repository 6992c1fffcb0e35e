"""Formulas, the parse's state: open constructs, the formula's own macros, what was found.

``CheckerBase`` holds what every part of the checker (``arguments``, ``macros``, ``parser``)
reads and writes; each part is a class on top of the one before.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ankigen.tex.tables import TexTables


@dataclass(frozen=True)
class TexIssue:
    """One finding in a formula; ``mathjax`` when MathJax itself rejects the formula."""

    message: str
    mathjax: bool


class Fatal(Exception):
    """MathJax stops at its first TeX error; so does the checker."""


@dataclass
class Frame:
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
class UserMacro:
    """A macro the formula defines: its argument spec, and the TeX it expands to."""

    spec: str
    body: str | None  # None: checked by its spec only (mathtools' paired delimiters)
    default: str | None = None
    # \def\f#1.#2;{..}: the text before #1 and after each parameter, where there is some
    template: tuple[str | None, ...] | None = None


@dataclass
class CheckerBase:
    """One formula's parse: its own macro definitions and what was found."""

    display: bool
    tables: TexTables
    issues: list[TexIssue] = field(default_factory=list)
    defined: dict[str, UserMacro] = field(default_factory=dict)
    defined_envs: dict[str, str] = field(default_factory=dict)
    equation_seen: bool = False
    expansions: int = 0

    def fatal(self, message: str) -> Fatal:
        self.issues.append(TexIssue(message, True))
        return Fatal(message)

    def lint(self, message: str) -> None:
        if TexIssue(message, False) not in self.issues:
            self.issues.append(TexIssue(message, False))

    def parse(self, text: str, frame: Frame) -> None:
        """Parse ``text`` as math inside ``frame`` (``parser.Checker``)."""
        raise NotImplementedError
