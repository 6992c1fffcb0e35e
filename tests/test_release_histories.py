"""Random release histories through the real Anki engine (hypothesis).

Each history is up to five releases of a small deck; each release edits, adds, removes or
restores random cards. After every import (default options, studying in between) the
collection must be exactly what the release's changelog says: live cards with their text
and tags, tombstones for removed ones, no duplicates, no conflicts, no "+" note type, and
every card's scheduling and the review log kept.
"""

from __future__ import annotations

import itertools
import tempfile
from pathlib import Path

from anki.collection import Collection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ankigen.commands.release import release
from tests.ankihelpers import import_package, notes_by_id_field, review_log, scheduling, study_all

DECK = """name: Histories
version: 1.0.0
categories:
  AB: Alphabet
deck_id: 424242
note_type_id: 434343
"""
OPERATIONS = st.tuples(st.sampled_from(["edit", "add", "remove", "restore"]), st.integers(0, 50))
HISTORIES = st.lists(st.lists(OPERATIONS, min_size=1, max_size=3), min_size=1, max_size=5)


def card_text(card_id: str, answer: str) -> str:
    return (
        f"---\nid: {card_id}\ntitle: Card {card_id}\ntags: [t{card_id[-1]}]\n---\n"
        f"## Question\n\nWhat is {card_id}?\n\n## Answer\n\n{answer} with $x_{{{card_id[-1]}}}$.\n"
    )


class Deck:
    """The sources on disk and the model of what learners should have."""

    def __init__(self, folder: Path) -> None:
        self.cards = folder / "cards"
        self.cards.mkdir()
        (self.cards / "deck.yaml").write_text(DECK)
        self.live: dict[str, str] = {}  # id → answer text
        self.retired: set[str] = set()
        self.released: set[str] = set()  # every id a release (or the first build) shipped
        self.counter = itertools.count(1)
        for _ in range(3):
            self.add()

    def write(self, card_id: str, answer: str) -> None:
        (self.cards / f"{card_id}.md").write_text(card_text(card_id, answer))
        self.live[card_id] = answer

    def add(self) -> str:
        card_id = f"AB{next(self.counter):04d}"
        self.write(card_id, f"answer {card_id} v1")
        return card_id

    def apply(self, operation: str, pick: int) -> bool:
        """Apply one operation; return whether it removed a card."""
        live, retired = sorted(self.live), sorted(self.retired)
        if operation == "edit" and live:
            card_id = live[pick % len(live)]
            self.write(card_id, f"answer {card_id} edit {pick}")
        elif operation == "add":
            self.add()
        elif operation == "remove" and len(live) > 1:
            card_id = live[pick % len(live)]
            (self.cards / f"{card_id}.md").unlink()
            del self.live[card_id]
            if card_id in self.released:  # a card no learner ever got leaves no tombstone
                self.retired.add(card_id)
            return True
        elif operation == "restore" and retired:
            card_id = retired[pick % len(retired)]
            self.retired.discard(card_id)
            self.write(card_id, f"answer {card_id} back {pick}")
        return False


def check_collection(col: Collection, deck: Deck) -> None:
    notes = notes_by_id_field(col)
    assert set(notes) == set(deck.live) | deck.retired  # no duplicates, nothing lost
    for card_id, answer in deck.live.items():
        note = notes[card_id]
        assert note["Answer"] == f"<p>{answer} with \\(x_{{{card_id[-1]}}}\\).</p>"
        assert sorted(note.tags) == sorted(["AB", f"t{card_id[-1]}"])
    for card_id in deck.retired:
        assert "ankigen::retired" in notes[card_id].tags
        assert notes[card_id]["Title"].endswith("(retired)")
    assert not [m for m in col.models.all() if m["name"].endswith("+")]


@settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(history=HISTORIES)
def test_random_histories_reach_learners_as_the_changelogs_say(history):
    with tempfile.TemporaryDirectory(prefix="ankigen-history-") as work:
        folder = Path(work)
        deck = Deck(folder)
        out, now = folder / "out", 1_800_000_000
        (folder / "anki").mkdir()
        col = Collection(str(folder / "anki" / "collection.anki2"))
        try:
            first = release(deck.cards, out, None, now=now, changelog=folder / "CHANGES.md")
            assert len(import_package(col, first.build.output).new) == 3
            deck.released |= set(deck.live)
            check_collection(col, deck)
            for operations in history:
                study_all(col, "Histories")
                reviews, schedule = review_log(col), scheduling(col)
                removed = [deck.apply(op, pick) for op, pick in operations]
                now += 100
                part = "major" if any(removed) else "minor"
                result = release(
                    deck.cards,
                    out,
                    part,
                    now=now,
                    changelog=folder / "CHANGES.md",
                    allow_empty=True,  # a history may change nothing
                )
                log = import_package(col, result.build.output)
                deck.released |= set(deck.live)

                changes = result.changes
                assert sorted(n.fields[0] for n in log.new) == sorted(i for i, _ in changes.added)
                updated = [i for i, _, _ in changes.changed] + [i for i, _, _ in changes.retired]
                updated += [i for i, _ in changes.restored]
                assert sorted(n.fields[0] for n in log.updated) == sorted(updated)
                assert not log.conflicting and not log.first_field_match
                untouched = (
                    (set(deck.live) | deck.retired) - set(updated) - {i for i, _ in changes.added}
                )
                assert sorted(n.fields[0] for n in log.duplicate) == sorted(untouched)
                check_collection(col, deck)
                assert review_log(col) == reviews
                now_schedule = scheduling(col)
                assert {cid: now_schedule[cid] for cid in schedule} == schedule
        finally:
            col.close()
