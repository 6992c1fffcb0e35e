"""Finding the cards folder from anywhere inside a deck: the default ``--cards cards``.

An author working in ``cards/DL/`` (or in any folder below the deck's root) runs ``ankigen
build`` as from the root: when ``./cards/deck.yaml`` is not there, the nearest folder upward
that is a cards folder (holds ``deck.yaml``) or holds ``cards/deck.yaml`` is the one.
"""

from __future__ import annotations

import os
from pathlib import Path

from ankigen.source.layout import DECK_FILE

DEFAULT_CARDS = "cards"


def find_cards_folder(start: Path, name: str = DEFAULT_CARDS) -> Path | None:
    """The cards folder for a command run in ``start``: ``start/name`` when it holds
    deck.yaml, else the nearest folder at or above ``start`` that holds deck.yaml, or whose
    ``name`` folder does; ``None`` when there is none. The path is relative to ``start``
    (``../..``, ``../../cards``) when it can be, so that messages stay short."""
    here = start.resolve()
    if (here / name / DECK_FILE).is_file():
        return Path(name)
    for folder in (here, *here.parents):
        for candidate in (folder / name, folder) if folder != here else (folder,):
            if (candidate / DECK_FILE).is_file():
                return _relative(candidate, here)
    return None


def beside_cards(cards_dir: Path, name: str) -> Path:
    """``name`` in the deck's root, the folder above ``cards_dir``: where ``output/`` goes."""
    return Path(os.path.normpath(cards_dir / os.pardir / name))


def _relative(target: Path, start: Path) -> Path:
    try:
        return Path(os.path.relpath(target, start))
    except ValueError:  # another drive (Windows)
        return target
