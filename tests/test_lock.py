"""The lock: each note's time changes exactly when its content does."""

from __future__ import annotations

import json

import pytest

from ankigen.anki.lock import (
    CardStamp,
    Lock,
    Stamp,
    format_lock,
    parse_lock,
    update_lock,
)
from ankigen.anki.lockfile import read_lock
from ankigen.errors import AnkigenError


def test_first_build_stamps_everything_now_with_distinct_note_ids():
    lock, changes = update_lock(Lock(), "type1", {"B1": "h2", "A1": "h1"}, now=1000)
    assert changes.added == ("A1", "B1") and changes.note_type_changed
    assert lock.cards["A1"].mod == lock.cards["B1"].mod == 1000
    assert lock.note_type.mod == 1000
    assert lock.cards["A1"].note_id != lock.cards["B1"].note_id


def test_only_changed_cards_get_a_newer_time():
    lock, _ = update_lock(Lock(), "type1", {"A1": "h1", "B1": "h2"}, now=1000)
    lock2, changes = update_lock(lock, "type1", {"A1": "h1-edited", "B1": "h2"}, now=5000)
    assert changes.changed == ("A1",) and not changes.added and not changes.note_type_changed
    assert lock2.cards["A1"].mod == 5000
    assert lock2.cards["B1"] == lock.cards["B1"]
    assert lock2.cards["A1"].note_id == lock.cards["A1"].note_id
    assert lock2.note_type == lock.note_type


def test_a_change_is_newer_even_when_the_clock_is_behind():
    lock, _ = update_lock(Lock(), "type1", {"A1": "h1"}, now=1000)
    lock2, _ = update_lock(lock, "type2", {"A1": "h1-edited"}, now=900)
    assert lock2.cards["A1"].mod == 1001
    assert lock2.note_type.mod == 1001


def test_new_cards_get_note_ids_after_the_existing_ones():
    lock, _ = update_lock(Lock(), "t", {"A1": "h1"}, now=1000)
    lock2, changes = update_lock(lock, "t", {"A1": "h1", "A2": "h"}, now=10)
    assert changes.added == ("A2",)
    assert lock2.cards["A2"].note_id > lock2.cards["A1"].note_id


def test_removed_cards_are_reported():
    lock, _ = update_lock(Lock(), "t", {"A1": "h1", "A2": "h2"}, now=1000)
    _, changes = update_lock(lock, "t", {"A1": "h1"}, now=2000)
    assert changes.removed == ("A2",)
    assert changes.describe() == "A2 removed"


def test_lock_round_trips_through_its_file(tmp_path):
    lock, _ = update_lock(Lock(), "t", {"A1": "h1", "B2": "h2"}, now=1000)
    path = tmp_path / "ankigen.lock"
    path.write_text(format_lock(lock))
    assert read_lock(path) == lock
    lines = path.read_text().splitlines()
    for card_id in ("A1", "B2"):  # one line per card, so diffs name the card
        assert len([line for line in lines if card_id in line]) == 1


