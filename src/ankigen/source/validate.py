"""Stage 2: check each card's front matter and sections and turn it into a ``CardSource``."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ankigen.errors import Problem, quoted, shorten
from ankigen.source.config import DeckConfig
from ankigen.source.controls import CONTROL, describe_control
from ankigen.source.layout import BASIC, KIND_SECTIONS
from ankigen.source.load import RawCard

CARD_ID = re.compile(r"^([A-Z]+)([0-9]+)$")
TAG = re.compile(r"^[^\s\"\x00-\x1f\x7f]+$")
KNOWN_KEYS = ("id", "title", "tags", "type", "deck", "draft", "guid", "html")
# Anki's GUID alphabet (base 91): a ``guid:`` kept from a package is one of these strings
# (genanki's and other tools' may hold any printable character: all are kept)
GUID = re.compile(r"^[^\x00-\x1f\x7f]{1,256}$")
DRAFT = "draft"  # `draft: true`: a card in the making, left out of packages and releases
DRAFT_NOTE = "draft: "  # starts the message of each problem of a draft (all are warnings)
SOUND_TAG = "[sound:"  # Anki plays it wherever it stands in a field
TYPES = tuple(KIND_SECTIONS)
MAX_DECK_DEPTH = 8  # levels below the deck a card may name with `deck:` or its folders
UNSAFE_DECK_CHARS = re.compile(r'[<>"\t\n\r]')
HEADING = re.compile(r"^ {0,3}##[ \t]+(.*?)[ \t#]*$")
FENCE_OPEN = re.compile(r"^ {0,3}(`{3,}|~{3,})")


@dataclass(frozen=True)
class Section:
    """A section's Markdown and the line of the file where that Markdown starts."""

    text: str
    line: int


@dataclass(frozen=True)
class CardSource:
    """A card whose front matter and structure are valid, ready to render."""

    shown: str
    id: str
    category: str
    title: str
    tags: tuple[str, ...]
    sections: dict[str, Section]  # by name, in the order of the note's fields (KIND_SECTIONS)
    id_line: int
    path: Path | None = None  # the card file, which image paths are relative to
    kind: str = BASIC  # its ``type:``: basic, cloze, or a note type declared in deck.yaml
    base: str = BASIC  # the built-in kind its type builds on: basic or cloze
    deck: str = ""  # its subdeck below the deck (``Deep Learning::CNN``); empty: the deck
    draft: bool = False  # ``draft: true``: shown by check, list and preview; never packaged
    guid: str = ""  # ``guid:``, the note's GUID kept from a package; "" derived from the id
    html: tuple[str, ...] = ()  # ``html:``, the sections whose text is their field's HTML
    deletions: tuple[str, ...] = ()  # the sections a ``cloze: true`` own type reads deletions in


@dataclass(frozen=True)
class CardRef:
    """Where a valid card is: what the checks across cards need of it (``cross_card_problems``)."""

    shown: str
    id: str
    id_line: int
    draft: bool = False
    guid: str = ""

    @classmethod
    def of(cls, card: CardSource) -> CardRef:
        """The reference of ``card``."""
        return cls(card.shown, card.id, card.id_line, card.draft, card.guid)


def is_draft(front: dict[str, Any]) -> bool:
    """Whether front matter says ``draft: true``."""
    return front.get(DRAFT) is True


def as_draft_problem(problem: Problem) -> Problem:
    """A problem of a draft: a warning that says it is one (a draft blocks nothing)."""
    if problem.message.startswith(DRAFT_NOTE) and not problem.is_error:
        return problem
    return Problem.warning(problem.path, problem.line, DRAFT_NOTE + problem.message)


def cross_card_problems(cards: Sequence[CardSource | CardRef]) -> list[Problem]:
    """What is wrong between valid cards (an id or a GUID used twice), as opposed to within
    one."""
    return _duplicates(cards) + _duplicate_guids(cards)


