"""Stage 3b: turn a card's Markdown sections into the HTML of its note fields.

Markdown is CommonMark with GitHub's tables, rendered by cmark-gfm (GitHub's own C
implementation, see ``cmark``), so cards render as GitHub shows them: list items continue
at the item's text indent, not at a fixed four spaces as in some other converters. Formulas are
cut out by ``render.formulas`` first and stand in the Markdown as placeholders from Unicode's
private-use area, which Markdown passes through as plain text; after converting, each
placeholder is replaced by its formula's HTML. Markdown never sees TeX.

On the way, from the same parse, images (``![alt](images/x.png)``) are bundled under
content-hash names (``media``), raw HTML the author wrote is checked for what the sanitizer
will remove, each at its line in the card file, and the finished HTML passes the
allow-list sanitizer (``sanitize``): what reaches Anki is safe. An ``<img>`` in raw HTML is
not bundled: its ``src`` is removed, with a warning.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from pathlib import Path

from ankigen.errors import Problem
from ankigen.render.cloze import protect
from ankigen.render.cmark import render as render_markdown
from ankigen.render.formulas import Formula, scan
from ankigen.render.highlight import highlight
from ankigen.render.htmlfield import html_section
from ankigen.render.kinds import deletion_problems, note_kind
from ankigen.render.media import MediaFile, bundle_sounds, resolve_image
from ankigen.render.prose import prose_problems
from ankigen.render.sanitize import MAX_NESTING, clean, nesting_depth, removed_parts
from ankigen.source.config import DeckConfig
from ankigen.source.layout import BASIC
from ankigen.source.validate import CardSource, Section
from ankigen.tex.check import shipped_tex
from ankigen.tex.safety import typeset_formulas

PLACEHOLDER_OPEN, PLACEHOLDER_CLOSE = "\ue000", "\ue001"
PROSE_MARKS = ("\\", "[[")  # what prose_problems looks for outside formulas (and ``{{``)
PLACEHOLDER = re.compile(f"{PLACEHOLDER_OPEN}([0-9]+){PLACEHOLDER_CLOSE}")
# what Markdown turns into a formula delimiter: an escaped backslash, or a backslash written
# as a character reference, before ( or [
STRAY_DELIMITER = re.compile(r"\\\\[(\[]|&(?:#0*92|#x0*5c|bsol|Backslash);?", re.IGNORECASE)


@dataclass(frozen=True)
class RenderedCard:
    """A card with its fields as HTML, ready to become an Anki note."""

    id: str
    category: str
    title: str
    tags: tuple[str, ...]
    fields: dict[str, str]  # the HTML of each field after ID and Title, by name, in order
    formulas: tuple[Formula, ...]
    shown: str
    media: tuple[MediaFile, ...] = ()  # the images its fields show, once each
    warnings: tuple[Problem, ...] = ()  # what rendering changed, e.g. unsafe HTML it removed
    kind: str = BASIC  # its note type: basic, cloze or one declared in deck.yaml
    clozes: tuple[int, ...] = ()  # a cloze card's deletion numbers, ascending: one card each
    base: str = BASIC  # the built-in kind its type builds on (``render.kinds``)
    deck: str = ""  # its subdeck below the deck, ``A::B``; empty: the deck itself
    draft: bool = False  # ``draft: true``: previewed and listed, never packaged
    guid: str = ""  # ``guid:``, the note's GUID kept from a package; "" derived from the id


@dataclass(frozen=True)
class RenderedDeck:
    """Every card that could be rendered, and every problem (errors and warnings) found."""

    config: DeckConfig | None
    cards: tuple[RenderedCard, ...]
    problems: tuple[Problem, ...]
    checks: tuple[Problem, ...] = ()  # what the card rules found in the cards, one by one
    digests: dict[str, str] = field(default_factory=dict)  # by id: ``anki.notes.content_hash``
    cache_warnings: tuple[Problem, ...] = ()  # what went wrong with the render cache itself
    # the SHA-256 (hex) of each card file's bytes as rendered (or found in the cache), by its
    # name below the cards folder, where known
    file_digests: dict[str, str] = field(default_factory=dict)
    # every card file with ``draft: true`` (rendered or not): its id (or "" if it has none),
    # file and line, in file order
    drafts: tuple[tuple[str, str, int], ...] = ()


@dataclass(frozen=True)
class RenderedSection:
    """One section's HTML with its formulas, images and problems (errors and warnings)."""

    html: str
    formulas: tuple[Formula, ...]
    media: tuple[MediaFile, ...]
    problems: tuple[Problem, ...]
    clozes: tuple[int, ...] = ()  # the deletion numbers, when read as a cloze field


