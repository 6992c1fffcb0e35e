"""Same sources and lock → the same bytes, whatever the clock, the process or the folder."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from ankigen.build import build


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_clock_does_not_reach_a_build_with_a_fresh_lock(cards, tmp_path):
    early = build(cards, tmp_path / "early", now=1).output
    late = build(cards, tmp_path / "late", now=2_000_000_000).output
    assert sha256(early) == sha256(late)


def test_separate_processes_in_separate_folders_give_the_same_bytes(cards, tmp_path):
    digests = set()
    for seed in ("1", "2"):
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
