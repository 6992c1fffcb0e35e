"""A new deck from nothing: ``ankigen init``, draft cards, ids chosen at random, and commands
run from a subfolder; through the real CLI on real files, into a real Anki collection."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from ankigen.cli import main
from ankigen.source.ids import SHIPPED_IDS
from tests.ankihelpers import import_package, notes_by_id_field

ID = r"\d{10}"


def run(runner, *args: str, code: int = 0):
    result = runner.invoke(main, list(args))
    assert result.exit_code == code, result.output
    return result


def finish(path: Path, question: str, answer: str) -> None:
    """Fill a skeleton's sections and delete its `draft: true` line, as an author does."""
    text = path.read_text(encoding="utf-8")
    text = text.replace("## Question\n\n", f"## Question\n\n{question}")
    text = text.replace("## Answer\n\n", f"## Answer\n\n{answer}")
    path.write_text("".join(x for x in text.splitlines(True) if not x.startswith("draft:")))


def test_a_new_deck_from_nothing_to_a_learners_collection(
    tmp_path, runner, monkeypatch, collection
):
    monkeypatch.chdir(tmp_path)
    started = run(runner, "init", "algebra", "--name", "Algebra", "--category", "AL=Algebra")
    assert "Started the deck 'Algebra' (0.1.0, not released yet):" in started.stdout
    assert "  cd algebra\n" in started.stdout and "ankigen new" in started.stdout
    assert "ankigen preview" in started.stdout and "ankigen build" in started.stdout
    root = tmp_path / "algebra"
    deck = (root / "cards" / "deck.yaml").read_text()
    assert re.search(rf"^deck_id: {ID}\n", deck, re.M), deck
    assert re.search(rf"^note_type_id: {ID}\n", deck, re.M), deck
    assert "version: 0.1.0 " in deck and "  AL: Algebra\n" in deck
    assert (root / ".gitignore").read_text() == "output/\n"
    example = root / "cards" / "AL" / "AL0001-roots-of-a-quadratic.md"
    assert "$ax^2 + bx + c = 0$" in example.read_text()

    monkeypatch.chdir(root)
    path = root / run(runner, "new", "Difference of squares").stdout.strip()
    assert path == root / "cards" / "AL" / "AL0002-difference-of-squares.md"
    assert "draft: true" in path.read_text()

    checked = run(runner, "check")
    assert checked.stdout.splitlines() == [
        "Checked cards: 1 card, 2 warnings.",
        "1 draft left out: AL0002",
    ]
    assert checked.stderr.splitlines() == [
        "cards/AL/AL0002-difference-of-squares.md:7: warning: draft: `## Question` is empty",
        "cards/AL/AL0002-difference-of-squares.md:10: warning: draft: `## Answer` is empty",
    ]
    listed = run(runner, "list").stdout.splitlines()
    assert listed[1].split()[:3] == ["AL0002", "basic", "draft"]
    cards = json.loads(run(runner, "list", "--json").stdout)["cards"]
    assert [(c["id"], c["draft"]) for c in cards] == [("AL0001", False), ("AL0002", True)]
    assert list(cards[1])[-1] == "draft"
    run(runner, "preview")
    page = (root / "output" / "algebra-0.1.0-preview.html").read_text()
    assert "AL0002 · draft · Difference of squares" in page

    built = run(runner, "build")
    assert built.stdout.splitlines()[1] == "1 draft left out: AL0002"
    assert "1 card (AL 1)" in built.stdout
    lock = (root / "cards" / "ankigen.lock").read_text()
    assert "AL0001" in lock and "AL0002" not in lock
    assert json.loads(run(runner, "build", "--json").stdout)["drafts"] == ["AL0002"]
    run(runner, "build", "--strict", code=1)

    finish(path, "Factor $a^2 - b^2$.", "$$a^2 - b^2 = (a - b)(a + b)$$")
    built = run(runner, "build")
    assert "draft" not in built.output and "AL0002 added" in built.stdout
    released = run(runner, "release")
    assert released.stdout.startswith("Released 0.1.0 (was unreleased): 2 added")
    record = json.loads((root / "cards" / "ankigen.release.json").read_text())
    assert sorted(record["cards"]) == ["AL0001", "AL0002"]

    import_package(collection, root / "output" / "algebra-0.1.0.apkg")
    notes = notes_by_id_field(collection)
    assert sorted(notes) == ["AL0001", "AL0002"]
    assert "(a - b)(a + b)" in notes["AL0002"]["Answer"]
    assert collection.decks.by_name("Algebra") is not None


