"""Two authors, two branches, one real ``git merge``: the lock's conflict is resolved by the
next command that reads it, keeping each card's later stamp, and new ids go past both sides."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from ankigen.anki.lock import CardStamp, Lock, Stamp
from ankigen.anki.lockfile import conflict_sides, merge_locks, read_lock
from ankigen.cli import main
from ankigen.commands.build import build
from tests.conftest import SHIPPED_CARDS

T0 = 1_900_000_000
EDITED = "cards/ML/ML0031-linear-regression.md"


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=False, timeout=60
    )
    return done.stdout + done.stderr


def add_card(repo: Path, card_id: str, title: str) -> None:
    source = next((repo / "cards").rglob("ML0027-*.md"))
    text = source.read_text(encoding="utf-8").replace("ML0027", card_id)
    text = text.replace("title: Leaky ReLU", f"title: {title}")
    (source.parent / f"{card_id}-{title.lower().replace(' ', '-')}.md").write_text(text)


def edit(repo: Path, words: str) -> None:
    path = repo / EDITED
    path.write_text(path.read_text(encoding="utf-8") + f"\n{words}\n", encoding="utf-8")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    root = tmp_path / "deck"
    shutil.copytree(SHIPPED_CARDS, root / "cards")
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.email", "author@example.org")
    git(root, "config", "user.name", "Author")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "the deck")
    return root


def test_a_merge_of_two_branches_keeps_every_card_and_the_later_stamps(repo, runner, monkeypatch):
    git(repo, "checkout", "-q", "-b", "alice")
    add_card(repo, "ML0040", "Ridge")
    edit(repo, "Alice's sentence.")
    build(repo / "cards", repo / "out-alice", now=T0)
    git(repo, "add", "cards")
    git(repo, "commit", "-q", "-m", "alice")
    alice = read_lock(repo / "cards" / "ankigen.lock")

    git(repo, "checkout", "-q", "main")
    git(repo, "checkout", "-q", "-b", "bob")
    add_card(repo, "ML0050", "Lasso")
    edit(repo, "Bob's sentence.")
    build(repo / "cards", repo / "out-bob", now=T0 + 3600)  # later than Alice's
    git(repo, "add", "cards")
    git(repo, "commit", "-q", "-m", "bob")
    bob = read_lock(repo / "cards" / "ankigen.lock")

    git(repo, "checkout", "-q", "alice")
    merged = git(repo, "merge", "bob")
    assert "CONFLICT (content): Merge conflict in cards/ankigen.lock" in merged
    lock_path = repo / "cards" / "ankigen.lock"
    assert "<<<<<<< " in lock_path.read_text()
    git(repo, "checkout", "--theirs", EDITED)  # the authors keep Bob's version of the card
    monkeypatch.chdir(repo)

    merged_lock = read_lock(lock_path)  # what every command reads, markers and all
    assert {"ML0040", "ML0050"} <= set(merged_lock.cards)
    assert merged_lock.cards["ML0031"] == bob.cards["ML0031"]  # the later stamp
    assert merged_lock.cards["ML0040"] == alice.cards["ML0040"]
    note_ids = [stamp.note_id for stamp in merged_lock.cards.values()]
    assert len(set(note_ids)) == len(note_ids)

    result = runner.invoke(main, ["new", "Elastic Net", "--category", "ML"])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "cards/ML/ML0051-elastic-net.md"  # past both sides
    (repo / "cards/ML/ML0051-elastic-net.md").unlink()

    result = runner.invoke(main, ["build", "--out", "out-merged"])
    assert result.exit_code == 0, result.output
    text = lock_path.read_text()
    assert "<<<<<<<" not in text and ">>>>>>>" not in text
    written = json.loads(text)["cards"]
    assert written["ML0031"]["mod"] == bob.cards["ML0031"].mod  # Bob's file, Bob's stamp
    assert {"ML0040", "ML0050"} <= set(written)


def test_two_new_cards_with_one_note_id_are_kept_apart():
    old = CardStamp("a", T0, T0 * 1000)
    ours = Lock(Stamp("n", T0), {"ML0001": old, "ML0040": CardStamp("b", T0 + 5, T0 * 1000 + 100)})
    theirs = Lock(
        Stamp("n", T0), {"ML0001": old, "ML0050": CardStamp("c", T0 + 9, T0 * 1000 + 100)}
    )
    merged = merge_locks(ours, theirs)
    assert merged.cards["ML0001"].note_id == T0 * 1000  # known to both: it keeps its id
    assert merged.cards["ML0040"].note_id == T0 * 1000 + 100
    assert merged.cards["ML0050"].note_id == T0 * 1000 + 200


def test_the_sides_of_a_conflict_and_a_diff3_base():
    text = "a\n<<<<<<< HEAD\nours\n||||||| base\nold\n=======\ntheirs\n>>>>>>> bob\nz"
    assert conflict_sides(text) == ("a\nours\nz", "a\ntheirs\nz")


def test_a_conflict_that_is_not_two_locks_names_the_way_out(tmp_path, runner, monkeypatch):
    cards = tmp_path / "cards"
    shutil.copytree(SHIPPED_CARDS, cards)
    lock = cards / "ankigen.lock"
    lock.write_text("<<<<<<< HEAD\n{\n=======\n}\n>>>>>>> other\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(main, ["build"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.stderr.startswith(
        "cards/ankigen.lock:1: the lock has git conflict markers and one side of them is not a "
        "whole lock: take one side (`git checkout --theirs ankigen.lock`, or `--ours`) and run "
        "`ankigen build`"
    )
