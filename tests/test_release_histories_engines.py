"""Random release histories, with development builds between releases and a learner's own
edits, through today's engine and Anki 24.11's (hypothesis).

Anki 2.1.55 to 24.11 give a note an import updates the time of the import (ANKI.md). Each
round of a history plays what happens between two releases, in the order that hurts:

1. the author edits, adds, removes or restores cards and makes a development build with
   the clock set back a day (its stamps are older than anything the learner does next);
2. the learner imports the last release (waiting until the engine's clock is a second
   past the release's time: every import is made after its release, and Anki's times are
   in seconds), studies, and may edit the answer of one card of their own;
3. the author changes more cards and releases, stamped a second after that import (and
   that edit).

After every import the collection must be exactly what the changelogs say: each live card
with the author's text, or the learner's own where no release changed that card since the
learner wrote it; tombstones for retired cards, none for a card no release shipped; no
duplicate, no conflict; the import log's new and updated notes as the release says; every
review and every card's scheduling kept. The engine runs in its own process
(``tests/engine_steps.py --serve``); ``scripts/test`` installs 24.11 into
``.venv-anki2411``, and without it that case skips with a note (under CI it fails).
"""

from __future__ import annotations

import json
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ankigen.commands.build import build
from ankigen.commands.release import ReleaseResult, release
from tests.test_release_histories import OPERATIONS, Deck
from tests.test_release_stamps_engines import ENGINES, STEPS, engine_python

ROUNDS = st.lists(
    st.tuples(
        st.lists(OPERATIONS, min_size=1, max_size=2),  # before the development build
        st.booleans(),  # whether the author makes one (mostly: see below)
        st.one_of(st.none(), st.integers(0, 50)),  # which card the learner edits, if any
        st.lists(OPERATIONS, max_size=2),  # after the learner's import
    ),
    min_size=1,
    max_size=3,
).filter(lambda rounds: sum(dev for _, dev, _, _ in rounds) * 2 >= len(rounds))


class Learner:
    """One collection in an engine's own process, answering one step at a time."""

    def __init__(self, engine: Path, collection: Path) -> None:
        self.process = subprocess.Popen(
            [str(engine), str(STEPS), str(collection), "--serve"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def ask(self, step: dict[str, Any]) -> Any:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps(step) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        assert line, "the engine's process ended"
        return json.loads(line)

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=60)


def answer_html(card_id: str, answer: str) -> str:
    return f"<p>{answer} with \\(x_{{{card_id[-1]}}}\\).</p>"


Shipped = tuple[dict[str, str], set[str]]  # a release's live cards (id → answer), retired ids


def imported(learner: Learner, made: ReleaseResult, shipped: Shipped, own: dict[str, str]) -> int:
    """Import ``made`` after its time; check the log and the collection against what it
    ``shipped``; the engine's time after the import."""
    live, retired = shipped
    learner.ask({"wait_until": _time_of(made) + 1})  # a second after: as days are, for Anki
    reviews, schedule = learner.ask({"reviews": 1}), learner.ask({"schedule": 1})
    log = learner.ask({"import": str(made.build.output), "ids": True})
    changes = made.changes
    assert log["new"] == sorted(i for i, _ in changes.added)
    updated = [i for i, _, _ in changes.changed + changes.retired] + [i for i, _ in changes.restored]
    assert log["updated"] == sorted(updated)
    assert log["conflicting"] == [] and log["first_field_match"] == []
    notes = learner.ask({"notes": 1})
    assert sorted(notes) == sorted(set(live) | retired)  # no duplicate, none lost
    for card_id, answer in live.items():
        fields, tags = notes[card_id]
        assert fields[3] == own.get(card_id, answer_html(card_id, answer)), card_id
        assert tags == sorted(["AB", f"t{card_id[-1]}"])
    for card_id in retired:
        fields, tags = notes[card_id]
        assert "ankigen::retired" in tags and fields[1].endswith("(retired)")
    assert not [name for name in learner.ask({"note_types": 1}) if name.endswith("+")]
    assert learner.ask({"reviews": 1}) == reviews
    now = learner.ask({"schedule": 1})
    assert {card: now[card] for card in schedule} == schedule
    return int(log["time"])


def _time_of(made: ReleaseResult) -> int:
    record = json.loads((made.build.lock_path.parent / "ankigen.release.json").read_text())
    return int(record["time"])


@pytest.mark.parametrize("name", list(ENGINES))
def test_random_histories_with_development_builds_lose_nothing(name):
    engine = engine_python(name)

    @settings(
        max_examples=8 if name == "24.11" else 4,  # today's engine: test_release_histories too
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(rounds=ROUNDS)
    def history(rounds: list[tuple[Any, bool, int | None, Any]]) -> None:
        with tempfile.TemporaryDirectory(prefix="ankigen-engine-history-") as work:
            play(engine, Path(work), rounds)

    history()


def play(engine: Path, folder: Path, rounds: list[tuple[Any, bool, int | None, Any]]) -> None:
    deck, out, changelog = Deck(folder), folder / "out", folder / "CHANGES.md"
    (folder / "anki").mkdir()
    learner = Learner(engine, folder / "anki" / "collection.anki2")
    own: dict[str, str] = {}  # the learner's own answers, by card, until a release changes it
    try:
        made = release(deck.cards, out, None, now=int(time.time()), changelog=changelog)
        deck.released |= set(deck.live)
        shipped: Shipped = (dict(deck.live), set(deck.retired))
        for number, (before, dev_build, edit_pick, after) in enumerate(rounds):
            removed = [deck.apply(op, pick) for op, pick in before]
            if dev_build:  # the author's clock a day back: stamps older than the import
                build(deck.cards, folder / "dev", now=_time_of(made) - 86400)
            when = imported(learner, made, shipped, own)
            learner.ask({"study": "Histories"})
            if edit_pick is not None:
                live = sorted(shipped[0])
                card_id = live[edit_pick % len(live)]
                text = f"<p>my own note {number}</p>"
                when = max(when, learner.ask({"edit": [card_id, 3, text]}))
                own[card_id] = text
            removed += [deck.apply(op, pick) for op, pick in after]
            made = release(
                deck.cards,
                out,
                "major" if any(removed) else "minor",
                now=when + 1,
                changelog=changelog,
                allow_empty=True,
            )
            changes = made.changes
            for card_id in [i for i, _, _ in changes.changed + changes.retired] + [
                i for i, _ in changes.restored
            ]:
                own.pop(card_id, None)  # the author's edit replaces the learner's
            deck.released |= set(deck.live)
            shipped = (dict(deck.live), set(deck.retired))
        imported(learner, made, shipped, own)
    finally:
        learner.close()
