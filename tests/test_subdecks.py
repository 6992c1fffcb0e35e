"""Subdecks per category (``subdecks: true`` in deck.yaml), checked in the real Anki engine."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from ankigen.cli import main
from ankigen.commands.build import build
from tests.ankihelpers import import_package, notes_by_id_field

T0 = 1_800_000_000
DECK = "ML and DL Interview Questions"
SUBDECKS = "subdecks: true\nsubdeck_ids: {DL: 1843956110, ML: 1843956111}\n"


def add_to_deck_yaml(cards: Path, text: str) -> None:
    deck = cards / "deck.yaml"
    deck.write_text(deck.read_text(encoding="utf-8") + text, encoding="utf-8")


def set_version(cards: Path, version: str) -> None:
    deck = cards / "deck.yaml"
    deck.write_text(re.sub(r"(?m)^version: .*$", f"version: {version}", deck.read_text()))


def deck_of_each_card(col) -> Counter[str]:
    return Counter(col.decks.name(col.get_card(cid).did) for cid in col.find_cards(""))


def test_cards_land_in_the_subdeck_of_their_category(cards, tmp_path, collection):
    add_to_deck_yaml(cards, SUBDECKS)
    result = build(cards, tmp_path / "out", now=T0)
    assert build(cards, tmp_path / "again", now=T0, use_cache=False).output.read_bytes() == (
        result.output.read_bytes()
    )
    log = import_package(collection, result.output)
    assert len(log.new) == 10
    assert deck_of_each_card(collection) == {
        f"{DECK}::Deep Learning": 4,
        f"{DECK}::Machine Learning": 6,
    }
    parent = collection.decks.by_name(DECK)
    assert parent is not None and "Version 1.0.1" in parent["desc"]


def test_switching_subdecks_on_moves_only_new_cards(cards, tmp_path, collection):
    import_package(collection, build(cards, tmp_path / "v1", now=T0).output)
    add_to_deck_yaml(cards, SUBDECKS)
    new = cards / "DL" / "DL0005-dropout.md"
    new.write_text(
        "---\nid: DL0005\ntitle: Dropout\n---\n## Question\n\nWhat does dropout do?\n\n"
        "## Answer\n\nIt zeroes random activations while training.\n",
        encoding="utf-8",
    )
    set_version(cards, "1.1.0")
    log = import_package(collection, build(cards, tmp_path / "v2", now=T0 + 60).output)
    assert len(log.new) == 1
    assert deck_of_each_card(collection) == {DECK: 10, f"{DECK}::Deep Learning": 1}
    assert notes_by_id_field(collection)["DL0005"].cards()[0].did == collection.decks.id_for_name(
        f"{DECK}::Deep Learning"
    )


@pytest.mark.parametrize(
    ("addition", "message"),
    [
        ("subdecks: 1\n", "cards/deck.yaml:11: subdecks must be true (by category), false, or folders"),
        (
            "subdecks: true\nsubdeck_ids: {DL: 5, XX: 6}\n",
            "cards/deck.yaml:12: subdeck_ids: unknown category 'XX'",
        ),
        (
            "subdeck_ids: {DL: 1843956106, ML: 7}\n",
            "cards/deck.yaml:11: subdeck ids must differ from each other and from deck_id",
        ),
    ],
)
def test_bad_subdeck_settings_are_errors(cards, tmp_path, runner, monkeypatch, addition, message):
    add_to_deck_yaml(cards, addition)
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(main, ["check", "--cards", "cards"])
    assert result.exit_code == 1
    assert message in result.stderr.splitlines()


def test_missing_subdeck_ids_are_asked_for_with_ids_to_paste(cards, tmp_path, runner, monkeypatch):
    add_to_deck_yaml(cards, "subdecks: true\n")
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(main, ["check", "--cards", "cards"])
    assert result.exit_code == 1
    found = re.fullmatch(
        r"cards/deck\.yaml:11: subdecks need a permanent deck id for each category: add "
        r"`(subdeck_ids: \{DL: \d+, ML: \d+\})` \(random ids, chosen once; keep them\)",
        result.stderr.splitlines()[0],
    )
    assert found
    add_to_deck_yaml(cards, found.group(1) + "\n")
    assert runner.invoke(main, ["check", "--cards", "cards"]).exit_code == 0
