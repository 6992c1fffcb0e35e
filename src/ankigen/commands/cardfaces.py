"""Each card of a note as Anki shows it, front and back, from its note type's templates.

For the preview page: Anki's template syntax as Anki fills it. ``{{Field}}``,
``{{#Field}}…{{/Field}}`` (shown when the field is not empty) and ``{{^Field}}…{{/Field}}``;
the filters ``cloze:`` (the card of one deletion number, hidden on the front and revealed on
the back), ``hint:`` (a tap-to-reveal hint: here a ``<details>``, no script), ``type:`` (the
type-the-answer box on the front, what to type on the back), ``text:`` and ``tts …:``
(the field's text); ``{{FrontSide}}`` on the back. A ``[sound:…]`` becomes an audio player.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from ankigen.anki.notes import note_fields, note_tags
from ankigen.anki.notetype import NoteTypeSpec
from ankigen.render.card import RenderedCard
from ankigen.render.cloze import reveal
from ankigen.render.kinds import card_kind

FIELD_REF = re.compile(r"\{\{([^{}#/^]+?)\}\}")
SECTION = re.compile(r"\{\{([#^])([^{}]+?)\}\}(.*?)\{\{/\2\}\}", re.S)
TAG_RE = re.compile(r"<[^>]+>")
CLOZE_MARK = re.compile(r"\{\{c[0-9]+::|\}\}")
SOUND = re.compile(r"\[sound:(ankigen-[0-9a-f]{16}\.[a-z0-9]+)\]")


@dataclass(frozen=True)
class CardFaces:
    """One card's front and back as Anki shows them, with what the page filters on."""

    id: str
    title: str
    tags: tuple[str, ...]
    front: str
    back: str
    search_text: str
    ordinal: int = 0  # which card of the note: its template, or its deletion number less one
    cloze: bool = False
    template: str = ""  # its template's name, for a note of more than one card

    @property
    def label(self) -> str:
        """``DL0001``, ``DL0001 · Answer → Question`` for a note's other card, or
        ``DL0005 c2`` for the card of deletion c2 of a cloze note."""
        if self.cloze:
            return f"{self.id} c{self.ordinal + 1}"
        return f"{self.id} · {html.escape(self.template)}" if self.template else self.id


def _text(value: str) -> str:
    return html.unescape(TAG_RE.sub("", value))


def _filtered(filters: list[str], value: str, number: int, question: bool) -> str:
    """A field's value through Anki's filters (innermost last in ``filters``)."""
    for name in reversed(filters):
        name = name.strip()
        if name == "cloze":
            value = reveal(value, number, question=question)
        elif name == "hint":
            value = (
                f'<details class="hint"><summary>Show {html.escape("hint")}</summary>'
                f"{value}</details>"
                if value.strip()
                else ""
            )
        elif name == "type":
            expected = html.escape(_text(value))
            value = (
                '<input class="typeans" type="text" aria-label="Type the answer">'
                if question
                else f'<code class="typeans" title="what the learner types">{expected}</code>'
            )
        elif name == "text" or name.startswith("tts"):
            value = html.escape(_text(value), quote=False)
    return value


def fill_template(
    template: str, fields: dict[str, str], *, number: int = 1, question: bool = True
) -> str:
    """Fill a card template as Anki does (see the module's docstring), for the card of
    deletion ``number`` (a cloze note's), on its front (``question``) or back."""

    def section(match: re.Match[str]) -> str:
        filled = bool(fields.get(match.group(2).strip(), "").strip())
        shown = filled if match.group(1) == "#" else not filled
        return (
            fill_template(match.group(3), fields, number=number, question=question) if shown else ""
        )

    def field(match: re.Match[str]) -> str:
        *filters, name = match.group(1).split(":")
        return _filtered(filters, fields.get(name.strip(), ""), number, question)

    return FIELD_REF.sub(field, SECTION.sub(section, template))


def with_players(text: str) -> str:
    """``text`` with each bundled ``[sound:…]`` followed by an audio player for it."""
    return SOUND.sub(lambda m: f'{m.group(0)}<audio controls src="{m.group(1)}"></audio>', text)


def card_faces(card: RenderedCard, note_type: NoteTypeSpec) -> list[CardFaces]:
    """The faces of each card of ``card``'s note: one per template of ``note_type``, or for a
    cloze note one per deletion number."""
    fields = dict(zip(note_type.field_names, note_fields(card), strict=True))
    text = html.unescape(TAG_RE.sub(" ", CLOZE_MARK.sub(" ", " ".join(fields.values()))))
    search = " ".join(text.lower().split())
    kind = card_kind(card.base, card.clozes)
    faces = []
    several = len(note_type.templates) > 1
    for index, number in kind.cards(card.clozes, len(note_type.templates)):
        name, _, front_template, back_template = note_type.templates[index]
        front = fill_template(front_template, fields, number=number)
        back = fill_template(
            back_template, {**fields, "FrontSide": front}, number=number, question=False
        )
        faces.append(
            CardFaces(
                card.id,
                card.title,
                note_tags(card),
                with_players(front),
                with_players(back),
                search,
                number - 1,
                kind.numbered_by_deletion,
                name if several else "",
            )
        )
    return faces
