"""The bad-input corpus: ``ankigen check`` on each small cards folder in ``tests/badinput``.

Each case folder is a cards folder (``deck.yaml``, cards, sometimes a lock or images) with
``expected.txt``: the exit code (``exit: N``) and then the exact lines on stderr. Cases that
are awkward to commit (a 1 MB card, a symlink loop) are finished by a setup step here. A case
expected to pass must also build.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from ankigen.cli import main

CORPUS = Path(__file__).resolve().parent / "badinput"
EXPECTED = "expected.txt"


def huge_card(cards: Path) -> None:
    """A card of about 1 MB: accepted, with a warning about its size."""
    paragraph = "A long answer that goes on and on. " * 30 + "\n\n"
    body = paragraph * (1_000_000 // len(paragraph))
    card = cards / "T0001-a.md"
    card.write_text(card.read_text(encoding="utf-8") + body, encoding="utf-8")


def symlink_loop(cards: Path) -> None:
    """A card file that links to itself, and a folder link back to its parent."""
    os.symlink("T0002-loop.md", cards / "T0002-loop.md")
    (cards / "sub").mkdir()
    os.symlink("..", cards / "sub" / "up")


def latin1_card(cards: Path) -> None:
    """A card saved as Latin-1, not UTF-8 (made here: tools choke on such a file in git)."""
    card = cards / "T0001-a.md"
    card.write_bytes(card.read_text(encoding="utf-8").encode("latin-1"))


SETUP: dict[str, Callable[[Path], None]] = {
    "huge-card": huge_card,
    "symlink-loop": symlink_loop,
    "not-utf8": latin1_card,
}


def cases() -> list[str]:
    return sorted(p.name for p in CORPUS.iterdir() if (p / EXPECTED).is_file())


def prepare(case: str, workdir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    cards = workdir / "cards"
    shutil.copytree(CORPUS / case, cards, ignore=shutil.ignore_patterns(EXPECTED))
    SETUP.get(case, lambda _: None)(cards)
    monkeypatch.chdir(workdir)
    return cards


def test_the_corpus_is_big_enough():
    assert len(cases()) >= 25


@pytest.mark.parametrize("case", cases())
def test_check_reports_exactly_the_expected_problems(case, tmp_path, runner, monkeypatch):
    first, *lines = (CORPUS / case / EXPECTED).read_text(encoding="utf-8").splitlines()
    expected_exit = int(first.removeprefix("exit: "))
    prepare(case, tmp_path, monkeypatch)
    lock_before = _lock_bytes(tmp_path)

    result = runner.invoke(main, ["check", "--cards", "cards"])

    assert "Traceback" not in result.output
    assert (result.exit_code, result.stderr.splitlines()) == (expected_exit, lines)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cards"]  # check writes nothing
    assert _lock_bytes(tmp_path) == lock_before
    if expected_exit == 0:
        assert result.stdout.startswith("Checked cards: ")
        built = runner.invoke(main, ["build", "--cards", "cards"])
        assert built.exit_code == 0, built.output
        assert len(list((tmp_path / "output").glob("*.apkg"))) == 1


def _lock_bytes(workdir: Path) -> bytes | None:
    lock = workdir / "cards" / "ankigen.lock"
    return lock.read_bytes() if lock.exists() else None
