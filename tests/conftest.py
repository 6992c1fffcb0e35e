"""Shared fixtures: copies of the shipped deck, fresh Anki collections, and the CLI runner."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from anki.collection import Collection
from click.testing import CliRunner

from tests.ankihelpers import import_package

REPO = Path(__file__).resolve().parent.parent
SHIPPED_CARDS = REPO / "cards"


@pytest.fixture(autouse=True)
def private_cache_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """Every test gets its own ``XDG_CACHE_HOME``: no test reads or writes ``~/.cache``."""
    home = tmp_path_factory.mktemp("xdg-cache")
    monkeypatch.setenv("XDG_CACHE_HOME", str(home))
    return home


@pytest.fixture
def cards(tmp_path: Path) -> Path:
    """A private copy of the shipped cards folder (lock included) that a test may edit."""
    target = tmp_path / "cards"
    shutil.copytree(SHIPPED_CARDS, target)
    return target


@pytest.fixture
def collection(tmp_path: Path) -> Iterator[Collection]:
    """A fresh, empty Anki collection, closed after the test."""
    folder = tmp_path / "anki"
    folder.mkdir()
    col = Collection(str(folder / "collection.anki2"))
    yield col
    col.close()


@pytest.fixture
def runner() -> CliRunner:
    """Click's test runner."""
    return CliRunner()


__all__ = ["import_package"]