class Renderer:
    """Converts card Markdown to HTML; one instance reuses one Markdown converter.

    ``cards_dir`` is the folder images must stay inside.
    """

    def __init__(self, cards_dir: Path | None = None) -> None:
        self.cards_dir = cards_dir

    def render_card(self, card: CardSource) -> tuple[RenderedCard, list[Problem]]:
        """Render every section of ``card``; problems (errors and warnings) found on the way."""
        kind = note_kind(card.base, card.deletions)
        sections = {
            name: self.html_section(section, card.shown, card.path, cloze=name in kind.deletions_in)
            if name in card.html
            else self.section(section, card.shown, card.path, cloze=name in kind.deletions_in)
            for name, section in card.sections.items()
        }
        problems = [problem for part in sections.values() for problem in part.problems]
        problems.extend(kind.card_problems(card, sections))
        media = {m.name: m for part in sections.values() for m in part.media}
        rendered = RenderedCard(
            id=card.id,
            category=card.category,
            title=html.escape(card.title, quote=False),
            tags=card.tags,
            fields={name: part.html for name, part in sections.items()},
            formulas=tuple(f for part in sections.values() for f in part.formulas),
            shown=card.shown,
            media=tuple(media[name] for name in sorted(media)),
            warnings=tuple(p for p in problems if not p.is_error),
            kind=card.kind,
            clozes=kind.numbers(sections),
            base=card.base,
            deck=card.deck,
            draft=card.draft,
            guid=card.guid,
        )
        return rendered, problems

    def html_section(
        self, section: Section, shown: str, card_path: Path | None, *, cloze: bool = False
    ) -> RenderedSection:
        """A section kept as its field's HTML (``render.htmlfield``)."""
        text, media, problems, numbers = html_section(
            section, shown, card_path, self.cards_dir, cloze=cloze
        )
        return RenderedSection(text, (), media, tuple(problems), numbers)

    def render_section(
        self, section: Section, shown: str, card_path: Path | None = None
    ) -> tuple[str, list[Formula], list[Problem]]:
        """Markdown of one section → HTML, its formulas, and any problems."""
        result = self.section(section, shown, card_path)
        return result.html, list(result.formulas), list(result.problems)

    def section(
        self, section: Section, shown: str, card_path: Path | None, *, cloze: bool = False
    ) -> RenderedSection:
        """Render one section of the card file ``card_path`` (shown to users as ``shown``).

        With ``cloze``, the section is read for deletions as Anki reads them, and formulas
        inside deletions are rewritten so that they do not end a deletion early (``cloze``).
        """
        text = section.text.replace(PLACEHOLDER_OPEN, "").replace(PLACEHOLDER_CLOSE, "")
        scanned = scan(text, shown, section.line)
        problems: list[Problem] = list(scanned.problems)
        parts: list[str] = []
        for piece in scanned.pieces:
            if isinstance(piece, str):
                parts.append(piece)
            else:
                parts.append(f"{PLACEHOLDER_OPEN}{len(parts)}{PLACEHOLDER_CLOSE}")
        source = "".join(parts)
        media: dict[str, MediaFile] = {}
        lines = _source_lines(scanned.pieces, section.line, text.count("\n"))

        def at(markdown_line: int) -> int:  # the card file's line of a line of ``source``
            return lines[min(max(markdown_line, 1), len(lines)) - 1]

        def bundle(destination: str, markdown_line: int) -> str | None:
            found = resolve_image(destination, card_path, self.cards_dir)
            if isinstance(found, str):
                problems.append(Problem(shown, at(markdown_line), found))
                return None
            media[found.name] = found
            return found.name

        converted = render_markdown(source, bundle)
        if nesting_depth(converted.html) > MAX_NESTING:
            return _too_deep(section, shown, problems)
        for markdown_line, fragment in converted.raw_html:
            for offset, message in removed_parts(fragment, media):
                problems.append(Problem.warning(shown, at(markdown_line) + offset - 1, message))
        html_out = highlight(converted.html, cloze=cloze)
        numbers: tuple[int, ...] = ()
        if cloze:
            split = PLACEHOLDER.split(html_out)  # text, formula index, text, …
            field = protect([scanned.pieces[int(x)] if k % 2 else x for k, x in enumerate(split)])
            html_out, numbers = field.html, field.numbers
            problems.extend(deletion_problems(field, section, shown))
        else:
            by_index = {
                index: piece.to_html()
                for index, piece in enumerate(scanned.pieces)
                if not isinstance(piece, str)
            }
            html_out = PLACEHOLDER.sub(lambda m: by_index[int(m.group(1))], html_out)
        html_out = clean(html_out, media).strip()
        html_out, sounds, wrong = bundle_sounds(html_out, card_path, self.cards_dir)
        media.update((sound.name, sound) for sound in sounds)
        for written, message in wrong:
            found = text.find(f"[sound:{html.unescape(written)}")
            line = section.line + (text.count("\n", 0, found) if found >= 0 else 0)
            problems.append(Problem(shown, line, message))
        problems.extend(_unseen_formulas(html_out, scanned.formulas, section, shown, cloze=cloze))
        prose = "".join(piece for piece in scanned.pieces if isinstance(piece, str))
        if any(mark in prose for mark in PROSE_MARKS) or "{{" in text:
            problems.extend(prose_problems(section, shown, cloze=cloze))
        return RenderedSection(
            html=html_out,
            formulas=tuple(scanned.formulas),
            media=tuple(media[name] for name in sorted(media)),
            problems=tuple(problems),
            clozes=numbers,
        )


