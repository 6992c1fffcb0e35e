"""The command line's comforts: help with an example everywhere, ``build --json``, progress."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from ankigen.checks.outcomes import card_outcomes
from ankigen.cli import main
from ankigen.errors import display_path
from ankigen.source.config import load_config
from ankigen.source.load import discover
from ankigen.util.progress import SHOW_FROM_CARDS

COMMANDS = {"build", "check", "preview", "import", "diff", "release", "new", "list", "stats"}


def test_every_command_has_help_with_an_example(runner):
    assert set(main.commands) >= COMMANDS
    for args in [[], *([name] for name in sorted(main.commands))]:
        for flag in ("-h", "--help"):
            result = runner.invoke(main, [*args, flag], prog_name="ankigen")
            assert result.exit_code == 0, (args, result.output)
            assert result.stdout.startswith("Usage: ankigen")
            example = [line.strip() for line in result.stdout.splitlines() if "Example:" in line]
            assert len(example) == 1, args
            assert example[0].startswith(f"Example: ankigen {args[0] if args else ''}".rstrip())


def test_build_json_is_a_machine_readable_summary(cards, tmp_path, runner, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = next(cards.rglob("DL0003-*.md"))
    path.write_text(path.read_text() + '\n<span onclick="x()">One more line.</span>\n')
    result = runner.invoke(main, ["build", "--cards", "cards", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert list(report) == [
        "output",
        "deck",
        "version",
        "unchanged",
        "development",
        "cards",
        "per_category",
        "changed",
        "warnings",
        "drafts",
    ]
    assert report["drafts"] == []
    assert report["output"] == "output/ml-and-dl-interview-questions-1.0.1-dev.apkg"
    assert report["development"] is True
    assert Path(report["output"]).is_file()
    assert (report["cards"], report["per_category"]) == (10, {"DL": 4, "ML": 6})
    assert report["changed"] == {"added": [], "changed": ["DL0003"], "removed": [], "restored": []}
    (warning,) = report["warnings"]
    assert (warning["path"], warning["line"]) == ("cards/DL/DL0003-1x1-convolution.md", 22)
    assert result.stderr.startswith("cards/DL/DL0003-1x1-convolution.md:22: warning:")
    again = json.loads(runner.invoke(main, ["build", "--cards", "cards", "--json"]).stdout)
    assert again["unchanged"] is True and again["changed"]["changed"] == []


@pytest.mark.parametrize("workers", [1, 2])
def test_rendering_reports_its_progress(cards, workers):
    paths = discover(cards)
    heard: list[tuple[int, int]] = []
    outcomes = card_outcomes(
        cards,
        paths,
        load_config(cards),
        workers=workers,
        parallel_min=2,
        progress=lambda done, total: heard.append((done, total)),
    )
    assert len(outcomes) == len(paths) == 10
    assert heard and heard[-1] == (10, 10)
    assert [done for done, _ in heard] == sorted({done for done, _ in heard})  # only goes up


def large_deck(tmp_path: Path, size: int) -> Path:
    """A deck of ``size`` small cards: enough for a progress bar."""
    cards = tmp_path / "big"
    (cards / "T").mkdir(parents=True)
    (cards / "deck.yaml").write_text(
        "name: Big\nversion: 1.0.0\ncategories:\n  T: Test\ndeck_id: 1000001\n"
        "note_type_id: 1000002\n"
    )
    for number in range(1, size + 1):
        (cards / "T" / f"T{number:05d}-card.md").write_text(
            f"---\nid: T{number:05d}\ntitle: Card {number}\n---\n## Question\n\n"
            f"What is $x_{{{number}}}$?\n\n## Answer\n\nIt is **{number}**.\n"
        )
    return cards


def build_with_stderr_on(stderr: str, cards: Path, out: Path, *extra: str) -> str:
    """Run ``ankigen build`` in a child process with its standard error on a terminal (a
    pseudo-terminal) or a pipe; return what it wrote there."""
    command = [sys.executable, "-m", "ankigen", "build", "--cards", str(cards), "--out", str(out)]
    env = {**os.environ, "COLUMNS": "80"}
    if stderr == "pipe":
        done = subprocess.run([*command, "--no-cache", *extra], capture_output=True, env=env)
        assert done.returncode == 0, done.stderr
        return done.stderr.decode()
    parent, child = pty.openpty()
    process = subprocess.Popen(
        [*command, "--no-cache", *extra], stdout=subprocess.PIPE, stderr=child, env=env
    )
    os.close(child)
    chunks = []
    while True:
        try:
            chunk = os.read(parent, 4096)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(parent)
    assert process.wait() == 0
    assert process.stdout is not None and process.stdout.read().startswith(b"Built ")
    return b"".join(chunks).decode()


def test_a_progress_bar_only_on_a_terminal_and_not_when_quiet(tmp_path):
    cards = large_deck(tmp_path, SHOW_FROM_CARDS)
    shown = build_with_stderr_on("terminal", cards, tmp_path / "a")
    assert "Rendering cards" in shown and "100%" in shown
    assert build_with_stderr_on("terminal", cards, tmp_path / "b", "-q") == ""
    assert build_with_stderr_on("pipe", cards, tmp_path / "c") == ""


def test_a_failed_build_with_json_says_why_on_standard_output(cards, tmp_path, runner, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = next(cards.rglob("DL0003-*.md"))
    path.write_text(path.read_text() + "\nA lone $ sign.\n")
    result = runner.invoke(main, ["build", "--cards", "cards", "--json"])
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["ok"] is False
    (problem,) = report["problems"]
    assert problem["path"] == display_path(path) and problem["severity"] == "error"
    assert problem["message"].startswith("unbalanced `$`")
    assert not (tmp_path / "output").exists()
