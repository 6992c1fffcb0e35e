"""The journal of an unfinished release is trusted only as a release writes it: it restores
nothing but the deck's own files, and a damaged or hostile one is a message, never a
traceback, a write elsewhere or a deleted file."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from ankigen.cli import main
from ankigen.release import journal


@pytest.fixture
def workdir(cards: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(cards.parent)
    return cards.parent


def write_journal(cards: Path, record: object) -> None:
    (cards / journal.JOURNAL).write_text(json.dumps(record), encoding="utf-8")


@pytest.mark.parametrize(
    ("files", "package", "why"),
    [
        ({"/tmp/ankigen-pwned": base64.b64encode(b"x").decode()}, "../output/x.apkg", "is not a path below the deck"),
        ({"../../../../../etc/hosts": None}, "../output/x.apkg", "leaves the deck's folder"),
        ({"sub/deck.yaml": "aGk="}, "../output/x.apkg", "names 'sub/deck.yaml'"),
        ({"deck.yaml": "!!!"}, "../output/x.apkg", "Only base64 data is allowed"),
        ({"deck.yaml": None}, "../../../../../tmp/victim", "no .apkg"),
        ([], "x.apkg", "not a journal"),
    ],
    ids=["absolute", "escape", "other-file", "bad-base64", "package-not-apkg", "files-a-list"],
)
def test_a_hostile_or_damaged_journal_restores_nothing(
    workdir, runner, tmp_path, files, package, why
):
    cards = workdir / "cards"
    victim = tmp_path / "victim"
    victim.write_text("keep")
    before = {p: p.read_bytes() for p in cards.iterdir() if p.is_file()}
    write_journal(cards, {"files": files, "package": package, "package_existed": False})
    result = runner.invoke(main, ["build"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    first = result.stderr.splitlines()[0]
    assert first.startswith("cards/.ankigen-release.json:1: this is no journal"), first
    assert why in first, first
    assert victim.read_text() == "keep" and not Path("/tmp/ankigen-pwned").exists()
    after = {
        p: p.read_bytes() for p in cards.iterdir() if p.is_file() and p.name != journal.JOURNAL
    }
    assert after == before


def test_an_interrupted_release_is_undone_and_said_so(workdir, runner):
    cards = workdir / "cards"
    deck = cards / "deck.yaml"
    original = deck.read_bytes()
    journal.begin(cards, [deck, cards / "ankigen.lock"], workdir / "output" / "x-9.9.9.apkg")
    deck.write_bytes(original.replace(b"version: 1.0.1", b"version: 1.0.2"))  # half a release
    result = runner.invoke(main, ["build"])
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith(
        "ankigen: a release that did not finish was undone: cards/deck.yaml, "
        "cards/ankigen.lock are as they were before it"
    )
    assert deck.read_bytes() == original
    assert not (cards / journal.JOURNAL).exists()
