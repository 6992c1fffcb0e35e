"""The check stage, a changed id: a card file that now says ``id: Y`` where it said ``id: X``.

Anki matches a learner's note to the package's by the card's id, so a changed id is not an
edit: the build would retire X (learners keep it as a tombstone) and add Y as a new card.
Unnoticed, that reads later as "card X was removed". The lock knows X (and its title); when no
file has X any more, and the file that has a new id Y is X's file (its name starts with ``X-``)
or has X's title, the id changed. That is an error once X was released (learners have it), a
warning before (nobody has it yet, but ids are meant to be permanent).
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from pathlib import Path

from ankigen.anki.lock import Lock
from ankigen.errors import Problem
from ankigen.release.changelog import ReleaseManifest
from ankigen.render.card import RenderedCard


def changed_id_problems(
    lock: Lock, cards: Sequence[RenderedCard], released: ReleaseManifest
) -> list[Problem]:
    """A problem at the id line of each card file whose id changed since the lock."""
    live = {card.id for card in cards}
    new = [c for c in cards if c.id not in lock.cards and c.id not in lock.retired]
    problems = []
    for old_id in sorted(set(lock.cards) - live):
        title = lock.cards[old_id].title
        card = next((c for c in new if _was(c, old_id, title)), None)
        if card is None:
            continue
        new.remove(card)
        message = (
            f"this file's id changed from {old_id} to {card.id}: ids are permanent (Anki "
            f"matches learners' notes by them, so {old_id} would be retired and {card.id} "
            f"added as a new card); put `id: {old_id}` back (or, to replace the card on "
            f"purpose, write {card.id} in a new file and delete {old_id}'s)"
        )
        line = _id_line(card)
        if old_id in released.cards:
            problems.append(Problem(card.shown, line, message))
        else:
            problems.append(Problem.warning(card.shown, line, message))
    return problems


def _was(card: RenderedCard, old_id: str, title: str | None) -> bool:
    name = Path(card.shown).name
    if name == f"{old_id}.md" or name.startswith(f"{old_id}-"):
        return True
    return bool(title) and html.unescape(card.title) == title


def _id_line(card: RenderedCard) -> int:
    """The line of ``id:`` in the card's file (1 if it cannot be read)."""
    try:
        text = Path(card.shown).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return 1
    for number, line in enumerate(text.splitlines(), 1):
        if re.match(rf"id:\s*['\"]?{re.escape(card.id)}\b", line):
            return number
    return 1
