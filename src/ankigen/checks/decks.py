"""The check stage, subdecks: a released card that would now go to another deck.

Anki never moves a learner's existing card on import (ANKI.md): a card the author files under
another deck (``deck:``, its folder with ``subdecks: folders``, or its category with
``subdecks: true``) stays where each learner has it, and only new learners find it in the
new place. That is worth a warning, not an error: nothing breaks, but the author may expect
otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence

from ankigen.errors import Problem, quoted
from ankigen.release.changelog import ReleaseManifest
from ankigen.render.card import RenderedCard
from ankigen.source.config import DeckConfig


def moved_card_problems(
    cards: Sequence[RenderedCard], released: ReleaseManifest, config: DeckConfig
) -> list[Problem]:
    """A warning for each card whose deck differs from the one the last release shipped it
    in (a record from before releases kept decks knows none)."""
    problems = []
    for card in cards:
        shipped = released.cards.get(card.id)
        if shipped is None or shipped.deck is None:
            continue
        now = config.card_deck(card.category, card.deck)
        if shipped.deck == now:
            continue
        where = f"{config.name}::{shipped.deck}" if shipped.deck else config.name
        goes = f"{config.name}::{now}" if now else config.name
        problems.append(
            Problem.warning(
                card.shown,
                1,
                f"card {card.id} was released in deck {quoted(where)} and now goes to "
                f"{quoted(goes)}: "
                "Anki never moves a learner's existing card on import, so learners who have "
                "it keep it where it was; only new learners find it in the new deck "
                "(docs/cards.md: Nested decks)",
            )
        )
    return problems