def validate_card(raw: RawCard, config: DeckConfig) -> tuple[CardSource | None, list[Problem]]:
    """Check one card's front matter keys and its ``## Question`` / ``## Answer`` sections."""
    problems: list[Problem] = []
    front = raw.front

    def problem(key: str | None, message: str) -> None:
        line = front.key_lines.get(key, front.first_line - 1) if key else front.first_line - 1
        problems.append(Problem(raw.shown, line, message))

    for key in sorted(set(front.values) - set(KNOWN_KEYS)):
        problem(key, f"unknown front-matter key {quoted(key)} (known: {', '.join(KNOWN_KEYS)})")
    draft = _draft(front.values, problem)

    card_id, category = _card_id(front.values, config, problem)
    title = _text(front.values, "title", problem)
    if title is not None and SOUND_TAG in title.lower():
        problem(
            "title",
            "the title holds a [sound:…], which Anki would play with the title, though only "
            "a card's sections bundle audio: move it into the question or the answer",
        )
        title = None
    tags = _tags(front.values.get("tags"), problem)
    kind = front.values.get("type", BASIC)
    layout = kind_sections(config, kind) if isinstance(kind, str) else None
    if layout is None and config.any_type:
        return None, problems  # deck.yaml has errors: its note types are not known
    if layout is None:
        known = ", ".join((*TYPES, *config.note_types))
        problem(
            "type",
            f"unknown `type: {kind}` (known: {known}); declare a type of your own under "
            "`note_types:` in deck.yaml (docs/cards.md: Note types of your own)",
        )
        return None, problems
    deck = _deck(front.values.get("deck"), raw, config, problem)
    guid = _guid(front.values.get("guid"), problem)
    html_sections = _html(front.values.get("html"), layout, problem)

    required, optional = layout
    sections = _sections(raw, problems, kind, layout, draft)
    if sections is not None:  # an optional section left out is an empty one
        last = sections[required[-1]].line if required else raw.body_line
        sections = {name: sections.get(name) or Section("", last) for name in required + optional}
    if card_id is None or title is None or tags is None or sections is None or deck is None:
        return None, problems
    if guid is None or html_sections is None:
        return None, problems
    declared = config.note_types.get(kind)
    return (
        CardSource(
            shown=raw.shown,
            id=card_id,
            category=category,
            title=title,
            tags=tags,
            sections=sections,
            id_line=front.key_lines["id"],
            path=raw.path,
            kind=kind,
            base=declared.base if declared is not None else kind,
            deck=deck or "",
            draft=draft,
            guid=guid,
            html=html_sections,
            deletions=declared.deletion_fields if declared is not None else (),
        ),
        problems,
    )


def _card_id(values: dict[str, Any], config: DeckConfig, problem: Any) -> tuple[str | None, str]:
    """The card's ``id`` and its category (the id's prefix); ``None`` when wrong (reported)."""
    card_id = _text(values, "id", problem)
    if card_id is None:
        return None, ""
    match = CARD_ID.match(card_id)
    if not match:
        problem(
            "id", f"id {quoted(card_id)} must be capital letters A-Z then digits 0-9, like DL0001"
        )
        return None, ""
    if match.group(1) not in config.categories:
        known = ", ".join(sorted(config.categories))
        problem(
            "id", f"id {card_id}: unknown category {quoted(match.group(1))} (deck.yaml has {known})"
        )
        return None, ""
    return card_id, match.group(1)


def _draft(values: dict[str, Any], problem: Any) -> bool:
    """Whether the card is a draft; a ``draft:`` that is neither true nor false is wrong."""
    if values.get(DRAFT, False) is not False and not is_draft(values):
        problem(
            DRAFT,
            "`draft` is true (a card in the making, left out of packages) or false; "
            "delete the line when the card is finished",
        )
    return is_draft(values)


def kind_sections(config: DeckConfig, kind: str) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    """The sections of a card of ``type: kind`` (required, then optional); ``None`` for a
    type that is neither built in nor declared."""
    if kind in KIND_SECTIONS:
        return KIND_SECTIONS[kind]
    declared = config.note_types.get(kind)
    return declared.sections if declared is not None else None


def _deck(value: Any, raw: RawCard, config: DeckConfig, problem: Any) -> str | None:
    """The card's subdeck below the deck: its ``deck:``, else its folder with
    ``subdecks: folders``; ``None`` when that name cannot be a deck (reported)."""
    if value is None:
        if not config.folder_decks or raw.path is None:
            return ""
        try:
            parts = raw.path.parent.relative_to(config.path.parent).parts
        except ValueError:
            return ""
        if not parts:
            return ""
        wrong = _deck_parts_problem(parts)
        if wrong:
            problem(None, f"its folder {quoted('/'.join(parts))} cannot name its subdeck: {wrong}")
            return None
        return "::".join(unicodedata.normalize("NFC", part.strip()) for part in parts)
    if not isinstance(value, str) or not value.strip():
        problem("deck", "`deck` is a subdeck name below the deck, like `Deep Learning::CNN`")
        return None
    parts = tuple(value.strip().split("::"))
    wrong = _deck_parts_problem(parts)
    if wrong:
        problem("deck", f"`deck: {value.strip()}`: {wrong}")
        return None
    return "::".join(unicodedata.normalize("NFC", part.strip()) for part in parts)


