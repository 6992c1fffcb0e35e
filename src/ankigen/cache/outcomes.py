"""The card files' outcomes, reused from earlier builds where the render cache has them.

What a card file turns into (``checks.outcomes.CardOutcome``) depends only on the file and on
what the render cache's key covers, so it is looked up in the cache first
(``cache.render_cache``); the rest is rendered by ``checks.outcomes`` and stored. A card whose
Markdown shows an image is rendered afresh every time: its HTML and media depend on the image
files, which the key does not cover.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

from ankigen.anki.notetype import basic_note_type
from ankigen.cache.render_cache import open_render_cache
from ankigen.checks.outcomes import (
    PARALLEL_MIN_CARDS,
    CardOutcome,
    Task,
    read_bytes,
    render_files,
)
from ankigen.errors import Problem
from ankigen.render.media import MEDIA_MARKS
from ankigen.source.config import DeckConfig
from ankigen.source.load import display_paths
from ankigen.util.progress import Progress


def cached_outcomes(
    cards_dir: Path,
    paths: Sequence[Path],
    config: DeckConfig,
    *,
    workers: int | None = None,
    parallel_min: int = PARALLEL_MIN_CARDS,
    progress: Progress | None = None,
    digests: Sequence[str | None] | None = None,
    shown: Sequence[str] | None = None,
) -> tuple[list[CardOutcome], list[Problem], list[str | None]]:
    """The outcome of every card file in ``paths``, in that order (``checks.outcomes``),
    what went wrong with the cache itself (warnings: a damaged file, a folder not writable),
    and the SHA-256 (hex) of the bytes each outcome was made from, where known.

    Outcomes come from the render cache where it has them, and the new ones are saved to
    it. ``digests`` are the files' SHA-256 digests (hex) where a snapshot of the inputs has
    them (``cache.build_record``); those files are not read to be looked up.
    A card that shows an image is never stored, so looking it up by digest finds nothing.
    ``shown`` are the paths' ``display_path`` when the caller has them (``display_named``).
    ``workers`` (default: the usable CPU cores) processes render the rest when there are at
    least ``parallel_min`` of them. ``progress`` hears how many of the cards to render are
    done.
    """
    cache = open_render_cache(cards_dir, config, basic_note_type(config.note_type_id, config.name))
    outcomes: list[CardOutcome | None] = [None] * len(paths)
    todo: list[Task] = []
    look_up = not cache.is_empty()  # a first build need not read twice
    known = digests if digests is not None else [None] * len(paths)
    names = display_paths(paths) if shown is None else shown
    made_from: list[str | None] = [None] * len(paths)
    for index, (path, name, digest) in enumerate(zip(paths, names, known, strict=True)):
        if look_up:
            content = _content_digest(path, digest)
            if content is not None:
                found = cache.get(cache.keys.card_key(path, name, content))
                if isinstance(found, CardOutcome):
                    outcomes[index], made_from[index] = found, content.hex()
                    continue
        todo.append((index, path, name))
    rendered = render_files(cards_dir, config, todo, workers, parallel_min, progress)
    for (index, path, name), (content, outcome) in zip(todo, rendered, strict=True):
        outcomes[index] = outcome
        if content is not None:  # stored under the key of the very bytes it was made from
            cache.put(cache.keys.card_key(path, name, content), outcome)
            made_from[index] = content.hex()
    cache.save()
    return [outcome for outcome in outcomes if outcome is not None], cache.warnings, made_from


def _content_digest(path: Path, known: str | None) -> bytes | None:
    """The SHA-256 of a card file's bytes: ``known`` (hex) if given, else read; ``None`` when
    it cannot be read or shows an image (such a card is never looked up)."""
    if known is not None and len(known) == 64:
        try:
            return bytes.fromhex(known)
        except ValueError:
            pass
    data = read_bytes(path)
    if data is None or any(mark in data for mark in MEDIA_MARKS):
        return None
    return hashlib.sha256(data).digest()
