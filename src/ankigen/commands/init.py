"""``ankigen init [DIR]``: a new deck from nothing, ready for ``new``, ``build`` and ``release``.

It writes ``DIR/cards/deck.yaml`` (the deck's name, version 0.1.0, categories and ids drawn
at random once), one example card that checks (with a formula) in the cards layout, and
``output/`` in ``DIR/.gitignore``. It never replaces a deck: when ``DIR/cards`` holds a
deck.yaml or any card, it writes nothing and says so. The version is 0.1.0: a deck never
released is built as ``<deck>-0.1.0-dev.apkg``, and ``ankigen release`` (with no part)
releases 0.1.0 itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from ankigen.errors import AnkigenError, Problem, display_path
from ankigen.scrape.cardfile import card_path
from ankigen.source.config import CATEGORY_PREFIX, MAX_NAME
from ankigen.source.controls import CONTROL
from ankigen.source.ids import fresh_ids
from ankigen.source.layout import DECK_FILE
from ankigen.source.load import discover
from ankigen.util.atomic import atomic_write_bytes

FIRST_VERSION = "0.1.0"  # what `ankigen release` with no part releases first
DEFAULT_CATEGORY = ("GEN", "General")
CARDS = "cards"
IGNORED = "output/"
EXAMPLE_TITLE = "Roots of a quadratic"
EXAMPLE_BODY = r"""## Question

What are the roots of $ax^2 + bx + c = 0$, with $a \neq 0$?

## Answer

$$x = \frac{-b \pm \sqrt{b^2 - 4ac}}{2a}$$

They are real when the discriminant $b^2 - 4ac$ is at least $0$.