def _deck_parts_problem(parts: tuple[str, ...]) -> str | None:
    """What keeps these names from being the levels of a subdeck, or ``None``."""
    if len(parts) > MAX_DECK_DEPTH:
        return f"name up to {MAX_DECK_DEPTH} levels below the deck"
    for part in parts:
        if not part.strip():
            return "a level is empty; separate levels by `::`, like `Deep Learning::CNN`"
        if "::" in part or part.strip() != part.strip().strip(":"):
            return f"{quoted(part)}: a name cannot hold `::` or start or end with `:`"
        if CONTROL.search(part) or UNSAFE_DECK_CHARS.search(part):
            return f'{quoted(part)}: a name cannot hold control characters, tabs, `<`, `>` or `"`'
    return None


def _text(values: dict[str, Any], key: str, problem: Any) -> str | None:
    if key not in values or values[key] is None:
        problem(None, f"missing `{key}:` in front matter")
        return None
    value = values[key]
    if not isinstance(value, str) or not value.strip():
        problem(key, f"`{key}` must be non-empty text, not {type(value).__name__} {quoted(value)}")
        return None
    if "\n" in value.strip():
        problem(key, f"`{key}` must be a single line")
        return None
    control = CONTROL.search(value)
    if control:
        problem(key, f"`{key}` holds a {describe_control(control.group())}: delete it")
        return None
    return value.strip()


def _tags(value: Any, problem: Any) -> tuple[str, ...] | None:
    if value is None:
        return ()
    if not isinstance(value, list):
        problem("tags", "`tags` must be a list, like `tags: [cnn, architecture]`")
        return None
    tags: list[str] = []
    for tag in value:
        if not isinstance(tag, str) or not TAG.match(tag):
            problem("tags", f"tag {quoted(tag)} must be one word without spaces or quotes")
            return None
        tags.append(tag)
    return tuple(tags)


def _sections(
    raw: RawCard,
    problems: list[Problem],
    kind: str,
    layout: tuple[tuple[str, ...], tuple[str, ...]],
    draft: bool = False,
) -> dict[str, Section] | None:
    """The body split at its ``## `` headings, in ``layout``'s order (required, then optional
    sections); a required one must not be empty (a ``draft`` keeps it, with the problem)."""
    required, optional = layout
    known = required + optional
    lines = raw.body.split("\n")
    found: list[tuple[str, int, int]] = []  # (name, heading index, file line)
    fence: str | None = None
    before_first: int | None = None
    for index, line in enumerate(lines):
        opened = FENCE_OPEN.match(line)
        if fence is not None:
            if opened and opened.group(1)[0] == fence[0] and len(opened.group(1)) >= len(fence):
                fence = None
            continue
        if opened:
            fence = opened.group(1)
        heading = HEADING.match(line)
        file_line = raw.body_line + index
        if heading:
            name = heading.group(1).strip()
            canonical = next((s for s in known if s.lower() == name.lower()), None)
            if canonical is None:
                problems.append(
                    Problem(
                        raw.shown,
                        file_line,
                        f"unknown section `## {shorten(name)}` ({_section_rule(kind, layout)}; "
                        "use ### for headings inside them)",
                    )
                )
                return None
            found.append((canonical, index, file_line))
        elif not found and line.strip() and before_first is None:
            before_first = file_line
    if before_first is not None:
        wrong = _misleveled(lines[before_first - raw.body_line], known)
        message = wrong or f"text before `## {known[0]}`"
        problems.append(Problem(raw.shown, before_first, message))
        return None
    names = [name for name, _, _ in found]
    in_order = [name for name in known if name in names]
    if names != in_order or not set(required) <= set(names):
        if len(set(names)) < len(names):
            dup = next(n for n in names if names.count(n) > 1)
            second = [fl for n, _, fl in found if n == dup][1]
            problems.append(Problem(raw.shown, second, f"`## {dup}` appears twice"))
        else:
            for name in required:
                if name not in names:
                    problems.append(_missing(raw, lines, name))
            if set(required) <= set(names):
                problems.append(
                    Problem(
                        raw.shown,
                        found[0][2],
                        f"`## {in_order[0]}` must come before `## {in_order[1]}`",
                    )
                )
        return None
    sections: dict[str, Section] = {}
    bounds = [index for _, index, _ in found] + [len(lines)]
    for (name, index, file_line), end in zip(found, bounds[1:], strict=True):
        body = lines[index + 1 : end]
        start = 0
        while start < len(body) and not body[start].strip():
            start += 1
        text = "\n".join(body[start:]).strip()
        if not text and name in required:
            problems.append(Problem(raw.shown, file_line, f"`## {name}` is empty"))
            if not draft:
                continue
        sections[name] = Section(text, file_line + 1 + start)
    return sections if set(required) <= set(sections) else None