def test_corrupt_lock_is_reported_with_its_line(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "ankigen.lock"
    path.write_text('{\n  "format": 1,\n  "cards": {,}\n}\n')
    with pytest.raises(AnkigenError) as caught:
        read_lock(path)
    assert str(caught.value.problems[0]).startswith("ankigen.lock:3: corrupt lock file")


def test_missing_lock_is_empty(tmp_path):
    assert read_lock(tmp_path / "ankigen.lock") == Lock()


def test_a_long_change_list_is_shortened_in_the_summary():
    _, changes = update_lock(Lock(), "t", {f"A{i}": "h" for i in range(1, 9)}, now=1)
    assert changes.describe() == "A1, A2, A3, A4, A5 and 3 more added; note type changed"


def tombstone(card_id: str, title: str, retired_in: str) -> str:
    return f"tomb:{card_id}:{title}:{retired_in}"


def test_a_removed_card_becomes_a_tombstone_with_a_newer_time_and_its_note_id():
    titles = {"A1": "Alpha", "B1": "Beta"}
    lock, _ = update_lock(
        Lock(),
        "t",
        {"A1": "h1", "B1": "h2"},
        now=1000,
        titles=titles,
        version="1.0.0",
        tombstone_hash=tombstone,
    )
    lock2, changes = update_lock(
        lock, "t", {"A1": "h1"}, now=900, titles=titles, version="2.0.0", tombstone_hash=tombstone
    )
    assert changes.removed == ("B1",) and "B1" not in lock2.cards
    tomb = lock2.retired["B1"]
    assert (tomb.title, tomb.retired_in, tomb.note_id) == (
        "Beta",
        "2.0.0",
        lock.cards["B1"].note_id,
    )
    assert tomb.hash == "tomb:B1:Beta:2.0.0" and tomb.mod == 1001

    # later builds keep the tombstone as it is
    lock3, changes = update_lock(
        lock2, "t", {"A1": "h1"}, now=5000, titles=titles, version="2.1.0", tombstone_hash=tombstone
    )
    assert lock3.retired == lock2.retired and not changes.removed


def test_a_restored_card_gets_its_old_note_back_with_a_newer_time():
    titles = {"A1": "Alpha", "B1": "Beta"}
    lock, _ = update_lock(
        Lock(),
        "t",
        {"A1": "h1", "B1": "h2"},
        now=1000,
        titles=titles,
        version="1.0.0",
        tombstone_hash=tombstone,
    )
    lock2, _ = update_lock(
        lock, "t", {"A1": "h1"}, now=2000, titles=titles, version="2.0.0", tombstone_hash=tombstone
    )
    lock3, changes = update_lock(
        lock2,
        "t",
        {"A1": "h1", "B1": "h2"},
        now=1500,
        titles=titles,
        version="2.1.0",
        tombstone_hash=tombstone,
    )
    assert changes.restored == ("B1",) and not changes.added
    assert lock3.cards["B1"].note_id == lock.cards["B1"].note_id
    assert lock3.cards["B1"].mod == 2001 and not lock3.retired


def test_a_reworded_tombstone_gets_a_newer_time(tmp_path):
    lock, _ = update_lock(
        Lock(),
        "t",
        {"A1": "h1", "B1": "h2"},
        now=1000,
        version="1.0.0",
        titles={"B1": "Beta"},
        tombstone_hash=tombstone,
    )
    lock2, _ = update_lock(
        lock,
        "t",
        {"A1": "h1"},
        now=2000,
        version="2.0.0",
        titles={"B1": "Beta"},
        tombstone_hash=tombstone,
    )
    lock3, changes = update_lock(
        lock2,
        "t",
        {"A1": "h1"},
        now=3000,
        version="2.0.1",
        tombstone_hash=lambda *args: "reason given",
    )
    assert changes.tombstones_changed == ("B1",) and lock3.retired["B1"].mod == 3000
    path = tmp_path / "ankigen.lock"
    path.write_text(format_lock(lock3))
    assert read_lock(path) == lock3


def test_a_card_line_is_what_json_writes_for_it(tmp_path):
    titles = {"A1": 'Ti"tle \\ ü\n\u2028', "B\u0662": "Arabic-Indic digit", "C3": ""}
    lock, _ = update_lock(
        Lock(), "t", {k: "h" for k in titles}, now=1000, titles=titles, clozes={"C3": (1, 3)}
    )
    lines = format_lock(lock).split("\n")
    for card_id, stamp in lock.cards.items():
        entry = {"hash": stamp.hash, "mod": stamp.mod, "note_id": stamp.note_id}
        entry |= {"title": stamp.title} | ({"clozes": list(stamp.clozes)} if stamp.clozes else {})
        expected = f"    {json.dumps(card_id)}: {json.dumps(entry, ensure_ascii=False)}"
        assert expected in lines or expected + "," in lines
    path = tmp_path / "ankigen.lock"
    path.write_text(format_lock(lock), encoding="utf-8")
    assert read_lock(path).cards == lock.cards


def test_a_lock_nested_too_deep_is_reported_not_a_crash(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "ankigen.lock"
    path.write_text("[" * 100_000)
    with pytest.raises(AnkigenError) as caught:
        read_lock(path)
    assert str(caught.value.problems[0]).startswith("ankigen.lock:1: corrupt lock file")


def test_entry_lines_count_only_real_line_breaks():
    lock = Lock(
        note_type=Stamp("h", 1),
        cards={
            "DL0001": CardStamp("a", 1, 100, "Line\u2028separator\u2029and\x85next"),
            "DL0002": CardStamp("b", 1, 200, "Plain"),
        },
    )
    text = format_lock(lock)
    lines = parse_lock(text, "ankigen.lock").card_lines
    for card_id in ("DL0001", "DL0002"):
        assert text.split("\n")[lines[card_id] - 1].startswith(f'    "{card_id}"')
