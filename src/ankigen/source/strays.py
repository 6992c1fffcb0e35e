"""Files in the cards folder that are not read as cards, but look meant to be.

Only ``*.md`` files are cards. A card saved as ``.markdown``, ``.MD``, ``.mdown`` or ``.txt``
(with front matter, so plainly a card) would be left out of the deck without a word: each is
a warning naming the file and the name to give it. And a ``.md`` file with no front matter and
nothing of a card (no ``## Question``, no id in its name), such as a README or notes, is
skipped with a warning rather than failing the build (``not_a_card``).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from ankigen.errors import Problem, display_path
from ankigen.source.load import FENCE

CARD_LIKE_SUFFIXES = (".markdown", ".mdown", ".mkd", ".mkdn", ".md", ".txt", ".text")
PEEK_BYTES = 4096
SECTION = re.compile(r"^ {0,3}#{1,3}\s*(question|answer|text|extra)\s*#*\s*$", re.I | re.M)
ID_NAME = re.compile(r"^[A-Z]+[0-9]+(?:[-_. ]|$)")
SKIPPED = "skipped: not a card (no front matter); a card starts with a line `---`"


def stray_card_files(others: list[str]) -> list[Problem]:
    """A warning for each card-like file among ``others`` (the files of the cards folder
    that are not ``*.md``, as ``discover_named`` found them) that is not named ``*.md``."""
    problems = []
    for path in sorted(others):
        name = os.path.basename(path)
        stem, suffix = os.path.splitext(name)
        if suffix.lower() not in CARD_LIKE_SUFFIXES or not os.path.isfile(path):
            continue
        try:
            with open(path, "rb") as handle:
                head = handle.read(PEEK_BYTES)
        except OSError:
            continue
        first = head.removeprefix(b"\xef\xbb\xbf").split(b"\n", 1)[0].rstrip()
        if first != FENCE.encode():
            continue
        shown = display_path(Path(path))
        problems.append(
            Problem.warning(
                shown,
                1,
                f"`{name}` starts with front matter like a card, but only `.md` files are "
                f"cards, so it is left out of the deck: rename it to `{stem}.md`",
            )
        )
    return problems


def not_a_card(path: Path, text: str) -> bool:
    """Whether a ``.md`` file without front matter is plainly no card (a README, notes): no
    section heading of a card, no id in its name, no ``id:`` line."""
    if ID_NAME.match(path.name) or SECTION.search(text):
        return False
    return not re.search(r"^(id|title):", text, re.M)
