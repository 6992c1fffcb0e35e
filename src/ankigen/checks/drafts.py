"""Drafts: card files with ``draft: true``, in the making.

``check``, ``list`` and ``preview`` show them, with their problems as warnings; ``build`` and
``release`` leave them out: a draft is in no package, not in the lock, not in the release
record, and, never having been built, not retired either. A card that was built (the lock
has it) cannot become a draft: leaving it out would retire its note in every collection that
has it, so that is an error with the way out. ``--strict`` refuses drafts altogether.
"""

from __future__ import annotations

from collections.abc import Sequence

from ankigen.anki.lock import Lock
from ankigen.errors import Problem
from ankigen.render.card import RenderedCard

Draft = tuple[str, str, int]  # its id ("" when it has none), file, and line of `draft:`


def live_cards(cards: Sequence[RenderedCard]) -> tuple[RenderedCard, ...]:
    """The cards that go into packages: all but the drafts."""
    return tuple(card for card in cards if not card.draft)


def draft_names(drafts: Sequence[Draft]) -> tuple[str, ...]:
    """Each draft by its id, or by its file when it has no id yet."""
    return tuple(card_id or shown for card_id, shown, _ in drafts)


def draft_problems(
    drafts: Sequence[Draft],
    live: Sequence[RenderedCard],
    lock: Lock,
    lock_shown: str,
    *,
    strict: bool,
) -> list[Problem]:
    """Errors: a built card made a draft, and with ``strict`` any draft."""
    present = {card.id for card in live}
    problems = []
    for card_id, shown, line in drafts:
        if card_id in lock.cards and card_id not in present:
            built_at = lock.card_lines.get(card_id, 1)
            problems.append(
                Problem(
                    shown,
                    line,
                    f"card {card_id} was built ({lock_shown}:{built_at}), so it cannot become "
                    "a draft: left out, it would be retired in every collection that has it; "
                    "delete the `draft: true` line to keep it in the deck (edits and all), or "
                    "give the draft a new id (`ankigen new`) and keep this card as it was",
                )
            )
        elif strict:
            problems.append(
                Problem(
                    shown,
                    line,
                    f"{card_id or 'this card'} is a draft, and --strict refuses drafts: finish "
                    "it and delete its `draft: true` line, or run without --strict to leave "
                    "it out",
                )
            )
    return problems


def drafts_line(names: Sequence[str]) -> str:
    """``2 drafts left out: DL0007, DL0008``, the line build and release print."""
    word = "draft" if len(names) == 1 else "drafts"
    return f"{len(names)} {word} left out: {', '.join(names)}"
