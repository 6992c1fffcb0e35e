"""`ankigen build` through click's runner: messages, exit codes, and output left intact."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from ankigen.cli import main

PACKAGE = "ml-and-dl-interview-questions-1.0.1.apkg"


@pytest.fixture
def workdir(cards: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run in the folder holding the copied ``cards/`` so messages show ``cards/...`` paths."""
    monkeypatch.chdir(cards.parent)
    return cards.parent


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def card_path(cards: Path, card_id: str) -> Path:
    return next(cards.rglob(f"{card_id}-*.md"))


def replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_build_prints_a_summary_and_writes_the_package(workdir, runner):
    result = runner.invoke(main, ["build"])
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        f"Built output/{PACKAGE}: 10 cards (DL 4, ML 6); 0 changed since the lock.\n"
    )
    assert (workdir / "output" / PACKAGE).is_file()


def test_rebuild_gives_the_same_bytes(workdir, runner, tmp_path):
    assert runner.invoke(main, ["build"]).exit_code == 0
    first = sha256(workdir / "output" / PACKAGE)
    assert runner.invoke(main, ["build", "--out", "again"]).exit_code == 0
    assert sha256(workdir / "again" / PACKAGE) == first


def test_summary_counts_changed_cards_and_updates_the_lock(workdir, runner):
    lock_before = (workdir / "cards" / "ankigen.lock").read_text()
    replace_in(card_path(workdir / "cards", "ML0027"), "Its formula", "The formula")
    result = runner.invoke(main, ["build"])
    assert result.exit_code == 0, result.output
    assert "1 changed since the lock (ML0027 changed)" in result.stdout
    lock_after = (workdir / "cards" / "ankigen.lock").read_text()
    changed = [
        line
        for before, line in zip(lock_before.splitlines(), lock_after.splitlines(), strict=True)
        if before != line
    ]
    assert len(changed) == 1 and changed[0].strip().startswith('"ML0027"')


def test_frozen_fails_on_a_stale_lock_and_writes_nothing(workdir, runner):
    lock = workdir / "cards" / "ankigen.lock"
    lock_before = lock.read_bytes()
    replace_in(card_path(workdir / "cards", "ML0027"), "Its formula", "The formula")
    result = runner.invoke(main, ["build", "--frozen"])
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "cards/ankigen.lock:1: lock is stale (ML0027 changed): run `ankigen build` "
        "without --frozen and commit ankigen.lock"
    )
    assert lock.read_bytes() == lock_before
    assert not (workdir / "output").exists()


def test_frozen_passes_on_a_fresh_lock(workdir, runner):
    result = runner.invoke(main, ["build", "--frozen"])
    assert result.exit_code == 0, result.output


def test_missing_cards_folder_is_a_usage_error(workdir, runner):
    result = runner.invoke(main, ["build", "--cards", "nowhere"])
    assert result.exit_code == 2
    assert "'nowhere' does not exist" in result.stderr


