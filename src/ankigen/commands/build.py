"""The build: run the stages in order, from a cards folder to ``output/<deck>-<version>.apkg``.

``render_deck`` is the one place where cards are loaded, validated and rendered; ``check``
(the check stage) judges the result, and ``build`` writes the package only when the check
passes. Before all that, ``build`` looks for a shortcut: nothing changed since the last
build (``cache.build_record``), and then nothing is done at all.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from ankigen.anki.deck import DeckPackage
from ankigen.anki.lock import LockChanges, Release
from ankigen.anki.notes import LastLook, Sources, assemble, development_description
from ankigen.anki.package import card_rows, note_rows, package_bytes, write_package_bytes
from ankigen.checks.drafts import drafts_line
from ankigen.checks.outcomes import card_outcomes
from ankigen.checks.rules import CheckedDeck, check_deck
from ankigen.errors import AnkigenError, Problem, display_path
from ankigen.release import journal
from ankigen.release.published import changed_package_problem, package_identity
from ankigen.render.card import RenderedCard, RenderedDeck
from ankigen.source.config import DeckConfig, load_config
from ankigen.source.layout import DECK_FILE, LOCK_FILE, RELEASE_FILE
from ankigen.source.load import discover_named, display_named
from ankigen.source.strays import stray_card_files
from ankigen.source.validate import cross_card_problems
from ankigen.util.atomic import atomic_write_bytes
from ankigen.util.progress import Progress

if TYPE_CHECKING:  # --no-cache never loads the cache
    from ankigen.cache import build_record


@dataclass(frozen=True)
class BuildResult:
    """What a build made: the package, its cards per category, and what changed."""

    output: Path
    config: DeckConfig
    per_category: dict[str, int]
    changes: LockChanges
    lock_path: Path
    warnings: tuple[Problem, ...] = ()
    unchanged: bool = False  # nothing the last build read had changed: nothing was written
    development: bool = False  # not the release ``config.version``: a ``-dev`` package
    identity: str = ""  # what the package holds (``release.published.package_identity``)
    drafts: tuple[str, ...] = ()  # the drafts left out, by id (``checks.drafts``)

    def drafts_summary(self) -> list[str]:
        """``["2 drafts left out: DL0007, DL0008"]``, or nothing when there is no draft."""
        return [drafts_line(self.drafts)] if self.drafts else []

    def summary(self, seconds: float | None = None) -> str:
        """One line for the terminal; ``seconds`` is how long the build took."""
        counts = ", ".join(f"{prefix} {n}" for prefix, n in self.per_category.items())
        total = sum(self.per_category.values())
        if self.unchanged:
            took = f"; checked in {seconds:.2f} s" if seconds is not None else ""
            return "\n".join(
                [
                    f"No changes: {display_path(self.output)} is up to date "
                    f"({total} cards: {counts}){took}.",
                    *self.drafts_summary(),
                ]
            )
        changes = self.changes
        changed = sum(
            len(ids) for ids in (changes.added, changes.changed, changes.removed, changes.restored)
        )
        detail = f" ({self.changes.describe()})" if self.changes.any else ""
        kind = " (a development build, not a release)" if self.development else ""
        built = (
            f"Built {display_path(self.output)}{kind}: {total} card{'s' * (total != 1)} "
            f"({counts}); "
            f"{changed} changed since the lock{detail}."
        )
        return "\n".join([built, *self.drafts_summary()])

    def report(self) -> dict[str, object]:
        """The build as plain data for scripts (``ankigen build --json``); keys are stable."""
        changes = self.changes
        return {
            "output": display_path(self.output),
            "deck": self.config.name,
            "version": self.config.version,
            "unchanged": self.unchanged,
            "development": self.development,
            "cards": sum(self.per_category.values()),
            "per_category": dict(self.per_category),
            "changed": {
                "added": list(changes.added),
                "changed": list(changes.changed),
                "removed": list(changes.removed),
                "restored": list(changes.restored),
            },
            "warnings": [
                {"path": w.path, "line": w.line, "message": w.message} for w in self.warnings
            ],
            "drafts": list(self.drafts),
        }


def render_cards(
    cards_dir: Path, *, progress: Progress | None = None
) -> tuple[DeckConfig, list[RenderedCard]]:
    """Load, validate and render every card; raise ``AnkigenError`` when there are errors.

    Warnings travel with the cards (``RenderedCard.warnings``).
    """
    deck = render_deck(cards_dir, progress=progress)
    if deck.config is None or any(p.is_error for p in deck.problems):
        raise AnkigenError(list(deck.problems))
    return deck.config, list(deck.cards)


def render_deck(
    cards_dir: Path,
    *,
    use_cache: bool = True,
    progress: Progress | None = None,
    digests: dict[str, str] | None = None,
) -> RenderedDeck:
    """Load, validate and render every card of ``cards_dir``, collecting every problem.

    Each card file is loaded, validated and rendered on its own (``checks.outcomes``), on all
    CPU cores when there are many; with ``use_cache``, an unchanged one comes from the render
    cache instead (``cache.outcomes``). ``progress`` hears how the rendering goes.
    ``digests`` are the files' SHA-256 digests (hex, by path below ``cards_dir``) when a
    snapshot has them (``cache.build_record``).
    """
    problems: list[Problem] = []
    config: DeckConfig | None = None
    try:
        config = load_config(cards_dir)
    except AnkigenError as exc:
        problems.extend(exc.problems)
    others: list[str] = []  # the files that are not cards: are some meant to be?
    named = discover_named(cards_dir, others)
    problems.extend(stray_card_files(others))
    paths = [path for _, path, _ in named]
    shown = display_named(cards_dir, named)
    if config is None:  # still check the cards, against any category: all problems at once
        stand_in = DeckConfig(
            cards_dir / DECK_FILE, "", "0.0.0", "", _AnyCategory(), 0, 1, any_type=True
        )
        outcomes = card_outcomes(cards_dir, paths, stand_in, progress=progress, shown=shown)
        problems.extend(problem for outcome in outcomes for problem in outcome.problems)
        problems.extend(cross_card_problems([o.source for o in outcomes if o.source]))
        return RenderedDeck(None, (), tuple(problems))
    if use_cache:
        from ankigen.cache.outcomes import cached_outcomes  # --no-cache never loads the cache

        known = None
        if digests is not None:  # the snapshot's digest of each card file's content
            known = [digests.get(name) for name, _, _ in named]
        outcomes, cache_warnings, made_from = cached_outcomes(
            cards_dir, paths, config, progress=progress, digests=known, shown=shown
        )
        read = {n: d for (n, _, _), d in zip(named, made_from, strict=True) if d}
    else:
        outcomes = card_outcomes(cards_dir, paths, config, progress=progress, shown=shown)
        cache_warnings, read = [], {}
    problems.extend(problem for outcome in outcomes for problem in outcome.problems)
    problems.extend(cross_card_problems([o.source for o in outcomes if o.source is not None]))
    rendered = [outcome.rendered for outcome in outcomes if outcome.rendered is not None]
    if not paths and not problems:
        problems.append(Problem(display_path(cards_dir), 1, "no card files (*.md) found"))
    checks = tuple(problem for outcome in outcomes for problem in outcome.checks)
    digest_of = {
        o.rendered.id: o.digest for o in outcomes if o.rendered is not None and not o.draft
    }
    drafts = tuple(
        (o.draft[0], name, o.draft[1])
        for o, name in zip(outcomes, shown, strict=True)
        if o.draft is not None
    )
    return RenderedDeck(
        config,
        tuple(rendered),
        tuple(problems),
        checks,
        digest_of,
        tuple(cache_warnings),
        read,
        drafts,
    )


class _AnyCategory(dict[str, str]):
    """The categories of a deck whose deck.yaml is broken: any prefix is taken as known."""

    def __contains__(self, key: object) -> bool:
        return True


def check(
    cards_dir: Path,
    *,
    now: int,
    strict: bool = False,
    use_cache: bool = True,
    progress: Progress | None = None,
) -> CheckedDeck:
    """Render and check every card of ``cards_dir``; write nothing but the render cache.

    Raises ``AnkigenError`` with every problem when there are errors, or warnings and
    ``strict``; otherwise returns the checked deck with its warnings.
    """
    deck = render_deck(cards_dir, use_cache=use_cache, progress=progress)
    checked = check_deck(cards_dir, deck, now=now, strict=strict)
    return replace(checked, warnings=tuple(sorted(checked.warnings + deck.cache_warnings)))


def build(
    cards_dir: Path,
    out_dir: Path,
    *,
    now: int,
    frozen: bool = False,
    strict: bool = False,
    use_cache: bool = True,
    progress: Progress | None = None,
    read_all: bool = False,
    release: Release | None = None,
) -> BuildResult:
    """Build the deck in ``cards_dir`` into ``out_dir`` (``_build``), holding the cards
    folder's write lock, after undoing a release that did not finish (``release.journal``).
    A ``release`` holds that lock itself and calls this within it."""
    run = partial(
        _build,
        cards_dir,
        out_dir,
        now=now,
        frozen=frozen,
        strict=strict,
        use_cache=use_cache,
        progress=progress,
        read_all=read_all,
    )
    if release is not None:
        return run(release=release)
    with journal.settled(cards_dir, wait=True):
        return run()


def _build(
    cards_dir: Path,
    out_dir: Path,
    *,
    now: int,
    frozen: bool = False,
    strict: bool = False,
    use_cache: bool = True,
    progress: Progress | None = None,
    read_all: bool = False,
    release: Release | None = None,
) -> BuildResult:
    """Build the deck in ``cards_dir`` into ``out_dir``; ``now`` stamps what changed.

    Runs the check stage first: errors (and with ``strict`` warnings too) stop the build
    before anything is written. Writes the package, then the lock when its text changed.
    With ``frozen``, a lock that does not match the sources is an error and nothing is
    written. The package is the release ``version`` (``<deck>-<version>.apkg``) when the
    sources are what that release recorded (``is_released``) or when ``release`` makes it;
    otherwise it is a development build, ``<deck>-<version>-dev.apkg``, written over any
    earlier one. A release package that exists with other content is an error: it is never
    overwritten. With ``use_cache``, the render cache saves
    work, and when nothing the last build read has changed, nothing is done at all
    (``cache.build_record``); files whose status is as the last build recorded are not read again,
    unless ``read_all`` or ``frozen`` (a release, CI). ``progress`` hears how the rendering
    goes.
    """
    read_all = read_all or frozen
    snapshot = None
    if use_cache:
        from ankigen.cache import build_record  # --no-cache never loads the cache

        options = {"frozen": frozen, "strict": strict}
        snapshot, last = build_record.look_back(
            cards_dir, out_dir, options, trust_status=not read_all
        )
        if last is not None:
            per_category, warnings, config, target, drafts = last
            return BuildResult(
                output=target,
                config=config,
                per_category=per_category,
                changes=LockChanges((), (), (), False, config.version, config.version),
                lock_path=cards_dir / LOCK_FILE,
                warnings=warnings,
                unchanged=True,
                development=target.name == config.dev_package_name,
                drafts=drafts,
            )
    digests = snapshot.files if snapshot is not None else None
    deck = render_deck(cards_dir, use_cache=use_cache, progress=progress, digests=digests)
    checked = check_deck(cards_dir, deck, now=now, strict=strict, release=release)
    config, rendered, changes = checked.config, list(checked.cards), checked.changes
    lock_path = checked.lock_path
    if frozen and checked.lock_stale:
        raise AnkigenError([_stale_lock(lock_path, changes)])
    data, identity, is_release = _package(cards_dir, checked, releasing=release is not None)
    target = out_dir / (config.package_name if is_release else config.dev_package_name)
    written_lock = _write(
        target, data, config, checked, release=is_release, releasing=release is not None
    )
    per_category = Counter(card.category for card in rendered)
    result = BuildResult(
        output=target,
        config=config,
        per_category={prefix: per_category[prefix] for prefix in config.categories},
        changes=changes,
        lock_path=lock_path,
        warnings=tuple(sorted(checked.warnings + deck.cache_warnings)),
        development=not is_release,
        identity=identity,
        drafts=checked.drafts,
    )
    if snapshot is not None:
        # the cache's warnings (it is mended now), and the lock's when it was written, would
        # not apply to a next build from the same files
        transient = deck.cache_warnings + (checked.lock_warnings if written_lock else ())
        _remember(snapshot, result, transient, written_lock, deck.file_digests)
    return result


def _stale_lock(lock_path: Path, changes: LockChanges) -> Problem:
    stale_reason = changes.describe() if changes.any else "an older lock format"
    return Problem(
        display_path(lock_path),
        1,
        f"lock is stale ({stale_reason}): run `ankigen build` without --frozen and commit "
        f"{LOCK_FILE}",
    )


def assemble_checked(
    cards_dir: Path, checked: CheckedDeck, release_notes: str | None = None, *, look: bool = True
) -> DeckPackage:
    """The checked deck as the package's notes. The deck description takes
    ``release_notes``, or else the last release's when this is its version. Without
    ``look``, the caller takes the last look (``last_look``)."""
    released = checked.released  # read once, by the check
    notes = release_notes
    if notes is None:
        notes = released.notes if released.version == checked.config.version else ""
    return assemble(
        checked.config,
        checked.note_type,
        list(checked.cards),
        checked.lock,
        notes,
        checked.cloze_note_type,
        sources=_sources(cards_dir, checked),
        look=look,
        declared=checked.declared_types,
        style_media=checked.style_media,
    )


def last_look(cards_dir: Path, checked: CheckedDeck, package: DeckPackage) -> LastLook:
    """The last look at ``package``, made from ``checked`` (``anki.notes.LastLook``)."""
    files = {card.id: card.shown for card in checked.cards}
    return LastLook(package, _sources(cards_dir, checked), files)


def _sources(cards_dir: Path, checked: CheckedDeck) -> Sources:
    """The files beside the cards that a package takes text from, as messages name them."""
    return Sources(
        lock=display_path(checked.lock_path),
        release=display_path(cards_dir / RELEASE_FILE),
        deck=display_path(cards_dir / DECK_FILE),
    )


def _package(cards_dir: Path, checked: CheckedDeck, *, releasing: bool) -> tuple[bytes, str, bool]:
    """The package's bytes, what it holds (``package_identity``), and whether it is the
    release of deck.yaml's version (made ``releasing``, or the one recorded); a development
    build says so in its deck description. The last look at the notes runs meanwhile, and
    nothing is returned unless it finds nothing."""
    deck_package = assemble_checked(cards_dir, checked, look=False)
    with last_look(cards_dir, checked, deck_package) as look:
        identity = package_identity(deck_package, checked.lock_text)
        is_release = releasing or is_released(checked, identity)
        made = deck_package
        if not is_release:
            made = replace(deck_package, description=development_description(checked.config))
        data = package_bytes(made, note_rows(made, made.notes), card_rows(made, made.notes))
        problems = look.problems()
    if problems:
        raise AnkigenError(problems)
    return data, identity, is_release


def is_released(checked: CheckedDeck, identity: str) -> bool:
    """Whether the package of ``checked``, which holds ``identity``, is the last release:
    deck.yaml's version is the release's, and so is what the package holds."""
    released = checked.released
    if released.version != checked.config.version:
        return False
    # a record written before records kept that digest cannot tell: a development build
    return bool(released.package) and released.package == identity


def _write(
    target: Path,
    data: bytes,
    config: DeckConfig,
    made: CheckedDeck,
    *,
    release: bool,
    releasing: bool = False,
) -> bytes | None:
    """Write the lock if its text changed, then the package (a ``release`` one only if it
    would not change what that file holds: a released package never changes); the lock's
    bytes if written."""
    overwrite = None
    if release:
        overwrite = changed_package_problem(target, data, config.version, releasing=releasing)
    if overwrite is not None:
        raise AnkigenError([overwrite])
    # the lock first: a package that failed to be written is made again, byte for byte, from
    # the lock; a package written before a lock that failed would carry stamps no lock knows
    written_lock = made.lock_text.encode("utf-8") if made.lock_stale else None
    if written_lock is not None:
        atomic_write_bytes(made.lock_path, written_lock)
    write_package_bytes(target, data)
    return written_lock


def _remember(
    snapshot: build_record.InputSnapshot,
    result: BuildResult,
    transient: tuple[Problem, ...],
    written_lock: bytes | None,
    read_digests: dict[str, str],
) -> dict[str, str] | None:
    """Record this build's inputs and report, for a next build with the same inputs; the
    digest of each input as the build left them, or ``None`` when nothing was recorded.
    ``transient`` warnings are left out of the report: they would not apply again.
    """
    from ankigen.cache import build_record  # only builds that use the cache get here

    warnings = tuple(w for w in result.warnings if w not in transient)
    return build_record.record_build(
        snapshot,
        result.config,
        result.output,
        result.lock_path,
        written_lock,
        result.per_category,
        warnings,
        read_digests,
        result.drafts,
    )
