"""``ankigen new``: a card skeleton in the cards layout, under the next free id of a category.

An id is a card's identity in every learner's collection, so a new card never takes an id
that was ever used: not by a card file (read or not), not by a card the lock remembers,
live or retired, and not by one the last release shipped. The next id is one past the
highest such number in the category, never a gap between them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from ankigen.anki.lockfile import read_lock
from ankigen.errors import AnkigenError, Problem, display_path
from ankigen.release.changelog import read_manifest
from ankigen.scrape.cardfile import card_path
from ankigen.source.config import DeckConfig, load_config
from ankigen.source.controls import CONTROL, describe_control
from ankigen.source.layout import BASIC, CLOZE, KIND_SECTIONS, LOCK_FILE, RELEASE_FILE
from ankigen.source.load import discover, read_card
from ankigen.source.validate import CARD_ID

FILE_ID = re.compile(r"^([A-Z]+[0-9]+)-")  # cards/DL/DL0001-residual-connection.md
DEFAULT_DIGITS = 4  # DL0001


class UsageProblem(ValueError):
    """The command was called wrongly (a bad ID or category): a usage error, not bad input."""


@dataclass(frozen=True)
class NewCard:
    """A card file to write: its id, where it goes, and its text."""

    card_id: str
    path: Path
    text: str


def taken_ids(cards_dir: Path) -> dict[str, str]:
    """Every id ever used in ``cards_dir``, each with where it is used (for messages)."""
    taken: dict[str, str] = {}
    for path in discover(cards_dir):
        shown = display_path(path)
        named = FILE_ID.match(path.name)
        if named:
            taken.setdefault(named.group(1), shown)
        raw = read_card(path)
        if not isinstance(raw, Problem):
            card_id = raw.front.values.get("id")
            if isinstance(card_id, str):
                taken[card_id.strip()] = shown
    lock = read_lock(cards_dir / LOCK_FILE)
    lock_shown = display_path(cards_dir / LOCK_FILE)
    for card_id in lock.cards:
        taken.setdefault(card_id, lock_shown)
    for card_id in lock.retired:
        taken.setdefault(card_id, f"{lock_shown} (a retired card)")
    manifest = read_manifest(cards_dir / RELEASE_FILE)
    release_shown = display_path(cards_dir / RELEASE_FILE)
    for card_id in [*manifest.cards, *manifest.retired]:
        taken.setdefault(card_id, release_shown)
    return taken


def next_id(prefix: str, taken: set[str] | dict[str, str]) -> str:
    """One past the highest id of category ``prefix`` in ``taken``, with as many digits."""
    numbers = [
        match.group(2)
        for match in (CARD_ID.match(card_id) for card_id in taken)
        if match and match.group(1) == prefix
    ]
    highest = max((int(number) for number in numbers), default=0)
    digits = max((len(number) for number in numbers), default=DEFAULT_DIGITS)
    return f"{prefix}{highest + 1:0{digits}d}"


DRAFT_LINE = "draft: true  # delete this line when the card is done: drafts are in no package\n"


def skeleton(card_id: str, title: str, kind: str = BASIC) -> str:
    """The text of a new card file with empty sections, a draft: shown by check, list and
    preview, with its empty sections as warnings, and left out of builds until its author
    deletes the ``draft: true`` line."""
    title_line = yaml.safe_dump({"title": title}, allow_unicode=True, width=10**6).strip()
    type_line = f"type: {kind}\n" if kind != BASIC else ""  # basic is what a card is unsaid
    required, optional = KIND_SECTIONS[kind]
    sections = "\n\n\n".join(f"## {name}" for name in required + optional) + "\n\n"
    return (
        f"---\nid: {card_id}\n{title_line}\n{type_line}tags: []\n{DRAFT_LINE}---\n{sections}"
    )


def plan_new_card(
    cards_dir: Path,
    title: str,
    card_id: str | None = None,
    category: str | None = None,
    *,
    cloze: bool = False,
) -> NewCard:
    """The card file ``ankigen new`` writes; raise ``UsageProblem`` for a wrong call and
    ``AnkigenError`` when the id or the file is taken."""
    config = load_config(cards_dir)
    title = title.strip()
    if not title or "\n" in title:
        raise UsageProblem("TITLE must be one line of text")
    control = CONTROL.search(title)
    if control:
        raise UsageProblem(f"TITLE holds a {describe_control(control.group())}: leave it out")
    prefix = _category(config, card_id, category)
    taken = taken_ids(cards_dir)
    if card_id is None:
        card_id = next_id(prefix, taken)
    elif card_id in taken:
        raise AnkigenError(
            [Problem(taken[card_id], 1, f"id {card_id} is taken: ids are never reused")]
        )
    path = cards_dir / card_path(card_id, title)
    if path.exists():
        raise AnkigenError([Problem(display_path(path), 1, "the file exists already")])
    return NewCard(card_id, path, skeleton(card_id, title, CLOZE if cloze else BASIC))


def _category(config: DeckConfig, card_id: str | None, category: str | None) -> str:
    """The category of the new card: of its ID, from ``--category``, or the only one."""
    known = ", ".join(config.categories)
    if category is not None and category not in config.categories:
        raise UsageProblem(f"unknown category {category!r} (deck.yaml has {known})")
    if card_id is not None:
        match = CARD_ID.match(card_id)
        if not match:
            raise UsageProblem(
                f"{card_id!r} is not an id like DL0005 (capital letters, then digits); "
                "quote a TITLE that has spaces"
            )
        if match.group(1) not in config.categories:
            raise UsageProblem(f"id {card_id}: unknown category {match.group(1)!r} ({known})")
        if category is not None and category != match.group(1):
            raise UsageProblem(f"id {card_id} is not in category {category}")
        return match.group(1)
    if category is not None:
        return category
    if len(config.categories) == 1:
        return next(iter(config.categories))
    raise UsageProblem(f"which category? Give an ID or --category (one of {known})")


def write_new_card(card: NewCard) -> None:
    """Create the card file; never replace one (even one made since it was planned)."""
    card.path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with card.path.open("x", encoding="utf-8", newline="\n") as handle:
            handle.write(card.text)
    except FileExistsError:
        raise AnkigenError(
            [Problem(display_path(card.path), 1, "the file exists already")]
        ) from None