def _missing(raw: RawCard, lines: list[str], name: str) -> Problem:
    """The problem for a required section not found: at a heading that names it with the
    wrong number of ``#``, if there is one."""
    for index, line in enumerate(lines):
        wrong = _misleveled(line, (name,))
        if wrong:
            return Problem(raw.shown, raw.body_line + index, wrong)
    return Problem(raw.shown, raw.body_line, f"missing `## {name}` section")


ANY_HEADING = re.compile(r"^ {0,3}(#+)[ \t]*(.*?)[ \t#]*$")


def _misleveled(line: str, known: tuple[str, ...]) -> str | None:
    """The message for a line that names a section with the wrong heading (``# Question``,
    ``###Answer``), or ``None``."""
    heading = ANY_HEADING.match(line)
    if heading is None or HEADING.match(line):
        return None
    name = heading.group(2)
    canonical = next((s for s in known if s.lower() == name.strip().lower()), None)
    if canonical is None:
        return None
    written = line.strip()
    return (
        f"`{shorten(written)}` is not a section heading: sections are `## {canonical}` "
        "(two #, then a space)"
    )


def _section_rule(kind: str, layout: tuple[tuple[str, ...], tuple[str, ...]]) -> str:
    """``a card has `## Question` and `## Answer```, for messages about sections."""
    required, optional = layout
    who = "a card" if kind == BASIC else f"a {kind} card"
    have = " and ".join(f"`## {name}`" for name in required)
    if not required:
        return f"{who} has " + ", ".join(f"`## {name}`" for name in optional)
    if not optional:
        return f"{who} has {have}"
    maybe = " and ".join(f"`## {name}`" for name in optional)
    return f"{who} has {have} and optionally {maybe}"


def _duplicates(cards: Sequence[CardSource | CardRef]) -> list[Problem]:
    first: dict[str, CardSource | CardRef] = {}
    problems = []
    for card in cards:
        if card.id in first:
            other = first[card.id]
            found = Problem(
                card.shown,
                card.id_line,
                f"duplicate id {card.id}: also used by {other.shown}:{other.id_line}",
            )
            problems.append(as_draft_problem(found) if card.draft or other.draft else found)
        else:
            first[card.id] = card
    return problems


def _guid(value: Any, problem: Any) -> str | None:
    """A ``guid:`` kept from a package (``ankigen adopt``): used verbatim as the note's GUID,
    permanent like ``id:``; "" when there is none, ``None`` when it is wrong (reported)."""
    if value is None:
        return ""
    if not isinstance(value, str) or not GUID.match(value):
        problem(
            "guid",
            "`guid` is the note's GUID in Anki: 1 to 256 printable characters, in quotes; "
            "never change it",
        )
        return None
    return value


def _html(
    value: Any, layout: tuple[tuple[str, ...], tuple[str, ...]] | None, problem: Any
) -> tuple[str, ...] | None:
    """``html: [Back]``: the sections whose text is their field's HTML, not Markdown."""
    if value is None:
        return ()
    known = (*layout[0], *layout[1]) if layout is not None else ()
    if not isinstance(value, list) or not all(isinstance(v, str) and v in known for v in value):
        problem("html", f"`html` lists sections of the card kept as HTML, of: {', '.join(known)}")
        return None
    return tuple(value)


def _duplicate_guids(cards: Sequence[CardSource | CardRef]) -> list[Problem]:
    first: dict[str, CardSource | CardRef] = {}
    problems = []
    for card in cards:
        if not card.guid:
            continue
        if card.guid in first:
            other = first[card.guid]
            found = Problem(
                card.shown,
                card.id_line,
                f"{card.id} has the guid of {other.id} ({other.shown}:{other.id_line}): "
                "a GUID is one note's identity in Anki",
            )
            problems.append(as_draft_problem(found) if card.draft or other.draft else found)
        else:
            first[card.guid] = card
    return problems