def test_init_refuses_to_overwrite_a_deck_and_writes_nothing(tmp_path, runner, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".gitignore").write_text("*.pyc")
    run(runner, "init")
    assert (tmp_path / ".gitignore").read_text() == "*.pyc\noutput/\n"
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    refused = run(runner, "init", "--name", "Other", code=1)
    assert refused.stderr.splitlines() == [
        "cards:1: holds cards already (cards/GEN/GEN0001-roots-of-a-quadratic.md); `ankigen "
        "init` never replaces a deck: start the new one in another folder (`ankigen init "
        "NEW-FOLDER`), or move cards away first",
        "cards/deck.yaml:1: a deck is already here; `ankigen init` never replaces a deck: "
        "start the new one in another folder (`ankigen init NEW-FOLDER`), or move cards away "
        "first",
        "ankigen: 2 problems found; nothing was written.",
    ]
    (tmp_path / "cards" / "deck.yaml").unlink()
    run(runner, "init", code=1)  # the card alone is a deck in the way too
    inside = tmp_path / "cards" / "GEN"
    monkeypatch.chdir(inside)
    (tmp_path / "cards" / "deck.yaml").write_bytes(before[tmp_path / "cards" / "deck.yaml"])
    nested = run(runner, "init", "sub", code=1)
    assert "sub is inside the cards folder of this deck" in nested.stderr
    assert not (inside / "sub").exists()
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == before


def test_init_refuses_bad_categories(tmp_path, runner, monkeypatch):
    monkeypatch.chdir(tmp_path)
    bad = run(runner, "init", "--category", "dl=Deep", code=2)
    assert "--category 'dl=Deep': write PREFIX=Name" in bad.stderr
    assert not any(tmp_path.iterdir())


def _deck(cards: Path, **ids: int) -> None:
    values = {"deck_id": 1500000001, "note_type_id": 1500000002, **ids}
    text = "name: Mine\nversion: 0.1.0\ncategories:\n  T: Test\n"
    text += "".join(f"{key}: {value}\n" for key, value in values.items() if value)
    (cards / "deck.yaml").write_text(text)


@pytest.mark.parametrize(
    ("ids", "line", "expected"),
    [
        ({"deck_id": 1}, 5, r"deck_id: 1 is the id of Anki's Default deck, .*`deck_id: \d{10}`"),
        ({"deck_id": 1234567890}, 5, rf"deck_id: 1234567890 looks typed .*`deck_id: {ID}`"),
        ({"note_type_id": 42}, 6, rf"note_type_id: 42 looks typed .*`note_type_id: {ID}`"),
        ({"note_type_id": 1111111111}, 6, r"note_type_id: 1111111111 looks typed .*"),
        (
            {"deck_id": 1843956106},
            5,
            r"deck_id: 1843956106: these are the ids of the deck ankigen ships \(ML and DL "
            rf"Interview Questions\): a learner with both decks would get conflicts; use "
            rf"`deck_id: {ID}` .*",
        ),
        ({"deck_id": 0}, 1, r"missing required key 'deck_id': add `deck_id: \d{10}` .*"),
        ({"note_type_id": 0}, 1, rf"missing required key 'note_type_id': add `note_type_id: {ID}`"),
    ],
)
def test_ids_that_would_conflict_are_refused_with_a_random_one_to_paste(
    tmp_path, runner, monkeypatch, ids, line, expected
):
    cards = tmp_path / "cards"
    cards.mkdir()
    card = "---\nid: T0001\ntitle: A\n---\n## Question\n\nQ\n\n## Answer\n\nA\n"
    (cards / "T0001.md").write_text(card)
    _deck(cards, **ids)
    monkeypatch.chdir(tmp_path)
    result = run(runner, "check", code=1)
    first = result.stderr.splitlines()[0]
    assert re.match(rf"cards/deck\.yaml:{line}: {expected}", first), first


