"""Import stage 3: turn one listing entry into the text of a card file that ``build`` reads.

The scrape keeps one paragraph per line, so each line becomes a Markdown block:

* ``(1) …`` and ``1. …`` are numbered points → a Markdown ordered list. A line right after a
  point, or a paragraph between point n and point n+1, belongs to that point and becomes an
  indented paragraph inside it. A line such as ``Advantages:`` that leads into a new list
  starting at 1 ends the list before it.
* ``Where`` / ``Where:`` stays a paragraph and the definition lines under it become ``- ``
  bullets; ``• …`` lines become bullets too.
* A line that is all TeX becomes ``$$…$$``; TeX inside prose becomes ``$…$`` (see
  ``scrape.mathguess``). Everything else is prose, escaped so Markdown shows it as written:
  ``$`` → ``\\$``, ``<eos>`` → ``\\<eos>``, ``*`` ``_`` and backticks escaped, ``&`` kept.
* A line that points at an image (``the below image shows …``) gets a note that the image
  was lost in the scrape: the listing never contains images.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import PurePosixPath

import yaml

from ankigen.scrape.listing import Doubt, Entry, Line
from ankigen.scrape.mathguess import (
    Math,
    Segment,
    display_doubts,
    formula_symbols,
    is_display_line,
    paragraph_doubts,
    recover_inline,
    starts_with_symbol,
    tex_fragments,
    typeset_error,
)
from ankigen.scrape.unicodetex import to_tex

NUMBERED = re.compile(r"^(?:\(([0-9]{1,3})\)|([0-9]{1,3})[.)])\s+(\S.*)$")
BULLET = re.compile(r"^[•●▪◦]\s*(\S.*)$")
WHERE = re.compile(r"^(?:where|here)\s*[:,]?$", re.IGNORECASE)
IMAGE = re.compile(
    r"\b(?:image|figure|diagram|picture|chart|plot|illustration|screenshot)s?\b"
    r"(?=.*\b(?:below|above|following|shown)\b)"
    r"|\b(?:below|above|following)\s+(?:image|figure|diagram|picture|chart|plot|illustration)",
    re.IGNORECASE,
)
LOST_IMAGE_NOTE = (
    "*(The image was lost when the source page was scraped; it is not included in this card.)*"
)
TAGS_LINE = "tags: []"


@dataclass(frozen=True)
class CardText:
    """The card file made from one entry: where it goes, its text, and the doubts."""

    card_id: str
    relative_path: PurePosixPath  # below the cards folder
    text: str
    doubts: tuple[Doubt, ...]


@dataclass
class _Item:
    number: int
    line: Line
    followups: list[_Block] = field(default_factory=list)


@dataclass(frozen=True)
class _Block:
    kind: str  # paragraph, display, note, bullets, numbered
    lines: tuple[Line, ...] = ()
    items: tuple[_Item, ...] = ()


def card_path(card_id: str, title: str) -> PurePosixPath:
    """``<PREFIX>/<ID>-<slug of title>.md``, the layout of the shipped cards."""
    prefix = re.match(r"[A-Z]+", card_id)
    assert prefix is not None
    return PurePosixPath(prefix.group(0), f"{card_id}-{slugify(title)}.md")


def slugify(title: str) -> str:
    """A title as a file-name part: ``1×1 Convolution`` → ``1x1-convolution``."""
    text = title.replace("×", "x")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "card"


def card_text(entry: Entry) -> CardText:
    """The card file for ``entry``, with every judgement call listed as a ``Doubt``."""
    doubts: list[Doubt] = []
    all_lines = entry.question + entry.answer
    tex: list[str] = []
    for line in all_lines:  # the card's variables, to judge lone letters against
        tex.extend([line.text] if is_display_line(line.text) else tex_fragments(line.text))
    writer = _Writer(entry.id, formula_symbols(tex), doubts)
    question = writer.blocks(_structure(entry.question, entry.id, doubts))
    answer = writer.blocks(_structure(entry.answer, entry.id, doubts))
    title = yaml.safe_dump({"title": entry.title}, allow_unicode=True, width=10**6).strip()
    text = (
        f"---\nid: {entry.id}\n{title}\n{TAGS_LINE}\n---\n"
        f"## Question\n\n{question}\n\n## Answer\n\n{answer}\n"
    )
    return CardText(
        entry.id,
        card_path(entry.id, entry.title),
        text,
        tuple(sorted(doubts, key=lambda d: d.line)),
    )


def _structure(lines: tuple[Line, ...], card_id: str, doubts: list[Doubt]) -> list[_Block]:
    """Group an entry part's lines into paragraphs, formulas, lists and notes."""
    blocks: list[_Block] = []
    items: list[_Item] = []

    def close_list() -> None:
        if items:
            blocks.append(_Block("numbered", items=tuple(items)))
            items.clear()

    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.text:
            i += 1
            continue
        numbered = NUMBERED.match(line.text)
        if numbered:
            number = int(numbered.group(1) or numbered.group(2))
            if items and number == 1:
                close_list()
            if items and number != items[-1].number + 1:
                doubts.append(
                    Doubt(
                        line.number,
                        card_id,
                        f"point {number} follows point {items[-1].number}; "
                        "Markdown will number it in sequence",
                    )
                )
            items.append(_Item(number, Line(line.number, numbered.group(3))))
            if IMAGE.search(line.text):
                items[-1].followups.append(_Block("note", (line,)))
            i += 1
            continue
        if items and _belongs_to_point(lines, i, items[-1].number):
            items[-1].followups.extend(_single(line))
            i += 1
            continue
        close_list()
        if WHERE.match(line.text):
            blocks.append(_Block("paragraph", (line,)))
            i = _definitions(lines, i + 1, blocks, card_id, doubts)
            continue
        if BULLET.match(line.text):
            j = i
            while j < len(lines) and BULLET.match(lines[j].text):
                j += 1
            blocks.append(_Block("bullets", tuple(_bullet_text(x) for x in lines[i:j])))
            i = j
            continue
        blocks.extend(_single(line))
        i += 1
    close_list()
    return blocks