def _too_deep(section: Section, shown: str, problems: list[Problem]) -> RenderedSection:
    """The section refused, unsanitized: its elements nest deeper than ``MAX_NESTING``."""
    message = (
        f"this section nests more than {MAX_NESTING} levels deep (blockquotes `>`, lists or "
        "HTML elements within each other): flatten it"
    )
    return RenderedSection(
        html="",
        formulas=(),
        media=(),
        problems=(*problems, Problem(shown, section.line, message)),
        clozes=(),
    )


def _delimiters(text: str) -> int:
    return text.count("\\(") + text.count("\\[")


def _unseen_formulas(
    html_out: str, formulas: list[Formula], section: Section, shown: str, *, cloze: bool
) -> list[Problem]:
    """A formula in the finished field that the formula scan did not see: Markdown makes
    ``\\(`` of ``\\\\(`` and of ``&#92;(``, and Anki would typeset what follows unchecked."""
    if _delimiters(html_out) == sum(_delimiters(f.to_html()) for f in formulas):
        return []  # each delimiter in the field is one of a formula's own
    typeset = [tex for tex, _ in typeset_formulas(html_out)]
    wanted = [shipped_tex(f) for f in formulas]
    if (len(typeset) == len(wanted)) if cloze else (typeset == wanted):
        return []  # the others are in code, or in an attribute: MathJax does not read those
    found = STRAY_DELIMITER.search(section.text)
    line = section.line + (section.text.count("\n", 0, found.start()) if found else 0)
    return [
        Problem(
            shown,
            line,
            "Markdown turns `\\\\(`, `\\\\[` or `&#92;(` into `\\(` or `\\[`, which Anki "
            "would typeset as a formula that ankigen never checked: write formulas as `$…$` or "
            "`$$…$$`, and a literal `\\(` in a code span: `` `\\(` ``",
        )
    ]


def _source_lines(pieces: tuple[str | Formula, ...], first_line: int, newlines: int) -> list[int]:
    """The source line of each line of the Markdown text, whose formulas are placeholders.

    A placeholder has no line breaks where its formula may have had some, so lines after a
    formula are counted back from the next formula's line (or the section's last line).
    """
    starts: dict[int, int] = {}  # piece index -> source line where that prose piece starts
    end = first_line + newlines
    for index in range(len(pieces) - 1, -1, -1):
        piece = pieces[index]
        if isinstance(piece, Formula):
            end = piece.line
        else:
            starts[index] = end - piece.count("\n")
    lines = [first_line]
    for index, piece in enumerate(pieces):
        if isinstance(piece, str):
            for k in range(piece.count("\n")):
                lines.append(starts[index] + k + 1)
    return lines
