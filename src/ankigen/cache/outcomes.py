"""Stages 1–3 for every card file, doing only the work that earlier builds have not done.

Each card file goes, on its own, through ``load.read_card`` → ``validate.validate_card`` →
``render.Renderer.render_card`` and the check stage's ``check.card_problems`` (checks across
cards, like duplicate ids and the lock, come later). What comes out, a ``CardOutcome``,
depends only on the file and on what the render cache's key covers, so it is looked up in the
cache first (``rendercache``). The files left to render are spread over all usable CPU cores
when there are many. Outcomes come back in the order of the files, which ``discover`` sorted,
so the result never depends on the cache or on how the work was divided.

A card whose Markdown shows an image is rendered afresh every time: its HTML and media
depend on the image files, which the key does not cover.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from ankigen.anki.notes import content_hash
from ankigen.anki.notetype import basic_note_type
from ankigen.cache.render_cache import CacheKeys, open_render_cache
from ankigen.checks.rules import card_problems
from ankigen.errors import Problem, display_path
from ankigen.render.card import RenderedCard, Renderer
from ankigen.source.config import DeckConfig
from ankigen.source.load import read_card
from ankigen.source.validate import CardRef, validate_card
from ankigen.util.cpus import usable_cpus
from ankigen.util.progress import Progress

# Rendering one card takes about half a millisecond; below this many cards to render,
# starting worker processes costs more than it saves.
PARALLEL_MIN_CARDS = 256
CHUNK_CARDS = 200  # cards a worker renders before it hands the outcomes back
IMAGE_MARK = b"!["  # every Markdown image, inline or by reference, starts so


@dataclass(frozen=True)
class CardOutcome:
    """What one card file turned into: where it is and its HTML when valid, and its problems.

    Only the card's reference (id, file, line) outlives rendering: the checks across cards
    need no more, and the render cache then holds no Markdown.
    """

    source: CardRef | None
    rendered: RenderedCard | None
    problems: tuple[Problem, ...]


def card_outcome(
    path: Path, data: bytes | None, shown: str | None, config: DeckConfig, renderer: Renderer
) -> CardOutcome:
    """Read (from ``data`` if given), validate and render one card file."""
    raw = read_card(path, data, shown)
    if isinstance(raw, Problem):
        return CardOutcome(None, None, (raw,))
    source, problems = validate_card(raw, config)
    if source is None:
        return CardOutcome(None, None, tuple(problems))
    rendered, render_problems = renderer.render_card(source)
    # the check stage's findings on this card alone, and its digest, depend on nothing else
    rendered = replace(
        rendered, checks=tuple(card_problems(rendered)), digest=content_hash(rendered)
    )
    return CardOutcome(CardRef.of(source), rendered, (*problems, *render_problems))


def card_outcomes(
    cards_dir: Path,
    paths: Sequence[Path],
    config: DeckConfig,
    *,
    use_cache: bool = True,
    workers: int | None = None,
    parallel_min: int = PARALLEL_MIN_CARDS,
    progress: Progress | None = None,
    digests: Sequence[str | None] | None = None,
    shown: Sequence[str] | None = None,
) -> list[CardOutcome]:
    """The outcome of every card file in ``paths``, in that order.

    With ``use_cache``, outcomes come from the render cache where it has them, and the new
    ones are saved to it. ``digests`` are the files' SHA-256 digests (hex) where a snapshot
    of the inputs has them (``buildrecord``); those files are not read to be looked up.
    A card that shows an image is never stored, so looking it up by digest finds nothing.
    ``shown`` are the paths' ``display_path`` when the caller has them (``display_named``).
    ``workers`` (default: the usable CPU cores) processes render the rest when there are at
    least ``parallel_min`` of them. ``progress`` hears how many of the cards to render are
    done.
    """
    cache = (
        open_render_cache(cards_dir, config, basic_note_type(config.note_type_id, config.name))
        if use_cache
        else None
    )
    if cache is not None:
        cache.paths.update((str(path), path) for path in paths)
    outcomes: list[CardOutcome | None] = [None] * len(paths)
    todo: list[Task] = []
    look_up = cache is not None and not cache.is_empty()  # a first build need not read twice
    known = digests if digests is not None else [None] * len(paths)
    names = display_paths(paths) if shown is None else shown
    for index, (path, name, digest) in enumerate(zip(paths, names, known, strict=True)):
        if cache is not None and look_up:
            content = _content_digest(path, digest)
            if content is not None:
                found = cache.get(cache.keys.card_key(path, name, content))
                if isinstance(found, CardOutcome):
                    outcomes[index] = found
                    continue
        todo.append((index, path, name))
    keys = cache.keys if cache is not None else None
    for (index, _, _), (key, outcome) in zip(
        todo,
        render_files(cards_dir, config, keys, todo, workers, parallel_min, progress),
        strict=True,
    ):
        outcomes[index] = outcome
        if cache is not None and key is not None:
            cache.put(key, outcome)
    if cache is not None:
        cache.save()
    return [outcome for outcome in outcomes if outcome is not None]


Task = tuple[int, Path, str]  # a card file to render: its index, path and shown name


def render_files(
    cards_dir: Path,
    config: DeckConfig,
    keys: CacheKeys | None,
    todo: list[Task],
    workers: int | None,
    parallel_min: int,
    progress: Progress | None = None,
) -> list[tuple[bytes | None, CardOutcome]]:
    """Each file's cache key (``None``: not to be cached) and outcome, in the order of ``todo``.

    With many files, worker processes render them, in small chunks so that none holds much.
    ``progress`` hears of each chunk done.
    """
    count = workers if workers is not None else usable_cpus()
    if count < 2 or len(todo) < max(parallel_min, 2):
        if progress is None:
            return _render_chunk(cards_dir, config, keys, todo)
        size, count = CHUNK_CARDS, 1
    else:
        count = min(count, len(todo))
        size = min(CHUNK_CARDS, -(-len(todo) // (count * 4)))
    chunks = [todo[start : start + size] for start in range(0, len(todo), size)]
    tasks = [(cards_dir, config, keys, chunk) for chunk in chunks]
    results: list[tuple[bytes | None, CardOutcome]] = []

    def collect(parts: Iterable[list[tuple[bytes | None, CardOutcome]]]) -> None:
        for part in parts:
            results.extend(part)
            if progress is not None:
                progress(len(results), len(todo))

    if count < 2:
        collect(map(_render_task, tasks))
        return results
    try:
        context = multiprocessing.get_context("fork" if sys.platform == "linux" else None)
        with context.Pool(count) as pool:
            collect(pool.imap(_render_task, tasks))  # in order, as each chunk is done
    except OSError:  # no processes to be had (a sandbox): render here
        results.clear()
        collect(map(_render_task, tasks))
    return results


def _render_task(
    task: tuple[Path, DeckConfig, CacheKeys | None, list[Task]],
) -> list[tuple[bytes | None, CardOutcome]]:
    return _render_chunk(*task)


def _render_chunk(
    cards_dir: Path, config: DeckConfig, keys: CacheKeys | None, chunk: list[Task]
) -> list[tuple[bytes | None, CardOutcome]]:
    renderer = Renderer(cards_dir)  # one Markdown converter for the whole chunk
    results: list[tuple[bytes | None, CardOutcome]] = []
    for _, path, shown in chunk:
        # Read here, not where the cache was asked: an outcome is stored under the key of the
        # very bytes it was made from, even if the file changed in between.
        data = _read(path)
        key = None
        if keys is not None and data is not None and IMAGE_MARK not in data:
            key = keys.card_key(path, shown, hashlib.sha256(data).digest())
        results.append((key, card_outcome(path, data, shown, config, renderer)))
    return results


def _content_digest(path: Path, known: str | None) -> bytes | None:
    """The SHA-256 of a card file's bytes: ``known`` (hex) if given, else read; ``None`` when
    it cannot be read or shows an image (such a card is never looked up)."""
    if known is not None and len(known) == 64:
        try:
            return bytes.fromhex(known)
        except ValueError:
            pass
    data = _read(path)
    if data is None or IMAGE_MARK in data:
        return None
    return hashlib.sha256(data).digest()


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None  # read_card reads again and reports why


def display_paths(paths: Sequence[Path]) -> list[str]:
    """``display_path`` of every path, resolving each folder once rather than every file."""
    if os.sep != "/":
        return [display_path(path) for path in paths]
    cwd = os.path.realpath(os.getcwd())
    prefix = cwd.rstrip("/") + "/"
    folders: dict[str, str] = {}
    shown: list[str] = []
    for path in paths:
        text = os.fspath(path)
        if os.path.islink(text):  # the file itself resolves elsewhere: the slow, general way
            shown.append(display_path(path))
            continue
        parent, name = os.path.split(text)
        folder = folders.get(parent)
        if folder is None:
            folder = folders[parent] = os.path.realpath(parent or ".")
        full = os.path.join(folder, name)
        shown.append(full[len(prefix) :] if full.startswith(prefix) else path.as_posix())
    return shown


def display_named(cards_dir: Path, named: Sequence[tuple[str, Path, bool]]) -> list[str]:
    """``display_path`` of every card file ``load.discover_named`` found below ``cards_dir``.

    ``discover_named`` enters no linked folder, so a file that is not a link itself resolves
    to the resolved cards folder and its name: one ``realpath`` for the whole deck.
    """
    if os.sep != "/":
        return [display_path(path) for _, path, _ in named]
    prefix = os.path.realpath(os.getcwd()).rstrip("/") + "/"
    base = os.path.realpath(cards_dir).rstrip("/") + "/"
    shown: list[str] = []
    for name, path, link in named:
        if link:
            shown.append(display_path(path))
            continue
        full = base + name
        shown.append(full[len(prefix) :] if full.startswith(prefix) else path.as_posix())
    return shown
