"""``ankigen list`` and ``ankigen stats``: counts checked against the card files themselves."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from ankigen.cli import main
from tests.clozedeck import add_cloze_cards
from tests.test_anki_roundtrip import source_formulas

STATS_KEYS = [
    "deck",
    "version",
    "cards",
    "anki_cards",
    "types",
    "categories",
    "tags",
    "formulas",
    "since_release",
    "anki_cards_by_type",
    "decks",
    "drafts",
]
CARD_KEYS = [
    "id",
    "title",
    "category",
    "type",
    "tags",
    "formulas",
    "anki_cards",
    "path",
    "since_release",
    "deck",
    "draft",
]


@pytest.fixture
def workdir(cards: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run_json(runner, *args: str) -> dict:
    result = runner.invoke(main, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def front_matter_tags(cards: Path) -> Counter[str]:
    """Tags counted from the card files with a plain regular expression."""
    found: Counter[str] = Counter()
    for path in cards.rglob("*.md"):
        line = re.search(r"^tags: \[(.*)\]$", path.read_text(encoding="utf-8"), re.M)
        found.update(tag.strip() for tag in line.group(1).split(",") if tag.strip())
    return found


def test_stats_of_the_shipped_deck(workdir, runner):
    stats = run_json(runner, "stats")
    assert list(stats) == STATS_KEYS
    assert stats["cards"] == stats["anki_cards"] == 10
    assert stats["types"] == {"basic": 10, "cloze": 0}
    assert stats["categories"] == {
        "DL": {"name": "Deep Learning", "cards": 4},
        "ML": {"name": "Machine Learning", "cards": 6},
    }
    assert stats["tags"] == dict(front_matter_tags(workdir / "cards"))
    expected = source_formulas(workdir / "cards")
    assert stats["formulas"] == {
        "inline": sum(not display for f in expected.values() for _, display in f),
        "display": sum(display for f in expected.values() for _, display in f),
        "total": sum(len(f) for f in expected.values()),
    }
    assert stats["since_release"] == {
        "release": "1.0.1",
        "added": [],
        "changed": [],
        "retired": [],
        "restored": [],
    }
    text = runner.invoke(main, ["stats"]).stdout.splitlines()
    assert (
        text[0] == "ML and DL Interview Questions 1.0.1: 10 cards (10 basic, 0 cloze), 10 in Anki."
    )
    assert text[-1] == "Since release 1.0.1: no changes."


def test_cards_changed_since_the_last_release(workdir, runner):
    cards = workdir / "cards"
    add_cloze_cards(cards)
    softmax = next(cards.rglob("ML0028-*.md"))
    softmax.write_text(softmax.read_text() + "\nOne more sentence.\n")
    next(cards.rglob("ML0027-*.md")).unlink()

    listed = run_json(runner, "list")
    assert [list(card) for card in listed["cards"]] == [CARD_KEYS] * 11
    status = {card["id"]: card["since_release"] for card in listed["cards"]}
    assert {k: v for k, v in status.items() if v != "unchanged"} == {
        "DL0005": "added",
        "ML0028": "changed",
        "ML0032": "added",
    }
    by_id = {card["id"]: card for card in listed["cards"]}
    assert by_id["ML0032"]["type"] == "cloze" and by_id["ML0032"]["anki_cards"] == 3
    assert by_id["ML0032"]["path"] == "cards/ML/ML0032-chain-rule.md"
    assert listed["release"] == "1.0.1"

    changed = run_json(runner, "list", "--changed")
    assert [card["id"] for card in changed["cards"]] == ["DL0005", "ML0028", "ML0032"]
    stats = run_json(runner, "stats")
    assert stats["since_release"] == {
        "release": "1.0.1",
        "added": ["DL0005", "ML0032"],
        "changed": ["ML0028"],
        "retired": ["ML0027"],
        "restored": [],
    }
    assert (stats["cards"], stats["anki_cards"]) == (11, 9 + 2 + 3)
    assert runner.invoke(main, ["stats"]).stdout.splitlines()[-1] == (
        "Since release 1.0.1: 2 added (DL0005, ML0032); 1 changed (ML0028); 1 retired (ML0027)."
    )


def test_list_as_text_and_filtered(workdir, runner):
    result = runner.invoke(main, ["list", "--category", "DL"])
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        "DL0001   basic unchanged Residual Connection  [architecture]",
        "DL0002   basic unchanged All Ones Init  [initialization]",
        "DL0003   basic unchanged 1×1 Convolution  [cnn]",
        "DL0004   basic unchanged Small Kernels  [cnn]",
    ]
    tagged = run_json(runner, "list", "--tag", "cnn")
    assert [card["id"] for card in tagged["cards"]] == ["DL0003", "DL0004"]
    unknown = runner.invoke(main, ["list", "--category", "XX"])
    assert unknown.exit_code == 2 and unknown.stdout == ""
    assert "'XX' is not a category of this deck (DL, ML)" in unknown.stderr


def test_a_broken_card_is_reported_not_listed(workdir, runner):
    path = next((workdir / "cards").rglob("DL0002-*.md"))
    path.write_text(path.read_text().replace("## Answer", "## Antwort"))
    result = runner.invoke(main, ["list", "--json"])
    assert result.exit_code == 1
    report = json.loads(result.stdout)  # no list, but why, for a script
    assert report["ok"] is False and "cards" not in report
    assert [p["path"] for p in report["problems"]] == ["cards/DL/DL0002-all-ones-init.md"]
    assert "unknown section `## Antwort`" in result.stderr
