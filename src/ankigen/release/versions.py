"""Semantic versions: bumping one, and writing it into deck.yaml without touching the rest."""

from __future__ import annotations

import re
from pathlib import Path

from ankigen.errors import AnkigenError, Problem, display_path
from ankigen.source.config import SEMVER
from ankigen.util.files import DECK_LIMIT, read_regular

PARTS = ("major", "minor", "patch")
VERSION_LINE = re.compile(r"^(version:[ \t]*)(['\"]?)([^'\"#\s]+)\2([ \t]*(?:#.*)?)$", re.M)


def bump(version: str, part: str) -> str:
    """``1.4.2`` bumped by ``minor`` is ``1.5.0``; ``2.0.0-rc.1`` by ``major`` is ``2.0.0``."""
    match = SEMVER.match(version)
    if not match or part not in PARTS:
        raise ValueError(f"cannot bump {version!r} by {part!r}")
    major, minor, patch = (int(match.group(i)) for i in (1, 2, 3))
    prerelease = "-" in version.split("+")[0]  # a pre-release of the version a bump reaches
    if prerelease and (part == "patch" or (patch == 0 and (part == "minor" or minor == 0))):
        return f"{major}.{minor}.{patch}"
    if part == "major":
        return f"{major + 1}.0.0"
    if part == "minor":
        return f"{major}.{minor + 1}.0"
    return f"{major}.{minor}.{patch + 1}"


def write_version(deck_yaml: Path, new_version: str) -> str:
    """Replace the ``version:`` line of ``deck_yaml`` in place; comments and layout stay.

    Returns the new text (written atomically by the caller's choice of writer).
    """
    text = read_regular(deck_yaml, DECK_LIMIT, "deck.yaml").decode("utf-8")
    matches = list(VERSION_LINE.finditer(text))
    if len(matches) != 1:
        raise AnkigenError(
            [Problem(display_path(deck_yaml), 1, "expected exactly one top-level `version:` line")]
        )
    match = matches[0]
    line = f"{match.group(1)}{match.group(2)}{new_version}{match.group(2)}{match.group(4)}"
    return text[: match.start()] + line + text[match.end() :]