def _single(line: Line) -> list[_Block]:
    """A line on its own: a display formula or a paragraph, and the lost-image note."""
    if is_display_line(line.text):
        return [_Block("display", (line,))]
    blocks = [_Block("paragraph", (line,))]
    if IMAGE.search(line.text):
        blocks.append(_Block("note", (line,)))
    return blocks


def _definitions(
    lines: tuple[Line, ...], start: int, blocks: list[_Block], card_id: str, doubts: list[Doubt]
) -> int:
    """Collect the definition lines under ``Where`` from ``start`` as bullets; return the end."""
    definitions: list[Line] = []
    j = start
    while j < len(lines) and (not lines[j].text or _is_definition(lines[j], j == start)):
        if lines[j].text:
            definitions.append(lines[j])
        j += 1
    if definitions:
        blocks.append(_Block("bullets", tuple(definitions)))
        first = definitions[0]
        if not starts_with_symbol(first.text):
            doubts.append(
                Doubt(
                    first.number,
                    card_id,
                    "read as a definition under `Where`, but it does not start with a symbol",
                )
            )
    return j


def _bullet_text(line: Line) -> Line:
    bullet = BULLET.match(line.text)
    return Line(line.number, bullet.group(1) if bullet else line.text)


def _is_definition(line: Line, right_after_where: bool) -> bool:
    """A line under ``Where``: ``x is …``, ``\\theta_j are …``, ``F(x) represents …``.

    The line right after ``Where`` counts even without a symbol (it is reported then).
    """
    if NUMBERED.match(line.text) or is_display_line(line.text) or WHERE.match(line.text):
        return False
    return right_after_where or starts_with_symbol(line.text)


def _belongs_to_point(lines: tuple[Line, ...], i: int, last_number: int) -> bool:
    """Whether the non-point line ``i`` continues the list's last point.

    Right after the point (no blank line) it does, unless it leads into a list of its own
    (``Disadvantages:`` before a new ``(1)``) or opens definitions (``Where:``). After a blank
    line it does only when the next point carries on the numbering.
    """
    if WHERE.match(lines[i].text):
        return False
    following = next((x for x in lines[i + 1 :] if x.text), None)
    next_number = _point_number(following)
    if lines[i - 1].text:
        return next_number != 1
    for later in lines[i + 1 :]:
        number = _point_number(later)
        if number is not None:
            return number == last_number + 1
        if WHERE.match(later.text):
            return False
    return False


