"""A built version never changes: a second, different package under the same version would
mean two learners on "1.2.0" with different cards, and no way to tell them apart."""

from __future__ import annotations

import tempfile
from pathlib import Path

from .apkg import read_package
from .diff import diff_packages
from .errors import AnkigenError, Problem, display_path

SHOWN = 8  # the message names at most this many cards


def changed_package_problem(target: Path, data: bytes, version: str) -> Problem | None:
    """The error to report when ``target`` exists with other bytes than ``data``, else None."""
    if not target.exists() or target.read_bytes() == data:
        return None
    try:
        old = read_package(target)
    except AnkigenError:
        return None  # a broken file (a copy cut short, say) is no published version: rebuild it
    with tempfile.TemporaryDirectory(prefix="ankigen-") as work:
        new_path = Path(work) / "new.apkg"
        new_path.write_bytes(data)
        diff = diff_packages(old, read_package(new_path))
    differing = [
        *(f"{c.label} new" for c in diff.new),
        *(f"{c.label} changed" for c in diff.updated + diff.not_applied + diff.blocked),
        *(f"{c.label} retired" for c in diff.retired),
        *(f"{c.label} removed" for c in diff.left_behind),
    ]
    what = ", ".join(differing[:SHOWN]) + (
        f" and {len(differing) - SHOWN} more" if len(differing) > SHOWN else ""
    )
    if not what:
        what = "the note type or deck description"
    return Problem(
        display_path(target),
        1,
        f"version {version} was already built with other content ({what}): a built version "
        "never changes; raise `version` in deck.yaml (`ankigen release patch` does it), or "
        "pass --force to overwrite it",
    )
