"""`ankigen diff OLD NEW` says what real Anki then does on importing NEW over OLD."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from anki.collection import Collection, ExportAnkiPackageOptions

from ankigen.anki import notetype
from ankigen.cli import main
from ankigen.commands.build import build
from tests.ankihelpers import import_package

NEW_CARD = """---
id: ML0032
title: Logistic Regression
tags: [classification]
---
## Question

What does logistic regression model?

## Answer

The log-odds of the positive class as a linear function: $\\log\\frac{p}{1-p} = w^\\top x + b$.
"""


def two_versions(cards: Path, out: Path) -> tuple[Path, Path]:
    v1 = build(cards, out, now=1_800_000_000).output
    card = next(cards.rglob("ML0029-*.md"))
    card.write_text(card.read_text().replace("In machine learning", "In ML"))
    (cards / "ML" / "ML0032-logistic-regression.md").write_text(NEW_CARD)
    deck = cards / "deck.yaml"
    deck.write_text(re.sub(r"(?m)^version: .*$", "version: 1.1.0", deck.read_text()))
    return v1, build(cards, out, now=1_800_000_100).output


def test_diff_matches_what_anki_does(cards, tmp_path, collection, runner):
    v1, v2 = two_versions(cards, tmp_path / "out")
    result = runner.invoke(main, ["diff", str(v1), str(v2)])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "new notes (1):",
        "  ML0032",
        "updated notes (1):",
        "  ML0029: Answer",
        "untouched notes: 9",
    ]

    import_package(collection, v1)
    log = import_package(collection, v2)
    assert [n.fields[0] for n in log.new] == ["ML0032"]
    assert [n.fields[0] for n in log.updated] == ["ML0029"]
    assert not log.conflicting


def test_diff_reads_a_package_exported_by_anki_itself(cards, tmp_path, collection, runner):
    v1, _ = two_versions(cards, tmp_path / "out")
    import_package(collection, v1)
    note = collection.get_note(collection.find_notes("ID:ML0028")[0])
    note["Title"] = "Softmax, edited in Anki"
    collection.update_note(note)
    exported = tmp_path / "exported.apkg"
    options = ExportAnkiPackageOptions(
        with_scheduling=False, with_deck_configs=False, with_media=False, legacy=False
    )
    collection.export_anki_package(out_path=str(exported), options=options, limit=None)

    result = runner.invoke(main, ["diff", str(v1), str(exported)])
    assert result.exit_code == 0, result.output
    assert "updated notes (1):\n  ML0028: Title\n" in result.stdout
    assert "untouched notes: 9" in result.stdout

    # and real Anki agrees: a fresh collection with v1 takes exactly that update
    other = Collection(str(tmp_path / "other.anki2"))
    try:
        import_package(other, v1)
        log = import_package(other, exported)
        assert [n.fields[0] for n in log.updated] == ["ML0028"]
    finally:
        other.close()


def test_diff_of_a_file_that_is_not_a_package_fails_clearly(tmp_path, runner, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("notes.txt").write_text("hello")
    Path("empty.apkg").write_bytes(b"PK\x05\x06" + b"\0" * 18)
    result = runner.invoke(main, ["diff", "notes.txt", "empty.apkg"])
    assert result.exit_code == 1
    assert (
        result.stderr.splitlines()[0] == "notes.txt:1: not an Anki package (.apkg): not a zip file"
    )
    result = runner.invoke(main, ["diff", "empty.apkg", "empty.apkg"])
    assert result.stderr.splitlines()[0] == (
        "empty.apkg:1: not an Anki package (.apkg): it holds no collection"
    )


def test_diff_warns_of_notes_made_newer_without_a_change(cards, tmp_path, collection, runner):
    """A lock whose digests were lost re-stamps every card: no change, yet a learner's own
    edits are lost."""
    v1 = build(cards, tmp_path / "out", now=1_800_000_000).output
    lock = cards / "ankigen.lock"
    lock.write_text(re.sub(r'"hash": "[0-9a-f]+"', '"hash": "0"', lock.read_text()))
    deck = cards / "deck.yaml"
    deck.write_text(re.sub(r"(?m)^version: .*$", "version: 1.0.1", deck.read_text()))
    v2 = build(cards, tmp_path / "out", now=1_800_000_100).output
    result = runner.invoke(main, ["diff", str(v1), str(v2)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "unchanged but NEWER (Anki overwrites a learner's own edits to these) (10):"
    assert lines[-1] == "untouched notes: 10"

    import_package(collection, v1)
    note = collection.get_note(collection.find_notes("ID:ML0028")[0])
    note["Title"] = "Softmax, my own words"
    collection.update_note(note)
    log = import_package(collection, v2)
    assert len(log.updated) == 10  # Anki takes every newer note, changed or not
    assert collection.get_note(note.id)["Title"] == "Softmax"


@pytest.mark.parametrize("change", ["a field renamed", "another sort field"])
def test_a_change_anki_matches_by_field_ids_is_no_note_type_change(
    cards, tmp_path, collection, runner, monkeypatch, change
):
    """Fields carry fixed ids, so Anki sees the same note type and keeps updating notes."""
    v1 = build(cards, tmp_path / "out", now=1_800_000_000).output
    if change == "a field renamed":
        renamed = tuple(("Back" if n == "Answer" else n, i) for n, i in notetype.FIELDS)
        monkeypatch.setattr(notetype, "FIELDS", renamed)
    else:
        monkeypatch.setattr(notetype, "SORT_FIELD", "Title")
    deck = cards / "deck.yaml"
    deck.write_text(re.sub(r"(?m)^version: .*$", "version: 2.0.0", deck.read_text()))
    card = next(cards.rglob("ML0029-*.md"))
    card.write_text(card.read_text().replace("In machine learning", "In ML"))
    v2 = build(cards, tmp_path / "out", now=1_800_000_100).output
    result = runner.invoke(main, ["diff", str(v1), str(v2)])
    assert result.exit_code == 0, result.output
    assert "NOTE TYPE CHANGE" not in result.stdout
    assert "updated notes (1):" in result.stdout

    import_package(collection, v1)
    log = import_package(collection, v2)
    assert [n.fields[0] for n in log.updated] == ["ML0029"] and not log.conflicting
    assert not [m for m in collection.models.all() if m["name"].endswith("+")]