# Each case breaks the shipped deck in one way; the message names file and line.
BAD_INPUTS = {
    "malformed front matter YAML": (
        "DL0001",
        lambda p: replace_in(p, "tags: [architecture]", "tags: [architecture"),
        r"cards/DL/DL0001-residual-connection.md:\d: front matter: invalid YAML: .+",
    ),
    "missing id": (
        "DL0002",
        lambda p: replace_in(p, "id: DL0002\n", ""),
        r"cards/DL/DL0002-all-ones-init.md:1: missing `id:` in front matter",
    ),
    "missing title": (
        "DL0002",
        lambda p: replace_in(p, "title: All Ones Init\n", ""),
        r"cards/DL/DL0002-all-ones-init.md:1: missing `title:` in front matter",
    ),
    "missing question": (
        "ML0028",
        lambda p: replace_in(p, "## Question", "Question"),
        r"cards/ML/ML0028-softmax.md:6: text before `## Question`",
    ),
    "missing answer": (
        "ML0028",
        lambda p: replace_in(p, "## Answer", "Answer:"),
        r"cards/ML/ML0028-softmax.md:6: missing `## Answer` section",
    ),
    "empty answer": (
        "ML0029",
        lambda p: p.write_text(p.read_text().split("## Answer")[0] + "## Answer\n\n"),
        r"cards/ML/ML0029-tanh.md:10: `## Answer` is empty",
    ),
    "unknown category": (
        "ML0030",
        lambda p: replace_in(p, "id: ML0030", "id: XY0030"),
        r"cards/ML/ML0030-sigmoid.md:2: id XY0030: unknown category 'XY' \(deck.yaml has DL, ML\)",
    ),
    "unbalanced dollar": (
        "ML0031",
        lambda p: replace_in(p, "$\\theta_0$ is the bias", "$\\theta_0 is the bias"),
        r"cards/ML/ML0031-linear-regression.md:19: unbalanced `\$`: no closing `\$` in this "
        r"paragraph \(write \\\$ for a dollar sign\)",
    ),
    "unclosed display math": (
        "ML0030",
        lambda p: replace_in(p, "{1 + e^{-x}}$$", "{1 + e^{-x}}"),
        r"cards/ML/ML0030-sigmoid.md:14: `\$\$` is never closed \(write \\\$ for a dollar sign\)",
    ),
    "not UTF-8": (
        "DL0003",
        lambda p: p.write_bytes(p.read_bytes().replace("×".encode(), b"\xd7", 1)),
        r"cards/DL/DL0003-1x1-convolution.md:3: not valid UTF-8 \(byte 0xd7\); save the file as UTF-8",
    ),
    "bad deck.yaml": (
        None,
        lambda cards: replace_in(cards / "deck.yaml", "version: 1.0.1", "version: one"),
        r"cards/deck.yaml:\d+: version 'one' is not semantic versioning like 1.2.0",
    ),
    "no front matter": (
        "DL0004",
        lambda p: p.write_text(p.read_text().split("---\n", 2)[2]),
        r"cards/DL/DL0004-small-kernels.md:1: missing front matter: a card starts with a line `---`",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_is_reported_and_leaves_earlier_output_intact(case, workdir, runner):
    assert runner.invoke(main, ["build"]).exit_code == 0
    package = workdir / "output" / PACKAGE
    before = sha256(package)
    lock_before = (workdir / "cards" / "ankigen.lock").read_bytes()

    card_id, breakage, expected = BAD_INPUTS[case]
    cards = workdir / "cards"
    breakage(cards if card_id is None else card_path(cards, card_id))
    # a new deck name too, so a half-written build would show as a new file
    replace_in(cards / "deck.yaml", "ML and DL Interview Questions", "ML and DL Interview Qs")
    result = runner.invoke(main, ["build"])

    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert any(re.fullmatch(expected, line) for line in lines), lines
    assert lines[-1].startswith("ankigen: ") and lines[-1].endswith("nothing was written.")
    assert "Traceback" not in result.output
    assert sha256(package) == before
    assert sorted(p.name for p in (workdir / "output").iterdir()) == [PACKAGE]
    assert (cards / "ankigen.lock").read_bytes() == lock_before


def test_every_problem_of_a_run_is_reported_at_once(workdir, runner):
    cards = workdir / "cards"
    replace_in(card_path(cards, "ML0030"), "id: ML0030", "id: XY0030")
    replace_in(card_path(cards, "ML0031"), "$\\theta_0$ is the bias", "$\\theta_0 is the bias")
    replace_in(card_path(cards, "DL0002"), "id: DL0002", "id: DL0001")
    result = runner.invoke(main, ["build"])
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines == [
        "cards/DL/DL0002-all-ones-init.md:2: duplicate id DL0001: also used by "
        "cards/DL/DL0001-residual-connection.md:2",
        "cards/ML/ML0030-sigmoid.md:2: id XY0030: unknown category 'XY' (deck.yaml has DL, ML)",
        "cards/ML/ML0031-linear-regression.md:19: unbalanced `$`: no closing `$` in this "
        "paragraph (write \\$ for a dollar sign)",
        "ankigen: 3 problems found; nothing was written.",
    ]
