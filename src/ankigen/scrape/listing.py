"""Import stage 1: split a scraped Q&A listing page into entries (id, title, question, answer).

The format, as the site's listing pages come out of a copy-and-paste::

    Author: admin                       <- site clutter, dropped
      • DL0004 Small Kernels            <- an entry: bullet, id, title
        What are the key advantages …   <- the question (one or more lines)
        Answer                          <- the separator line
        Using small convolutional …     <- the answer body, one paragraph per line
        Login to view more content      <- the trailer, dropped; it may be missing

Blank lines are not trusted (there may be extra or none), line ends may be CRLF or CR, and
the text may start with a byte-order mark. Every line keeps its number in the listing, so
that later stages can point the author at it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ankigen.errors import Problem

ENTRY = re.compile(r"^\s*•\s*([A-Z]+[0-9]+)(?:\s+(.*?))?\s*$")
ANSWER = re.compile(r"^answer:?$", re.IGNORECASE)
TRAILER = re.compile(r"^login to view more content\.?$", re.IGNORECASE)
AUTHOR = re.compile(r"^author:\s", re.IGNORECASE)


@dataclass(frozen=True)
class Line:
    """One line of the listing: its 1-based number and its text without surrounding space."""

    number: int
    text: str


@dataclass(frozen=True)
class Entry:
    """One question of the listing, with the lines of its question and of its answer."""

    id: str
    title: str
    line: int  # the line of the `• ID Title` header
    question: tuple[Line, ...]
    answer: tuple[Line, ...]


@dataclass(frozen=True)
class DroppedText:
    """A line that belongs to no entry part and was left out (the author should look)."""

    line: int
    card_id: str  # the entry it follows, or "" before the first entry
    text: str


@dataclass(frozen=True)
class Doubt:
    """A judgement call the author should check (the split into entries, a card's shape):
    the listing line, the card and what."""

    line: int
    card_id: str
    message: str


@dataclass(frozen=True)
class ParsedListing:
    """Every entry of a listing, the problems that stop the import, and what was dropped."""

    entries: tuple[Entry, ...]
    problems: tuple[Problem, ...]
    dropped: tuple[DroppedText, ...]
    remarks: tuple[Doubt, ...] = ()


def split_lines(text: str) -> list[Line]:
    """The listing's lines, numbered from 1, with any line ending (LF, CRLF, CR) removed."""
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    return [Line(number, raw.strip()) for number, raw in enumerate(text.split("\n"), start=1)]


def parse_listing(text: str, shown: str) -> ParsedListing:
    """Split the listing ``text`` (shown to the user as ``shown``) into entries."""
    lines = split_lines(text)
    problems: list[Problem] = []
    dropped: list[DroppedText] = []
    remarks: list[Doubt] = []
    groups: list[tuple[Line, str, str, list[Line]]] = []  # header, id, title, lines
    headers = [i for i, line in enumerate(lines) if ENTRY.match(line.text)]
    for index, line in enumerate(lines):
        header = ENTRY.match(line.text)
        if (
            header
            and groups
            and _inside_answer(groups[-1][3])
            and not _answer_follows(lines, index, headers)
        ):
            # `• GPT3 is large` in an answer: a bullet point, not an entry without an answer
            remarks.append(
                Doubt(
                    line.number,
                    groups[-1][1],
                    f"`{line.text}` looks like an entry but no `Answer` line follows; "
                    "kept as a point of this answer",
                )
            )
            header = None
        if header:
            groups.append((line, header.group(1), header.group(2) or "", []))
        elif groups:
            groups[-1][3].append(line)
        elif line.text and not AUTHOR.match(line.text):
            dropped.append(DroppedText(line.number, "", line.text))

    if not groups and not problems:
        problems.append(
            Problem(shown, 1, "no entries found: an entry starts with a line like `• DL0001 Title`")
        )
    entries: list[Entry] = []
    first_seen: dict[str, int] = {}
    for head, card_id, title, body in groups:
        if card_id in first_seen:
            problems.append(
                Problem(
                    shown,
                    head.number,
                    f"duplicate id {card_id}: also at {shown}:{first_seen[card_id]}",
                )
            )
            continue
        first_seen[card_id] = head.number
        entry = _entry(head, card_id, title, body, shown, problems, dropped)
        if entry is not None:
            entries.append(entry)
            remarks.extend(
                Doubt(
                    line.number,
                    card_id,
                    "a second `Answer` line inside the answer: is an entry header above it "
                    "mistyped?",
                )
                for line in entry.answer
                if ANSWER.match(line.text)
            )
    return ParsedListing(tuple(entries), tuple(problems), tuple(dropped), tuple(remarks))


def _inside_answer(body: list[Line]) -> bool:
    """Whether an entry's lines so far have passed its `Answer` line (and no trailer)."""
    answered = False
    for line in body:
        if TRAILER.match(line.text):
            return False
        answered = answered or bool(ANSWER.match(line.text))
    return answered


def _answer_follows(lines: list[Line], index: int, headers: list[int]) -> bool:
    """Whether an `Answer` line comes after line ``index`` before the next header-like line."""
    following = next((h for h in headers if h > index), len(lines))
    return any(ANSWER.match(line.text) for line in lines[index + 1 : following])


def _entry(
    header: Line,
    card_id: str,
    title: str,
    body: list[Line],
    shown: str,
    problems: list[Problem],
    dropped: list[DroppedText],
) -> Entry | None:
    """Cut one entry's lines at its `Answer` line and its trailer."""
    found = len(problems)
    if not title:
        problems.append(Problem(shown, header.number, f"{card_id}: the entry has no title"))
    split = next((i for i, line in enumerate(body) if ANSWER.match(line.text)), None)
    if split is None:
        problems.append(
            Problem(shown, header.number, f"{card_id}: no `Answer` line after the question")
        )
        return None
    question = _content(body[:split])
    answer_lines = body[split + 1 :]
    end = next(
        (i for i, line in enumerate(answer_lines) if TRAILER.match(line.text)), len(answer_lines)
    )
    answer = _content(answer_lines[:end])
    for line in answer_lines[end + 1 :]:
        if line.text and not AUTHOR.match(line.text) and not TRAILER.match(line.text):
            dropped.append(DroppedText(line.number, card_id, line.text))
    if not any(line.text for line in question):
        problems.append(Problem(shown, header.number, f"{card_id}: the question is empty"))
    if not any(line.text for line in answer):
        problems.append(Problem(shown, body[split].number, f"{card_id}: the answer is empty"))
    if len(problems) > found:
        return None
    return Entry(card_id, title, header.number, question, answer)


def _content(lines: list[Line]) -> tuple[Line, ...]:
    """Lines without the blank ones at either end (inner blank lines separate blocks)."""
    start, end = 0, len(lines)
    while start < end and not lines[start].text:
        start += 1
    while end > start and not lines[end - 1].text:
        end -= 1
    return tuple(lines[start:end])