def test_the_shipped_deck_keeps_its_ids_and_a_built_deck_keeps_its_own(cards, runner):
    run(runner, "check", "--cards", str(cards))
    assert set(SHIPPED_IDS) == {1843956106, 1843956107}
    deck = cards / "deck.yaml"
    deck.write_text(deck.read_text().replace("ML and DL Interview Questions", "Fork"))
    run(runner, "check", "--cards", str(cards))  # the lock says it was built with them
    (cards / "ankigen.lock").unlink()
    (cards / "ankigen.release.json").unlink()
    refused = run(runner, "check", "--cards", str(cards), code=1)
    assert "these are the ids of the deck ankigen ships" in refused.stderr


def test_strict_refuses_drafts_and_a_built_card_cannot_become_one(cards, runner, monkeypatch):
    monkeypatch.chdir(cards.parent)
    card = next(cards.rglob("ML0029-*.md"))
    text = card.read_text()
    card.write_text(text.replace("title:", "draft: true\ntitle:", 1))
    refused = run(runner, "build", code=1)
    assert re.search(
        r"^cards/ML/ML0029-tanh\.md:\d+: card ML0029 was built \(cards/ankigen\.lock:\d+\), so "
        r"it cannot become a draft: .*delete the `draft: true` line",
        refused.stderr,
        re.M,
    ), refused.stderr
    card.write_text(text)
    path = cards.parent / run(runner, "new", "Swish", "--category", "ML").stdout.strip()
    strict = run(runner, "check", "--strict", code=1)
    assert re.search(
        r"^cards/ML/ML0032-swish\.md:\d+: ML0032 is a draft, and --strict refuses drafts: "
        r"finish it and delete its `draft: true` line",
        strict.stderr,
        re.M,
    ), strict.stderr
    path.write_text(path.read_text().replace("## Question\n", "## Question\n\n$\\frac{1$\n"))
    checked = run(runner, "check")  # a broken formula in a draft blocks nothing
    assert re.search(r"ML0032-swish\.md:\d+: warning: draft: ", checked.stderr)
    built = run(runner, "build")
    assert built.stdout.splitlines()[-1] == "1 draft left out: ML0032"
    assert "ML0032" not in (cards / "ankigen.lock").read_text()
    again = run(runner, "build")  # nothing changed: the line still comes
    assert again.stdout.startswith("No changes:")
    assert again.stdout.splitlines()[-1] == "1 draft left out: ML0032"


def test_commands_run_from_a_subfolder_use_the_deck_above(cards, runner, monkeypatch):
    monkeypatch.chdir(cards / "DL")
    built = run(runner, "build")
    assert built.stdout.startswith("Built ../../output/ml-and-dl-interview-questions-1.0.1.apkg")
    assert (cards.parent / "output" / "ml-and-dl-interview-questions-1.0.1.apkg").is_file()
    assert not (cards / "DL" / "output").exists()
    assert run(runner, "check").stdout == "Checked ..: 10 cards, no problems.\n"
    made = run(runner, "new", "Batch Norm", "--category", "DL").stdout.strip()
    assert made == "DL0005-batch-norm.md"
    monkeypatch.chdir(cards)
    assert run(runner, "list").stdout.startswith("DL0001 ")
    monkeypatch.chdir(cards.parent.parent)  # no deck here or above: the way out
    lost = run(runner, "check", code=2)
    assert "No deck.yaml here or in a folder above" in lost.stderr
    explicit = run(runner, "check", "--cards", "elsewhere", code=2)
    assert "'elsewhere' does not exist." in explicit.stderr


def test_a_released_card_made_a_draft_under_a_new_id_is_refused(cards, runner, monkeypatch):
    """Else the draft is left out and the released card silently retired."""
    monkeypatch.chdir(cards.parent)
    card = next(cards.rglob("ML0029-*.md"))
    text = card.read_text(encoding="utf-8").replace("id: ML0029", "id: ML0099\ndraft: true")
    card.write_text(text, encoding="utf-8")
    result = run(runner, "build", code=1)
    assert "this file's id changed from ML0029 to ML0099: ids are permanent" in result.stderr
    assert not (cards.parent / "output").exists()
