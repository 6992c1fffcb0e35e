"""The check stage, note types: every note type a deck's package may hold, with its CSS.

The built-in question-and-answer type and, for decks with cloze cards, the cloze type, under
deck.yaml's ids; then each type the author declared (``note_types:``). The deck's
stylesheet (``css:``) goes into every one of them, a declared type's own after it; the files
a stylesheet names (fonts) go into the package's media (``render.stylesheet``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from ankigen.anki.notes import note_fields
from ankigen.anki.notetype import (
    NoteTypeSpec,
    basic_note_type,
    cloze_note_type,
    declared_note_type,
)
from ankigen.checks.templatemedia import with_template_media
from ankigen.errors import Problem, display_path, quoted
from ankigen.release.changelog import ReleaseManifest
from ankigen.render.card import RenderedCard
from ankigen.render.media import MediaFile
from ankigen.render.stylesheet import load_stylesheet
from ankigen.render.template_safety import template_hazards
from ankigen.source.config import DeckConfig


@dataclass(frozen=True)
class DeckTypes:
    """The note types of a deck, built: by the kind of card (type name) they serve."""

    basic: NoteTypeSpec
    cloze: NoteTypeSpec | None  # ``None`` while deck.yaml has no ``cloze_note_type_id``
    declared: dict[str, NoteTypeSpec]
    media: tuple[MediaFile, ...]  # what the stylesheets name, once each, sorted by name

    def of(self, kind: str) -> NoteTypeSpec | None:
        """The note type of cards of ``type: kind``."""
        if kind == self.basic.kind:
            return self.basic
        if self.cloze is not None and kind == self.cloze.kind:
            return self.cloze
        return self.declared.get(kind)

    @property
    def field_names(self) -> dict[str, tuple[str, ...]]:
        """The field names of every type, by kind."""
        specs = [self.basic, *([self.cloze] if self.cloze else []), *self.declared.values()]
        return {spec.kind: spec.field_names for spec in specs}


def deck_types(config: DeckConfig) -> tuple[DeckTypes, list[Problem]]:
    """The note types of the deck of ``config``, stylesheets read; and what is wrong in them."""
    cards_dir = config.path.parent
    problems: list[Problem] = []
    media: dict[str, MediaFile] = {}

    def sheet(relative: str | None, line: int) -> str:
        if relative is None:
            return ""
        path = cards_dir / relative
        if not path.is_file():
            problems.append(
                Problem(
                    display_path(config.path),
                    line,
                    f"stylesheet {quoted(relative)} is not there: the path is relative to "
                    "deck.yaml "
                    "and stays in the cards folder, like theme/deck.css",
                )
            )
            return ""
        found, wrong = load_stylesheet(path, cards_dir, display_path(path))
        problems.extend(wrong)
        if found is None:
            return ""
        media.update((item.name, item) for item in found.media)
        return found.css if found.css.endswith("\n") or not found.css else found.css + "\n"

    deck_css = sheet(config.css, config.key_lines.get("css", 1))
    basic = basic_note_type(config.note_type_id, config.name)
    basic = replace(basic, css=basic.css + deck_css)
    cloze = None
    if config.cloze_note_type_id is not None:
        cloze = cloze_note_type(config.cloze_note_type_id, config.name)
        cloze = replace(cloze, css=cloze.css + deck_css)
    declared = {
        name: declared_note_type(
            with_template_media(declared, cards_dir, media, problems),
            config.name,
            ("" if declared.own else deck_css) + sheet(declared.css, declared.line),
        )
        for name, declared in config.note_types.items()
    }
    problems.extend(_template_problems(config))
    types = DeckTypes(basic, cloze, declared, tuple(media[name] for name in sorted(media)))
    return types, problems


def _template_problems(config: DeckConfig) -> list[Problem]:
    """What in an author's templates could run a script or load from the web."""
    return [
        Problem(
            shown, line, f"{what}: a note type's template runs on every learner's device; remove it"
        )
        for declared in config.note_types.values()
        for template in declared.templates
        for text, shown in zip((template.front, template.back), template.files, strict=True)
        for line, what in template_hazards(text)
    ]


def schema_problems(
    config: DeckConfig, declared: tuple[NoteTypeSpec, ...], released: ReleaseManifest
) -> list[Problem]:
    """A warning for each declared note type whose *schema* (fields, cards, base) differs
    from the last release's: what its learners will see, and that only a major release may
    ship it (``ankigen release`` refuses a smaller one)."""
    problems = []
    for spec in declared:
        shipped = released.schemas.get(spec.kind)
        if not shipped or shipped == spec.schema_hash():
            continue
        line = config.note_types[spec.kind].line if spec.kind in config.note_types else 1
        problems.append(
            Problem.warning(
                display_path(config.path),
                line,
                f"note type {spec.kind}: its fields or cards changed since release "
                f"{released.version}: learners' Anki will add a copy named '{spec.name}+' and "
                f"stop updating every {spec.kind} note they have (logged as conflicting), "
                "unless each learner ticks Merge note types on import, which forces a one-way "
                "full sync; only a major release may ship this (`ankigen release major`). To "
                "keep learners' notes updating, undo the change and declare a new type for "
                "new cards instead",
            )
        )
    return problems


def cardless_problems(cards: Sequence[RenderedCard], types: DeckTypes) -> list[Problem]:
    """An error for each card of a declared type of which Anki would make no card: none of
    its templates' fronts shows a field the card fills (``NoteTypeSpec.ords_for``)."""
    problems = []
    for card in cards:
        spec = types.declared.get(card.kind)
        if spec is None or card.clozes or spec.ords_for(note_fields(card)):
            continue
        make = Problem.warning if card.guid else Problem  # an adopted note: learners have it
        problems.append(
            make(
                card.shown,
                1,
                f"Anki would make no card of {card.id}: no template of note type {card.kind} "
                "shows a field this card fills on its front; fill one (or change the "
                "templates)",
            )
        )
    return problems
