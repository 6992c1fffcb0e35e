"""Learners re-import a new version: edits arrive, nothing duplicates, no history is lost."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ankigen.anki import notetype
from ankigen.commands.build import build
from ankigen.commands.release import release
from tests.ankihelpers import (
    import_package,
    notes_by_id_field,
    review_log,
    scheduling,
    study_all,
)

DECK_NAME = "ML and DL Interview Questions"
T0 = 1_800_000_000


def edit_answer(cards: Path, card_id: str, old: str, new: str) -> None:
    path = next(cards.rglob(f"{card_id}-*.md"))
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def bump_version(cards: Path, version: str) -> None:
    deck = cards / "deck.yaml"
    deck.write_text(re.sub(r"(?m)^version: .*$", f"version: {version}", deck.read_text()))


def snapshot(col):
    return {
        cid: (n.id, n.mod, tuple(n.fields), tuple(sorted(n.tags)))
        for cid, n in notes_by_id_field(col).items()
    }


def test_new_version_updates_the_edited_note_and_keeps_all_history(cards, tmp_path, collection):
    out = tmp_path / "out"
    v1 = build(cards, out, now=T0).output
    assert len(import_package(collection, v1).new) == 10
    assert study_all(collection, DECK_NAME) >= 10
    sched_before, log_before, notes_before = (
        scheduling(collection),
        review_log(collection),
        snapshot(collection),
    )
    assert len(log_before) >= 10

    edit_answer(cards, "DL0003", "1×1 conv first reduces", "1×1 convolution first reduces")
    result = release(cards, out, "minor", now=T0 + 60).build
    assert result.changes.changed == ("DL0003",)
    assert result.output.name.endswith("-1.1.0.apkg")
    log = import_package(collection, result.output)

    assert [n.fields[0] for n in log.updated] == ["DL0003"]
    assert not log.new and not log.conflicting and not log.first_field_match
    notes_after = snapshot(collection)
    assert set(notes_after) == set(notes_before)
    assert "1×1 convolution first reduces" in notes_after["DL0003"][2][3]
    assert notes_after["DL0003"][1] > notes_before["DL0003"][1]
    for card_id, before in notes_before.items():
        if card_id != "DL0003":
            assert notes_after[card_id] == before, f"{card_id} was touched"
    assert collection.note_count() == 10
    assert not [m for m in collection.models.all() if m["name"].endswith("+")]
    assert scheduling(collection) == sched_before
    assert review_log(collection) == log_before


def test_unchanged_rebuild_does_not_overwrite_a_learners_own_edit(cards, tmp_path, collection):
    out = tmp_path / "out"
    import_package(collection, build(cards, out, now=T0).output)
    note = notes_by_id_field(collection)["ML0028"]
    note["Answer"] = note["Answer"] + "<p>my own mnemonic</p>"
    collection.update_note(note)

    edit_answer(cards, "ML0030", "S‑shape", "S-shape")
    bump_version(cards, "1.0.1")
    log = import_package(collection, build(cards, out, now=T0 + 60).output)

    assert [n.fields[0] for n in log.updated] == ["ML0030"]
    assert "my own mnemonic" in notes_by_id_field(collection)["ML0028"]["Answer"]


def test_template_change_reaches_learners_without_a_note_type_copy(
    cards, tmp_path, collection, monkeypatch: pytest.MonkeyPatch
):
    out = tmp_path / "out"
    import_package(collection, build(cards, out, now=T0).output)
    study_all(collection, DECK_NAME)
    sched_before = scheduling(collection)

    monkeypatch.setattr(notetype, "CSS", notetype.CSS + "\n.title { color: #0b57d0; }\n")
    bump_version(cards, "1.0.1")
    result = build(cards, out, now=T0 + 60)
    assert result.changes.note_type_changed
    log = import_package(collection, result.output)

    assert not log.conflicting and not log.new
    models = [m for m in collection.models.all() if m["id"] == 1843956107]
    assert len(models) == 1 and "#0b57d0" in models[0]["css"]
    assert not [m for m in collection.models.all() if m["name"].endswith("+")]
    assert scheduling(collection) == sched_before

    # and the notes still update afterwards
    edit_answer(cards, "ML0029", "In machine learning", "In ML")
    bump_version(cards, "1.0.2")
    log = import_package(collection, build(cards, out, now=T0 + 120).output)
    assert [n.fields[0] for n in log.updated] == ["ML0029"]
