"""Progress of long work, reported to whoever asked: ``progress(done, total)``.

The library only reports; the command line decides whether a bar is worth showing (on a
terminal, for enough cards, unless ``--quiet``).
"""

from __future__ import annotations

from collections.abc import Callable

# Called with how many of the cards to render are done, and how many there are in all.
Progress = Callable[[int, int], None]

# Rendering a card takes about half a millisecond (bench/): below this many cards to render,
# the work is over before a bar would be read.
SHOW_FROM_CARDS = 1000


def worth_showing(total: int) -> bool:
    """Whether rendering ``total`` cards takes long enough for a progress bar."""
    return total >= SHOW_FROM_CARDS
