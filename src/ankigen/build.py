"""The build: run the stages in order, from a cards folder to ``output/<deck>-<version>.apkg``."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from .assemble import assemble, content_hash
from .atomic import atomic_write_bytes
from .config import DeckConfig, load_config
from .errors import AnkigenError, Problem, display_path
from .load import RawCard, discover, read_card
from .lock import LOCK_FILE, LockChanges, format_lock, read_lock, update_lock
from .notetype import basic_note_type
from .package import write_package
from .render import RenderedCard, Renderer
from .validate import validate_cards


@dataclass(frozen=True)
class BuildResult:
    """What a build made: the package, its cards per category, and what changed."""

    output: Path
    config: DeckConfig
    per_category: dict[str, int]
    changes: LockChanges
    lock_path: Path

    def summary(self) -> str:
        """One line for the terminal."""
        counts = ", ".join(f"{prefix} {n}" for prefix, n in self.per_category.items())
        total = sum(self.per_category.values())
        changed = len(self.changes.added) + len(self.changes.changed) + len(self.changes.removed)
        detail = f" ({self.changes.describe()})" if self.changes.any else ""
        return (
            f"Built {display_path(self.output)}: {total} cards ({counts}); "
            f"{changed} changed since the lock{detail}."
        )


def render_cards(cards_dir: Path) -> tuple[DeckConfig, list[RenderedCard]]:
    """Load, validate and render every card; raise ``AnkigenError`` with all problems found."""
    problems: list[Problem] = []
    config: DeckConfig | None = None
    try:
        config = load_config(cards_dir)
    except AnkigenError as exc:
        problems.extend(exc.problems)
    raw_cards: list[RawCard] = []
    for path in discover(cards_dir):
        raw = read_card(path)
        if isinstance(raw, Problem):
            problems.append(raw)
        else:
            raw_cards.append(raw)
    if config is None:
        raise AnkigenError(problems)
    cards, card_problems = validate_cards(raw_cards, config)
    problems.extend(card_problems)
    renderer = Renderer()
    rendered: list[RenderedCard] = []
    for card in cards:
        result, render_problems = renderer.render_card(card)
        problems.extend(render_problems)
        rendered.append(result)
    if not raw_cards and not problems:
        problems.append(Problem(display_path(cards_dir), 1, "no card files (*.md) found"))
    if problems:
        raise AnkigenError(problems)
    return config, rendered


def build(cards_dir: Path, out_dir: Path, *, now: int, frozen: bool = False) -> BuildResult:
    """Build the deck in ``cards_dir`` into ``out_dir``; ``now`` stamps what changed.

    Writes the package, then the lock when it changed. With ``frozen``, a lock that does
    not match the sources is an error and nothing is written.
    """
    config, rendered = render_cards(cards_dir)
    note_type = basic_note_type(config.note_type_id, config.name)
    lock_path = cards_dir / LOCK_FILE
    lock = read_lock(lock_path)
    hashes = {card.id: content_hash(card) for card in rendered}
    new_lock, changes = update_lock(lock, note_type.content_hash(), hashes, now)
    if frozen and changes.any:
        raise AnkigenError(
            [
                Problem(
                    display_path(lock_path),
                    1,
                    f"lock is stale ({changes.describe()}): run `ankigen build` without "
                    f"--frozen and commit {LOCK_FILE}",
                )
            ]
        )
    target = out_dir / config.package_name
    write_package(assemble(config, note_type, rendered, new_lock), target)
    if changes.any:
        atomic_write_bytes(lock_path, format_lock(new_lock).encode("utf-8"))
    per_category = Counter(card.category for card in rendered)
    return BuildResult(
        output=target,
        config=config,
        per_category={prefix: per_category[prefix] for prefix in config.categories},
        changes=changes,
        lock_path=lock_path,
    )
