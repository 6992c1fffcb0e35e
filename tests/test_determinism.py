"""Same sources and lock → the same bytes, whatever the clock, the process or the folder."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from ankigen.commands.build import build


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_clock_does_not_reach_a_build_with_a_fresh_lock(cards, tmp_path):
    early = build(cards, tmp_path / "early", now=1).output
    late = build(cards, tmp_path / "late", now=2_000_000_000).output
    assert sha256(early) == sha256(late)


def set_tags(cards: Path, card_id: str, tags: str) -> None:
    (path,) = cards.rglob(f"{card_id}-*.md")
    text = path.read_text(encoding="utf-8")
    path.write_text(re.sub(r"(?m)^tags: .*$", f"tags: {tags}", text, count=1), encoding="utf-8")


@pytest.mark.parametrize("tags", ["shipped", "equal but for case"])
def test_separate_processes_in_separate_folders_give_the_same_bytes(cards, tmp_path, tags):
    if tags != "shipped":  # a set of them has no order of its own: each process picks one
        set_tags(cards, "DL0002", "[initialization, Foo, foo, dl, FOO]")
        build(cards, tmp_path / "first", now=1)  # the lock, so that no build below stamps it
    digests = set()
    for seed in ("1", "2", "3", "4"):
        where = tmp_path / f"run{seed}"
        shutil.copytree(cards, where / "cards")
        env = {**os.environ, "PYTHONHASHSEED": seed}
        subprocess.run(
            [sys.executable, "-m", "ankigen", "build"],
            cwd=where,
            env=env,
            check=True,
            capture_output=True,
        )
        (package,) = (where / "output").glob("*.apkg")
        digests.add(sha256(package))
    assert len(digests) == 1


def test_package_entries_are_sorted_with_fixed_dates(cards, tmp_path):
    package = build(cards, tmp_path / "out", now=1).output
    with zipfile.ZipFile(package) as archive:
        infos = archive.infolist()
    names = [info.filename for info in infos]
    assert names == sorted(names)
    assert "collection.anki2" in names
    assert {info.date_time for info in infos} == {(1980, 1, 1, 0, 0, 0)}