*An example card made by `ankigen init`: `$…$` is an inline formula, `$$…$$` a displayed
one. Edit it, or delete this file before your first release.*
"""


class InitUsage(ValueError):
    """``ankigen init`` was called wrongly (a bad ``--category`` or ``--name``)."""


@dataclass(frozen=True)
class NewDeck:
    """The files ``ankigen init`` writes: path → text (``.gitignore``'s whole new text)."""

    root: Path
    name: str
    files: dict[Path, str]
    card: Path


def parse_categories(pairs: tuple[str, ...]) -> dict[str, str]:
    """``("DL=Deep Learning", …)`` → ``{"DL": "Deep Learning"}``; the default category
    when none is given; ``InitUsage`` for one that is not ``PREFIX=Name``."""
    categories: dict[str, str] = {}
    for pair in pairs:
        prefix, sep, label = pair.partition("=")
        prefix, label = prefix.strip(), label.strip()
        if not sep or not CATEGORY_PREFIX.match(prefix) or not label:
            raise InitUsage(
                f"--category {pair!r}: write PREFIX=Name, the prefix 1-10 capital letters "
                '(the start of card ids), like --category "DL=Deep Learning"'
            )
        if CONTROL.search(label) or "::" in label:
            raise InitUsage(f"--category {pair!r}: the name must be plain text without '::'")
        if prefix in categories:
            raise InitUsage(f"--category {prefix} is given twice")
        categories[prefix] = label
    return categories or dict([DEFAULT_CATEGORY])


def default_name(root: Path) -> str:
    """A deck name from the folder's name: ``linear-algebra`` → ``Linear Algebra``."""
    words = re.split(r"[-_\s]+", root.resolve().name)
    return " ".join(word[:1].upper() + word[1:] for word in words if word) or "My Deck"


def deck_yaml(name: str, categories: dict[str, str]) -> str:
    """The text of a new deck.yaml, with fresh random ids."""
    deck_id, note_type_id = fresh_ids(2)

    def scalar(value: str) -> str:
        dumped = yaml.safe_dump(value, allow_unicode=True, width=10**6)
        return dumped.removesuffix("\n...\n").rstrip("\n")

    listed = "".join(f"  {prefix}: {scalar(label)}\n" for prefix, label in categories.items())
    return (
        "# The deck's identity (docs/cards.md). deck_id and note_type_id were drawn at\n"
        "# random by `ankigen init`: keep them forever, learners' Anki knows the deck by them.\n"
        f"name: {scalar(name)}\n"
        f"version: {FIRST_VERSION}                 # the last release; the first `ankigen release` "
        "releases this one, later ones raise it (release minor|patch|major)\n"
        f"description: {scalar(f'{name}, flashcards made with ankigen.')}\n"
        "categories:                    # id prefix → category; the prefix starts each card's id\n"
        f"{listed}"
        f"deck_id: {deck_id}\n"
        f"note_type_id: {note_type_id}\n"
    )


def example_card(prefix: str) -> tuple[Path, str]:
    """The example card's path below the cards folder and its text."""
    card_id = f"{prefix}0001"
    text = f"---\nid: {card_id}\ntitle: {EXAMPLE_TITLE}\ntags: [example]\n---\n{EXAMPLE_BODY}"
    return Path(card_path(card_id, EXAMPLE_TITLE)), text


def plan_init(root: Path, name: str | None, categories: dict[str, str]) -> NewDeck:
    """What ``ankigen init`` writes in ``root``; ``AnkigenError`` naming every file in the
    way when there is a deck there already (then nothing is written)."""
    if name is not None and (
        not name.strip()
        or "::" in name
        or CONTROL.search(name)
        or len(name.strip()) > MAX_NAME
        or any(char in name for char in "\n\r\t")
    ):
        raise InitUsage(f"--name must be one line of text without '::', at most {MAX_NAME} long")
    deck_name = name.strip() if name is not None else default_name(root)
    cards = root / CARDS
    problems = _in_the_way(root, cards)
    if problems:
        raise AnkigenError(problems)
    relative, card_text = example_card(next(iter(categories)))
    files = {cards / DECK_FILE: deck_yaml(deck_name, categories), cards / relative: card_text}
    ignore = root / ".gitignore"
    old = ignore.read_text(encoding="utf-8") if ignore.is_file() else None
    wanted = {IGNORED, IGNORED.rstrip("/"), "/" + IGNORED, "/" + IGNORED.rstrip("/")}
    changed = old is None or not wanted & {line.strip() for line in old.splitlines()}
    if changed:
        before = "" if not old else old if old.endswith("\n") else old + "\n"
        files[ignore] = before + IGNORED + "\n"
    return NewDeck(root, deck_name, files, cards / relative)


def _in_the_way(root: Path, cards: Path) -> list[Problem]:
    """A deck already in ``root``: its deck.yaml, its cards, or a file named like the folder."""
    way_out = (
        f"`ankigen init` never replaces a deck: start the new one in another folder "
        f"(`ankigen init NEW-FOLDER`), or move {display_path(cards)} away first"
    )
    if root.exists() and not root.is_dir():
        return [Problem(display_path(root), 1, "is a file, not a folder: give another DIR")]
    if cards.exists() and not cards.is_dir():
        return [Problem(display_path(cards), 1, f"is a file, not a cards folder; {way_out}")]
    problems = []
    outer = next((f for f in root.resolve().parents if (f / DECK_FILE).is_file()), None)
    if (root / DECK_FILE).is_file():
        outer = root
    if outer is not None:
        problems.append(
            Problem(
                display_path(outer / DECK_FILE),
                1,
                f"{display_path(root)} is inside the cards folder of this deck: the new "
                "deck's cards would become its cards; start the new deck outside it",
            )
        )
    if (cards / DECK_FILE).exists():
        problems.append(
            Problem(display_path(cards / DECK_FILE), 1, f"a deck is already here; {way_out}")
        )
    found = discover(cards) if cards.is_dir() else []
    if found:
        listed = ", ".join(display_path(p) for p in found[:3])
        more = f" and {len(found) - 3} more" if len(found) > 3 else ""
        problems.append(
            Problem(display_path(cards), 1, f"holds cards already ({listed}{more}); {way_out}")
        )
    return problems


def write_init(deck: NewDeck) -> None:
    """Write the planned files; if one cannot be written, take back those written before."""
    done: list[tuple[Path, bytes | None]] = []
    try:
        for path, text in deck.files.items():
            before = path.read_bytes() if path.exists() else None
            atomic_write_bytes(path, text.encode("utf-8"))
            done.append((path, before))
    except OSError as exc:
        for path, before in reversed(done):
            if before is None:
                path.unlink(missing_ok=True)
            else:
                atomic_write_bytes(path, before)
        where = display_path(Path(exc.filename)) if exc.filename else display_path(deck.root)
        raise AnkigenError(
            [Problem(where, 1, f"cannot write: {exc.strerror or exc}; nothing was written")]
        ) from None


def next_steps(deck: NewDeck, shown_root: str) -> list[str]:
    """What ``ankigen init`` prints: what it wrote, and the commands to go on with."""
    wrote = [f"  {display_path(path)}" for path in deck.files]
    go = [f"  cd {shown_root}"] if shown_root != "." else []
    return [
        f"Started the deck {deck.name!r} ({FIRST_VERSION}, not released yet):",
        *wrote,
        "Next:",
        *go,
        '  ankigen new "Your first question"   a card skeleton, a draft until you delete '
        "its `draft: true` line",
        "  ankigen preview                     every card as Anki shows it (ankigen serve: live)",
        "  ankigen build                       output/…-dev.apkg, to import into your own "
        "Anki and try",
        f"  ankigen release                     release {FIRST_VERSION} to learners",
    ]
