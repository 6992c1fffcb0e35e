"""Faults: ``build`` and ``release`` killed with SIGKILL at random points of their work, on a
2,000-card deck, and two releases at once.

After a kill the deck is as before the command or as after it, never between: what a killed
release left is undone by the next command that writes (``release.journal``), and a rerun
makes the release whole, changelog entry included. Each round's kill time is drawn from a
fixed seed, spread over the command's whole run (measured first).
"""

from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from bench.synth import generate

from ankigen.anki.apkg import read_package

ROUNDS = 20
SRC = Path(__file__).resolve().parents[1] / "src"
STATE = ("cards/deck.yaml", "cards/ankigen.release.json", "cards/ankigen.lock", "CHANGELOG.md")
SLUG = "synthetic-benchmark-deck"


def ankigen(root: Path, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    return subprocess.Popen(
        [sys.executable, "-m", "ankigen", *args],
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def run(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    process = ankigen(root, *args)
    out, err = process.communicate(timeout=120)
    assert "Traceback" not in out + err, err
    return subprocess.CompletedProcess(args, process.returncode, out, err)


def killed(root: Path, delay: float, *args: str) -> None:
    """Start ``ankigen args`` and kill it with SIGKILL after ``delay`` seconds (if it still runs)."""
    process = ankigen(root, *args)
    try:
        process.wait(timeout=delay)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGKILL)
        process.wait()


def state(root: Path) -> dict[str, bytes | None]:
    return {name: (root / name).read_bytes() if (root / name).exists() else None for name in STATE}


def version(root: Path) -> str:
    return re.search(r"(?m)^version: (\S+)", (root / "cards/deck.yaml").read_text()).group(1)


def changelog_versions(root: Path) -> list[str]:
    return re.findall(
        r"(?m)^## Synthetic Benchmark Deck (\S+) — ", (root / "CHANGELOG.md").read_text()
    )


def edit(root: Path, round_: int) -> None:
    card = root / "cards" / "SA" / "000" / "SA000001.md"
    card.write_text(card.read_text().rstrip("\n") + f"\n\nEdit {round_}.\n")


def timed(root: Path, *args: str) -> float:
    start = time.perf_counter()
    assert run(root, *args).returncode == 0
    return time.perf_counter() - start


@pytest.fixture(scope="module")
def released_deck(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("faults")
    generate(root / "cards", 2000)
    assert run(root, "release").returncode == 0
    return root


def assert_whole_release(root: Path) -> None:
    """deck.yaml, the record, the changelog and the package all say the same version."""
    now = version(root)
    record = json.loads((root / "cards/ankigen.release.json").read_text())
    assert record["version"] == now
    assert changelog_versions(root)[0] == now
    package = root / "output" / f"{SLUG}-{now}.apkg"
    assert read_package(package).notes  # whole, readable
    built = run(root, "build")
    assert built.returncode == 0 and f"{SLUG}-{now}.apkg" in built.stdout, built.stdout


def test_a_release_killed_anywhere_is_undone_or_whole_and_a_rerun_completes_it(released_deck):
    root = released_deck
    rng = random.Random(1801)
    edit(root, 0)
    duration = timed(root, "release", "patch", "--dry-run")  # about as long as a release
    outcomes = {"before": 0, "after": 0, "undone": 0}
    for round_ in range(1, ROUNDS + 1):
        edit(root, round_)
        assert run(root, "build").returncode == 0  # a development build of the edit
        before, was = state(root), version(root)
        killed(root, rng.uniform(0.05, duration * 1.6), "release", "patch")
        journal = root / "cards" / ".ankigen-release.json"
        if journal.exists():  # killed mid-release: the next command undoes it, every byte
            outcomes["undone"] += 1
            fixed = run(root, "build")
            assert fixed.returncode == 0, fixed.stderr
            assert not journal.exists()
            assert state(root)["cards/deck.yaml"] == before["cards/deck.yaml"]
            assert state(root)["cards/ankigen.release.json"] == before["cards/ankigen.release.json"]
            assert state(root)["CHANGELOG.md"] == before["CHANGELOG.md"]
        elif version(root) == was:
            outcomes["before"] += 1
            assert state(root) == before
        else:
            outcomes["after"] += 1
            assert_whole_release(root)
            continue
        assert not list((root / "output").glob(f"{SLUG}-*.*.*[0-9].apkg.tmp*"))
        rerun = run(root, "release", "patch")  # the rerun makes the release whole
        assert rerun.returncode == 0, rerun.stderr
        assert_whole_release(root)
    versions = changelog_versions(root)
    assert len(versions) == len(set(versions)) == ROUNDS + 1  # none skipped, none twice
    assert versions[0] == f"1.0.{ROUNDS}"
    assert outcomes["undone"] >= 3 and outcomes["after"] + outcomes["before"] >= 1, outcomes


def test_a_build_killed_anywhere_leaves_the_last_package_or_the_new_one(released_deck):
    root = released_deck
    rng = random.Random(1802)
    duration = timed(root, "build", "--no-cache")
    dev = root / "output" / f"{SLUG}-{version(root)}-dev.apkg"
    for round_ in range(ROUNDS):
        edit(root, 100 + round_)
        lock_before = (root / "cards/ankigen.lock").read_bytes()
        package_before = dev.read_bytes() if dev.exists() else None
        killed(root, rng.uniform(0.05, duration * 1.3), "build", "--no-cache")
        lock_after = (root / "cards/ankigen.lock").read_bytes()
        json.loads(lock_after)  # whole
        if dev.exists():
            assert read_package(dev).notes  # the last package or the new one, whole
        if lock_after == lock_before:
            assert (dev.read_bytes() if dev.exists() else None) == package_before
        rebuilt = run(root, "build")
        assert rebuilt.returncode == 0, rebuilt.stderr
        again = run(root, "build", "--no-cache")  # the package is what the lock says
        assert again.returncode == 0 and "0 changed since the lock" in again.stdout, again.stdout


def test_two_releases_at_once_cannot_both_succeed(released_deck):
    root = released_deck
    edit(root, 999)
    was = version(root)
    first, second = ankigen(root, "release", "patch"), ankigen(root, "release", "patch")
    results = [
        (*process.communicate(timeout=120), process.returncode) for process in (first, second)
    ]
    codes = sorted(code for _, _, code in results)
    assert codes == [0, 1], results
    (refused,) = [err for _, err, code in results if code == 1]
    assert "Traceback" not in refused
    assert "another ankigen release or build is writing this deck now" in refused or (
        "no card changed" in refused
    )
    assert changelog_versions(root)[0] == version(root) != was
    assert changelog_versions(root).count(version(root)) == 1