def _point_number(line: Line | None) -> int | None:
    if line is None:
        return None
    numbered = NUMBERED.match(line.text)
    return int(numbered.group(1) or numbered.group(2)) if numbered else None


@dataclass
class _Writer:
    """Writes blocks as Markdown, recovering math; collects doubts for one card."""

    card_id: str
    symbols: frozenset[str]
    doubts: list[Doubt]

    def blocks(self, blocks: list[_Block]) -> str:
        """The blocks of one section as Markdown, separated by blank lines."""
        return "\n\n".join(self.block(block) for block in blocks)

    def block(self, block: _Block, indent: str = "") -> str:
        """One block as Markdown; continuation lines are indented by ``indent``."""
        if block.kind == "display":
            line = block.lines[0]
            tex = to_tex(line.text)
            why = typeset_error(tex, display=True)
            if why is not None:
                self.doubt(line, f"a line of TeX that {why}; kept as prose")
                return self.inline(line)
            for message in display_doubts(line.text):
                self.doubt(line, message)
            return f"$${tex}$$"
        if block.kind == "note":
            self.doubt(
                block.lines[0],
                "points at an image the listing does not contain; the card says it was lost",
            )
            return LOST_IMAGE_NOTE
        if block.kind == "paragraph":
            for message in paragraph_doubts(block.lines[0].text):
                self.doubt(block.lines[0], message)
            return self.inline(block.lines[0])
        if block.kind == "bullets":
            return "\n".join(f"- {self.inline(line)}" for line in block.lines)
        return self.numbered(block.items, indent)

    def numbered(self, items: tuple[_Item, ...], indent: str) -> str:
        """An ordered list; a point with follow-ups is loose, its paragraphs indented."""
        out: list[str] = []
        for index, item in enumerate(items):
            marker = f"{item.number}. "
            inner = indent + " " * len(marker)
            text = marker + self.inline(item.line)
            if item.followups:
                parts = [self.block(b, inner) for b in item.followups]
                text += "\n\n" + "\n\n".join(_indent(p, inner) for p in parts)
            out.append(text)
            if index + 1 < len(items):
                out.append("\n\n" if item.followups else "\n")
        return "".join(out)

    def inline(self, line: Line) -> str:
        """A line of prose as Markdown, with the recovered formulas as ``$…$``."""
        recovered = recover_inline(line.text, self.symbols)
        for message in recovered.doubts:
            self.doubt(line, message)
        text = "".join(_markdown(segment) for segment in recovered.segments)
        return _escape_block_start(text)

    def doubt(self, line: Line, message: str) -> None:
        """Record a judgement call at ``line``."""
        self.doubts.append(Doubt(line.number, self.card_id, message))


def _indent(text: str, indent: str) -> str:
    return "\n".join(indent + line if line else line for line in text.split("\n"))


def _markdown(segment: Segment) -> str:
    if isinstance(segment, Math):
        return f"$${segment.tex}$$" if segment.display else f"${segment.tex}$"
    return escape_prose(segment)


def escape_prose(text: str) -> str:
    """Prose as Markdown that shows exactly this text (``$5`` stays a price, ``<eos>`` shows)."""
    text = text.replace("\\", "\\\\")
    text = re.sub(r"([`*_$])", r"\\\1", text)
    text = re.sub(r"<(?=[A-Za-z/!?])", r"\\<", text)  # would open an HTML tag or autolink
    text = re.sub(r"&(?=#?[A-Za-z0-9]+;)", r"\\&", text)  # would be read as an entity
    return re.sub(r"\[(?=[^\]]*\][(\[:])", r"\\[", text)  # would open a link


def _escape_block_start(text: str) -> str:
    """Escape what Markdown would read as a heading, quote, list item or rule at a block start."""
    text = re.sub(r"^([0-9]{1,9})([.)])(?=\s|$)", r"\1\\\2", text)
    return re.sub(r"^([#>+-])(?=[\s#]|$|-)", r"\\\1", text)
