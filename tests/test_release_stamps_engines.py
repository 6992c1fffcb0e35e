"""A development build's stamps never cost a learner an update, on today's engine and on
Anki 24.11 (AnkiDroid 2.20's), whose importer gives every note it updates the time of the
import (ANKI.md). ``scripts/test`` installs ``anki==24.11`` into ``.venv-anki2411``; where it
could not, the 24.11 case skips with a note (and fails under CI).

The story, from the release-loop issue: version 1 is released, imported and studied;
version 2 changes card X; the author then edits X again and corrects card Y, and builds that
as a development build with the clock a day back; the learner imports version 2 (24.11 sets
X's time to now) and edits Y by hand; version 3 is released with both edits. The learner
must get both, and keep every review. Before releases stamped at their own time, X's and Y's
stamps were the development build's, older than the learner's import and edit, and both
edits were skipped.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ankigen.commands.build import build
from ankigen.commands.release import release
from tests.conftest import SHIPPED_CARDS

REPO = Path(__file__).resolve().parents[1]
STEPS = Path(__file__).resolve().parent / "engine_steps.py"
ENGINES = {"current": Path(sys.executable), "24.11": REPO / ".venv-anki2411" / "bin" / "python"}
DECK = "ML and DL Interview Questions"
X, Y = "ML0027", "ML0028"


def engine_python(name: str) -> Path:
    """The Python of the engine ``name``; the test skips with a note where it is not
    installed, and fails under CI, which installs both."""
    engine = ENGINES[name]
    if not engine.exists():
        message = f"anki {name} is not installed in {engine.parent.parent.name}: bash scripts/test"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return engine


def learner(engine: Path, collection: Path, steps: list[dict[str, object]]) -> list[object]:
    done = subprocess.run(
        [str(engine), str(STEPS), str(collection)],
        input=json.dumps(steps),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def append(cards: Path, card_id: str, text: str) -> None:
    card = next(cards.rglob(f"{card_id}-*.md"))
    card.write_text(card.read_text(encoding="utf-8") + f"\n{text}\n", encoding="utf-8")


@pytest.mark.parametrize("name", list(ENGINES))
def test_a_dev_build_never_costs_a_learner_an_update(name, tmp_path, monkeypatch):
    engine = engine_python(name)
    monkeypatch.chdir(tmp_path)
    cards = tmp_path / "cards"
    shutil.copytree(SHIPPED_CARDS, cards)
    collection = tmp_path / "anki" / "collection.anki2"
    collection.parent.mkdir()
    now = int(time.time())

    v1 = build(cards, tmp_path / "v1", now=now - 3 * 86400).output
    first = learner(engine, collection, [{"import": str(v1)}, {"study": DECK}, {"reviews": 1}])
    assert first[0]["new"] == 10 and first[1] >= 10
    reviews = first[2]

    append(cards, X, "First edit of X.")
    v2 = release(cards, tmp_path / "v2", "patch", now=now - 7200).build.output
    append(cards, X, "Second edit of X.")
    append(cards, Y, "The author's correction of Y.")
    build(cards, tmp_path / "dev", now=now - 86400)  # a development build, clock a day back

    time.sleep(1)  # the learner's import and edit come after every stamp so far
    seen = learner(
        engine,
        collection,
        [{"import": str(v2)}, {"fields": Y}],
    )
    assert seen[0]["updated"] == 1
    learner(engine, collection, [{"edit": [Y, 3, seen[1][3] + "<p>My own note.</p>"]}])

    v3 = release(cards, tmp_path / "v3", "patch", now=int(time.time()) + 60).build.output
    last = learner(
        engine, collection, [{"import": str(v3)}, {"fields": X}, {"fields": Y}, {"reviews": 1}]
    )
    assert last[0]["updated"] == 2 and last[0]["new"] == 0 and last[0]["conflicting"] == 0
    assert "Second edit of X." in last[1][3]
    assert "The author's correction of Y." in last[2][3]
    assert last[3] == reviews  # every review kept
