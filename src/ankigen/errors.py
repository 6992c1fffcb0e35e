"""The one error type of ankigen: a list of problems, each located at ``path:line``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with the input, located at a file and line (1-based).

    An error stops the build; a warning is printed and the build goes on (``--strict``
    makes warnings stop it too).
    """

    path: str
    line: int
    message: str
    severity: str = ERROR

    def __str__(self) -> str:
        kind = "warning: " if self.severity == WARNING else ""
        return f"{self.path}:{self.line}: {kind}{self.message}"

    @property
    def is_error(self) -> bool:
        """Whether this problem stops the build even without ``--strict``."""
        return self.severity != WARNING

    @classmethod
    def warning(cls, path: str, line: int, message: str) -> Problem:
        """A problem that is only a warning."""
        return cls(path, line, message, WARNING)


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
