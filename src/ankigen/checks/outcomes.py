"""Stages 1–3 for one card file at a time: read, validate, render, and the card's own checks.

Each card file goes, on its own, through ``source.load.read_card`` →
``source.validate.validate_card`` → ``render.card.Renderer.render_card`` and the card rules
(``checks.rules.card_problems``); checks across cards, like duplicate ids and the lock, come
later. What comes out, a ``CardOutcome``, depends only on the file and the deck's settings
(and, for a card that shows an image, the image). Many files are spread over all usable CPU
cores. Outcomes come back in the order of the files, which ``discover`` sorted, so the result
never depends on how the work was divided. (``cache.outcomes`` reuses earlier outcomes; this
module does not know it exists.)
"""

from __future__ import annotations

import hashlib
import multiprocessing
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from ankigen.anki.notes import content_hash
from ankigen.checks.rules import card_problems
from ankigen.errors import Problem
from ankigen.render.card import RenderedCard, Renderer
from ankigen.render.media import MEDIA_MARKS
from ankigen.source.config import DeckConfig
from ankigen.source.load import RawCard, display_paths, read_card
from ankigen.source.validate import DRAFT, CardRef, as_draft_problem, is_draft, validate_card
from ankigen.util.cpus import usable_cpus
from ankigen.util.files import CARD_LIMIT, read_regular
from ankigen.util.progress import Progress

# Rendering one card takes about half a millisecond; below this many cards to render,
# starting worker processes costs more than it saves.
PARALLEL_MIN_CARDS = 256
CHUNK_CARDS = 200  # cards a worker renders before it hands the outcomes back


@dataclass(frozen=True)
class CardOutcome:
    """What one card file turned into: where it is and its HTML when valid, its problems
    (reading, front matter, rendering), what the card rules found (``checks``), and the
    digest of what a learner's note of it holds (``anki.notes.content_hash``; empty when it
    has no note).

    Only the card's reference (id, file, line) outlives rendering: the checks across cards
    need no more.
    """

    source: CardRef | None
    rendered: RenderedCard | None
    problems: tuple[Problem, ...]
    checks: tuple[Problem, ...] = ()
    digest: str = ""
    # a card file with ``draft: true``: its id as written ("" if none) and line; its
    # problems are all warnings (``source.validate.as_draft_problem``)
    draft: tuple[str, int] | None = None


Task = tuple[int, Path, str]  # a card file to render: its index, path and shown name


def card_outcome(
    path: Path, data: bytes | None, shown: str | None, config: DeckConfig, renderer: Renderer
) -> CardOutcome:
    """Read (from ``data`` if given), validate and render one card file."""
    raw = read_card(path, data, shown)
    if isinstance(raw, Problem):
        return CardOutcome(None, None, (raw,))
    source, problems = validate_card(raw, config)
    draft = _draft_of(raw)
    if source is None:
        return _as_draft(CardOutcome(None, None, tuple(problems)), draft)
    rendered, render_problems = renderer.render_card(source)
    # the check stage's findings on this card alone, and its digest, depend on nothing else
    outcome = CardOutcome(
        CardRef.of(source),
        rendered,
        (*problems, *render_problems),
        tuple(card_problems(rendered)),
        content_hash(rendered),
    )
    return _as_draft(outcome, draft)


def _draft_of(raw: RawCard) -> tuple[str, int] | None:
    """A draft's id as written ("" when it has none) and the line of its ``draft:``."""
    if not is_draft(raw.front.values):
        return None
    card_id = raw.front.values.get("id")
    line = raw.front.key_lines.get(DRAFT, 1)
    return (card_id.strip() if isinstance(card_id, str) else "", line)


def _as_draft(outcome: CardOutcome, draft: tuple[str, int] | None) -> CardOutcome:
    """The outcome of a draft: every problem a warning that says so."""
    if draft is None:
        return outcome
    rendered = outcome.rendered
    if rendered is not None:
        rendered = replace(rendered, warnings=tuple(map(as_draft_problem, rendered.warnings)))
    return replace(
        outcome,
        rendered=rendered,
        problems=tuple(map(as_draft_problem, outcome.problems)),
        checks=tuple(map(as_draft_problem, outcome.checks)),
        draft=draft,
    )


def card_outcomes(
    cards_dir: Path,
    paths: Sequence[Path],
    config: DeckConfig,
    *,
    workers: int | None = None,
    parallel_min: int = PARALLEL_MIN_CARDS,
    progress: Progress | None = None,
    shown: Sequence[str] | None = None,
) -> list[CardOutcome]:
    """The outcome of every card file in ``paths``, in that order, rendered now.

    ``shown`` are the paths' ``display_path`` when the caller has them. ``workers`` (default:
    the usable CPU cores) processes render them when there are at least ``parallel_min``.
    ``progress`` hears how many are done.
    """
    names = display_paths(paths) if shown is None else shown
    todo = [
        (index, path, name) for index, (path, name) in enumerate(zip(paths, names, strict=True))
    ]
    return [
        outcome
        for _, outcome in render_files(cards_dir, config, todo, workers, parallel_min, progress)
    ]


def render_files(
    cards_dir: Path,
    config: DeckConfig,
    todo: list[Task],
    workers: int | None,
    parallel_min: int,
    progress: Progress | None = None,
) -> list[tuple[bytes | None, CardOutcome]]:
    """Each file's outcome, in the order of ``todo``, with the SHA-256 of the very bytes it was
    made from; ``None`` instead when the outcome depends on more than those bytes (a card that
    shows an image) or the file could not be read.

    With many files, worker processes render them, in small chunks so that none holds much.
    ``progress`` hears of each chunk done.
    """
    count = workers if workers is not None else usable_cpus()
    if count < 2 or len(todo) < max(parallel_min, 2):
        if progress is None:
            return _render_chunk(cards_dir, config, todo)
        size, count = CHUNK_CARDS, 1
    else:
        count = min(count, len(todo))
        size = min(CHUNK_CARDS, -(-len(todo) // (count * 4)))
    chunks = [todo[start : start + size] for start in range(0, len(todo), size)]
    tasks = [(cards_dir, config, chunk) for chunk in chunks]
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
    task: tuple[Path, DeckConfig, list[Task]],
) -> list[tuple[bytes | None, CardOutcome]]:
    return _render_chunk(*task)


def _render_chunk(
    cards_dir: Path, config: DeckConfig, chunk: list[Task]
) -> list[tuple[bytes | None, CardOutcome]]:
    renderer = Renderer(cards_dir)  # one Markdown converter for the whole chunk
    results: list[tuple[bytes | None, CardOutcome]] = []
    for _, path, shown in chunk:
        # The digest of the very bytes the outcome was made from, even if the file changes
        data = read_bytes(path)
        digest = None
        if data is not None and not any(mark in data for mark in MEDIA_MARKS):
            digest = hashlib.sha256(data).digest()
        outcome = card_outcome(path, data, shown, config, renderer)
        if outcome.rendered is not None and outcome.rendered.media:
            digest = None  # its HTML depends on other files too: never cached
        results.append((digest, outcome))
    return results


def read_bytes(path: Path) -> bytes | None:
    try:
        return read_regular(path, CARD_LIMIT, "a card file")
    except OSError:
        return None  # read_card reads again and reports why
