"""Render stage, note kinds: everything that differs between a basic card and a cloze card.

A card's ``type:`` picks its kind. Each kind is one strategy object (``KINDS``): which of
its sections are read for Anki's deletions, what is wrong with a card of that kind as a
whole, and which cards of its note Anki makes. Its sections, and so its note's fields, are
data (``source.layout.KIND_SECTIONS``); its note type is ``anki.notetype``'s. Nothing else
in ankigen asks which kind a card is.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from ankigen.errors import Problem
from ankigen.render.cloze import HUGE, MAX_CLOZE, OPEN, ClozeField
from ankigen.render.prose import mask_code
from ankigen.source.layout import BASIC, CLOZE
from ankigen.source.validate import CardSource, Section


class Rendered(Protocol):
    """What a kind needs to know of a rendered section (``render.card.RenderedSection``)."""

    @property
    def html(self) -> str: ...

    @property
    def clozes(self) -> tuple[int, ...]: ...


@dataclass(frozen=True)
class NoteKind:
    """The basic kind: a card Anki makes from each template; no deletions anywhere."""

    name: str
    deletions_in: frozenset[str] = frozenset()  # sections read for Anki's deletions

    def card_problems(self, card: CardSource, sections: Mapping[str, Rendered]) -> list[Problem]:
        """What is wrong with ``card`` as a whole, its sections rendered."""
        return _stray_deletions(card)

    def numbers(self, sections: Mapping[str, Rendered]) -> tuple[int, ...]:
        """The deletion numbers of the note, ascending (none for a basic note)."""
        return ()

    numbered_by_deletion = False  # whether a card is named by its deletion, as ``DL0005 c2``

    def cards(self, clozes: tuple[int, ...], templates: int) -> list[tuple[int, int]]:
        """The cards Anki makes of a note, each as (its template's index, its number from 1):
        one per template here."""
        return [(index, index + 1) for index in range(templates)]


@dataclass(frozen=True)
class ClozeKind(NoteKind):
    """The cloze kind: its Text holds deletions, and Anki makes a card per deletion number."""

    def card_problems(self, card: CardSource, sections: Mapping[str, Rendered]) -> list[Problem]:
        return _cloze_card_problems(card, sections["Text"], sections["Extra"])

    def numbers(self, sections: Mapping[str, Rendered]) -> tuple[int, ...]:
        return sections["Text"].clozes

    numbered_by_deletion = True

    def cards(self, clozes: tuple[int, ...], templates: int) -> list[tuple[int, int]]:
        return [(0, number) for number in clozes]  # its one template, once per deletion


KINDS: dict[str, NoteKind] = {
    BASIC: NoteKind(BASIC),
    CLOZE: ClozeKind(CLOZE, frozenset({"Text"})),
}


@dataclass(frozen=True)
class OwnClozeKind(NoteKind):
    """A ``base: none`` type with ``cloze: true``: its deletions are in the fields its
    template names with ``{{cloze:…}}`` (``deletions_in``), a card per deletion number."""

    def card_problems(self, card: CardSource, sections: Mapping[str, Rendered]) -> list[Problem]:
        if self.numbers(sections):
            return []
        where = sorted(self.deletions_in)
        make = Problem.warning if card.guid else Problem  # adopted as it was: learners have it
        return [
            make(
                card.shown,
                card.sections[where[0]].line if where else card.id_line,
                f"a {card.kind} card needs at least one deletion, like `{{{{c1::hidden text}}}}`, "
                f"in {' or '.join(f'`## {name}`' for name in where)}",
            )
        ]

    def numbers(self, sections: Mapping[str, Rendered]) -> tuple[int, ...]:
        found = {n for name in self.deletions_in for n in sections[name].clozes}
        return tuple(sorted(found))

    numbered_by_deletion = True

    def cards(self, clozes: tuple[int, ...], templates: int) -> list[tuple[int, int]]:
        return [(0, number) for number in clozes]


def card_kind(base: str, clozes: tuple[int, ...]) -> NoteKind:
    """The kind of a rendered card whose type builds on ``base``, known by its deletions."""
    return note_kind(base, ("",) if clozes and base not in KINDS else ())


def note_kind(base: str, deletions: tuple[str, ...] = ()) -> NoteKind:
    """The kind of a card whose type builds on ``base``: a built-in one, or for a
    ``base: none`` type a card per template, or per deletion in the fields ``deletions``."""
    if base in KINDS:
        return KINDS[base]
    if deletions:
        return OwnClozeKind(base, frozenset(deletions))
    return NoteKind(base)


def kind_of_note(clozes: tuple[int, ...]) -> str:
    """The kind of a note known only by its deletion numbers (a lock entry, a tombstone)."""
    return CLOZE if clozes else BASIC


def deletion_line(section: Section, number: int) -> int:
    """The line of the first ``{{c<number>::`` in ``section``, or where the section starts."""
    if number >= HUGE:
        huge = re.search(r"\{\{c[0-9]{10,}::", section.text)
        found = huge.start() if huge else -1
    else:
        found = section.text.find(f"{{{{c{number}::")
    return section.line + section.text.count("\n", 0, found) if found >= 0 else section.line


def deletion_problems(field: ClozeField, section: Section, shown: str) -> list[Problem]:
    """What is wrong with the deletions of one cloze field."""
    problems = []
    for number in sorted(set(field.unclosed)):
        problems.append(
            Problem(
                shown,
                deletion_line(section, number),
                f"`{{{{c{number}::` is never closed by `}}}}`",
            )
        )
    for number in sorted(set(field.unclosed_in_formula)):
        problems.append(
            Problem(
                shown,
                deletion_line(section, number),
                f"`{{{{c{number}::` opens inside a formula but does not close in it: a deletion "
                "is either inside one formula or around whole formulas",
            )
        )
    for number in field.numbers:
        if number == 0 or number > MAX_CLOZE:
            problems.append(
                Problem(
                    shown,
                    deletion_line(section, number),
                    f"deletion c{number if number < HUGE else '…'}: deletions are numbered c1 "
                    f"to c{MAX_CLOZE}",
                )
            )
    for number in sorted({d.number for d in field.deletions if d.nested}):
        problems.append(
            Problem.warning(
                shown,
                deletion_line(section, number),
                f"deletion c{number} stands inside another deletion: Anki before 2.1.56 (and "
                "AnkiDroid 2.15 and older) shows the whole note garbled; if your learners may "
                "use those, write the deletions one after the other",
            )
        )
    for number in sorted({d.number for d in field.deletions if d.empty}):
        problems.append(
            Problem(
                shown,
                deletion_line(section, number),
                f"deletion c{number} is empty: its card would ask for nothing",
            )
        )
    return problems


def _stray_deletions(card: CardSource) -> list[Problem]:
    """A ``{{c1::…}}`` in a basic card: Anki shows it as typed, braces and all."""
    for section in card.sections.values():
        found = OPEN.search(mask_code(section.text))  # in code, a deletion is meant as typed
        if found:
            return [
                Problem.warning(
                    card.shown,
                    deletion_line(section, int(found.group(1))),
                    f"`{found.group(0)}` in a basic card shows as typed: add `type: cloze` to "
                    "the front matter to make it a cloze card",
                )
            ]
    return []


def _cloze_card_problems(card: CardSource, text: Rendered, extra: Rendered) -> list[Problem]:
    """A cloze card needs a deletion in its Text; one in its Extra makes no card."""
    problems = []
    if not text.clozes:
        problems.append(
            Problem(
                card.shown,
                card.sections["Text"].line,
                "a cloze card needs at least one deletion, like `{{c1::hidden text}}`, "
                "in `## Text`",
            )
        )
    in_extra = OPEN.search(extra.html)
    if in_extra:
        problems.append(
            Problem.warning(
                card.shown,
                deletion_line(card.sections["Extra"], int(in_extra.group(1))),
                "a deletion in `## Extra` makes no card and shows as typed: "
                "deletions belong in `## Text`",
            )
        )
    return problems
