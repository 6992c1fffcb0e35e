"""The one error type of ankigen: a list of problems, each located at ``path:line``."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import total_ordering
from pathlib import Path

ERROR = "error"
WARNING = "warning"
ECHO_LIMIT = 80  # characters of a user's value a message repeats

# Control characters (but tab and line feed), DEL, C1 controls (ESC's 8-bit twins) and the
# bidirectional overrides: printed as escapes, so that no message can drive the terminal.
_UNPRINTABLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """``text`` with every character that could drive a terminal written as an escape
    (ESC as ``\\x1b``); a file name that is not UTF-8 (surrogate escapes) as ``\\udcff``."""
    text = _UNPRINTABLE.sub(_escape, text)
    if text.isascii():
        return text
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def shorten(value: object, limit: int = ECHO_LIMIT) -> str:
    """``value`` as text, cut to ``limit`` characters with ``…``: a message repeats what
    the author wrote, never a megabyte of it."""
    text = value if isinstance(value, str) else str(value)
    return text if len(text) <= limit else text[:limit] + "…"


def quoted(value: object, limit: int = ECHO_LIMIT) -> str:
    """``repr(value)`` cut like ``shorten``; the value is cut before ``repr`` runs, so a
    huge list or string costs no more than its first characters."""
    if isinstance(value, str):
        return repr(value[:limit]) + ("…" if len(value) > limit else "")
    if isinstance(value, (list, tuple, dict, set)) and len(value) > limit:
        return f"{type(value).__name__} of {len(value)} items"
    try:
        return shorten(repr(value), limit)
    except RecursionError:  # lists in lists, thousands deep
        return f"a {type(value).__name__} nested too deep to show"


@total_ordering
@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input, located at a file and line (1-based), and at a column
    (1-based) where it is known (0: not known, and not printed).

    An error stops the build; a warning is printed and the build goes on (``--strict``
    makes warnings stop it too). Problems sort by position: file, line, column.
    """

    path: str
    line: int
    message: str
    severity: str = ERROR
    column: int = field(default=0)

    def __str__(self) -> str:
        kind = "warning: " if self.severity == WARNING else ""
        where = f"{self.line}:{self.column}" if self.column else f"{self.line}"
        return printable(f"{self.path}:{where}: {kind}{self.message}")

    def _key(self) -> tuple[str, int, int, str, str]:
        return (self.path, self.line, self.column, self.message, self.severity)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Problem):
            return NotImplemented
        return self._key() < other._key()

    @property
    def is_error(self) -> bool:
        """Whether this problem stops the build even without ``--strict``."""
        return self.severity != WARNING

    @classmethod
    def warning(cls, path: str, line: int, message: str, column: int = 0) -> Problem:
        """A problem that is only a warning."""
        return cls(path, line, message, WARNING, column)


class AnkigenError(Exception):
    """Raised when the input has problems; carries every problem found in the run."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def display_path(path: Path) -> str:
    """A path as the user should read it: relative to the working directory when it is below it."""
    try:
        resolved = path.resolve()
    except (OSError, RuntimeError):  # a symlink loop: show the link itself
        resolved = path.parent.resolve() / path.name
    try:
        return resolved.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.as_posix()
