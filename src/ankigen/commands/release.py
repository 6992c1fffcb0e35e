"""``ankigen release major|minor|patch``: bump the version, build, and say what changed.

Releasing is one command that cannot silently go wrong: it refuses when the check fails at
the new version, or when the lock does not describe the last release (a version built by
hand since); it bumps ``version`` in deck.yaml (nothing else in that file changes), builds
the package, and records the changes since the last release in CHANGELOG.md, in the deck
description learners see on Anki's overview screen, and in ``ankigen.release.json``. When
the build fails, deck.yaml and the release record are put back as they were.
"""

from __future__ import annotations

import html
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

from ankigen.anki.apkg import read_package
from ankigen.anki.diff import diff_packages, format_diff
from ankigen.anki.lock import Lock, Release
from ankigen.anki.lockfile import read_lock
from ankigen.anki.notes import note_fields, note_tags
from ankigen.anki.notetype import field_names
from ankigen.anki.package import package_bytes
from ankigen.checks.rules import check_deck, lost_lock_problem
from ankigen.commands.build import (
    BuildResult,
    assemble_checked,
    build,
    render_cards,
    render_deck,
)
from ankigen.errors import AnkigenError, Problem, display_path
from ankigen.release.changelog import (
    ReleaseChanges,
    ReleasedCard,
    ReleaseManifest,
    changelog_section,
    compare,
    description_html,
    format_manifest,
    prepend_changelog,
    read_manifest,
    released_card,
)
from ankigen.release.versions import bump, write_version
from ankigen.render.card import RenderedCard
from ankigen.source.config import DeckConfig, load_config
from ankigen.source.layout import DECK_FILE, LOCK_FILE, RELEASE_FILE
from ankigen.util.atomic import atomic_write_bytes
from ankigen.util.progress import Progress

CHANGELOG_FILE = "CHANGELOG.md"


def default_changelog(cards_dir: Path) -> Path:
    """Where a deck's changelog goes unless ``--changelog`` says: ``CHANGELOG.md`` beside a
    cards folder named ``cards`` (one deck in a repository), else ``CHANGELOG-<folder>.md``
    beside it, so that two decks in one repository never write one file."""
    folder = cards_dir.resolve()
    name = CHANGELOG_FILE if folder.name == "cards" else f"CHANGELOG-{folder.name}.md"
    return folder.parent / name


@dataclass(frozen=True)
class ReleaseResult:
    """A finished release: the build, what changed, and where the changelog is."""

    build: BuildResult
    changes: ReleaseChanges
    changelog: Path

    def summary(self) -> str:
        """One line for the terminal."""
        c = self.changes
        counts = (
            f"{len(c.added) + len(c.restored)} added, {len(c.changed)} changed, "
            f"{len(c.retired)} retired"
        )
        return (
            f"Released {c.version} (was {c.previous or 'unreleased'}): {counts}; "
            f"{display_path(self.build.output)}; {display_path(self.changelog)} updated."
        )


def released_cards(cards: list[RenderedCard]) -> dict[str, ReleasedCard]:
    """The release records of rendered cards, by id."""
    return {
        card.id: released_card(
            html.unescape(card.title),
            dict(zip(field_names(card.kind), note_fields(card), strict=True)),
            note_tags(card),
        )
        for card in cards
    }


def record_first_release(cards_dir: Path, *, now: int, changelog: Path) -> ReleaseChanges:
    """Record the deck as it is, at its current version, as released: no bump, no build.

    For a deck that was published before it used ``ankigen release``.
    """
    config, cards = render_cards(cards_dir)
    current = released_cards(cards)
    changes = compare(ReleaseManifest(), current, config.version, {})
    date = time.strftime("%Y-%m-%d", time.gmtime(now))
    manifest = ReleaseManifest(config.version, date, description_html(changes), current, {}, now)
    atomic_write_bytes(cards_dir / RELEASE_FILE, format_manifest(manifest).encode("utf-8"))
    existing = changelog.read_text(encoding="utf-8") if changelog.exists() else ""
    text = prepend_changelog(existing, changelog_section(changes, date, deck=config.name))
    atomic_write_bytes(changelog, text.encode("utf-8"))
    return changes


def _check_lock_covers(manifest: ReleaseManifest, lock: Lock, lock_path: Path) -> None:
    """A release needs the lock of the last one: without it, every card's time starts afresh.

    Anki would then take every card of the release as edited, and each learner's own edits
    to any card would be overwritten.
    """
    known = set(lock.cards) | set(lock.retired)
    missing = sorted((set(manifest.cards) | set(manifest.retired)) - known)
    if not missing:
        return
    if not known:
        raise AnkigenError([lost_lock_problem(lock_path, manifest.version)])
    shown = display_path(lock_path)
    listed = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
    raise AnkigenError(
        [
            Problem(
                shown,
                1,
                f"{shown} does not know {listed}, released in version {manifest.version} or "
                "before: a release would stamp them as new, and learners' own edits to them "
                f"would be overwritten; restore {LOCK_FILE} from version control",
            )
        ]
    )


def release(
    cards_dir: Path,
    out_dir: Path,
    part: str,
    *,
    now: int,
    changelog: Path | None = None,
    force: bool = False,
    progress: Progress | None = None,
    allow_empty: bool = False,
    message: str = "",
) -> ReleaseResult:
    """Release the deck in ``cards_dir`` as the next ``part`` (major, minor, patch) version.

    A release with no card change is refused unless ``allow_empty``, and a ``patch`` that
    adds or restores cards is refused (a ``minor`` it is). ``message``, the author's words,
    goes into the changelog and the deck description. ``progress`` hears how the rendering
    goes.
    """
    config, manifest = _preflight(cards_dir)
    manifest_path = cards_dir / RELEASE_FILE
    new_version = bump(config.version, part)
    _, cards = render_cards(cards_dir, progress=progress)
    current = released_cards(cards)
    refused = _wrong_part(config, part, compare(manifest, current, new_version, {}), allow_empty)
    if refused is not None:
        raise AnkigenError([refused])
    deck_yaml = cards_dir / DECK_FILE
    old_deck_text = deck_yaml.read_bytes()
    old_manifest_text = manifest_path.read_bytes() if manifest_path.exists() else None
    changelog = changelog or default_changelog(cards_dir)
    try:
        atomic_write_bytes(deck_yaml, write_version(deck_yaml, new_version).encode("utf-8"))
        config = load_config(cards_dir)
        changes = compare(manifest, current, new_version, config.retired)
        date = time.strftime("%Y-%m-%d", time.gmtime(now))
        retired = {
            **{i: t for i, t in manifest.retired.items() if i not in current},
            **{i: t for i, t, _ in changes.retired},
        }
        new_manifest = ReleaseManifest(
            new_version, date, description_html(changes, message), current, retired, now
        )
        atomic_write_bytes(manifest_path, format_manifest(new_manifest).encode("utf-8"))
        # a release reads every file: no status remembered from an earlier build is trusted
        result = build(
            cards_dir,
            out_dir,
            now=now,
            force=force,
            progress=progress,
            read_all=True,
            release=stamped_by(changes, manifest),
        )
    except BaseException:
        atomic_write_bytes(deck_yaml, old_deck_text)
        if old_manifest_text is None:
            manifest_path.unlink(missing_ok=True)
        else:
            atomic_write_bytes(manifest_path, old_manifest_text)
        raise
    existing = changelog.read_text(encoding="utf-8") if changelog.exists() else ""
    text = prepend_changelog(existing, changelog_section(changes, date, message, config.name))
    atomic_write_bytes(changelog, text.encode("utf-8"))
    return ReleaseResult(result, changes, changelog)


def stamped_by(changes: ReleaseChanges, last: ReleaseManifest) -> Release:
    """What a release stamps at its own time: every card it adds, changes or restores (a
    development build may have stamped them earlier), and the note types stamped since the
    last release (``anki.lock.Release``)."""
    ids = [i for i, _ in changes.added + changes.restored] + [i for i, _, _ in changes.changed]
    return Release(frozenset(ids), last.time)


def _preflight(cards_dir: Path) -> tuple[DeckConfig, ReleaseManifest]:
    """deck.yaml and the last release's record, once the lock is known to match them."""
    config = load_config(cards_dir)
    lock = read_lock(cards_dir / LOCK_FILE)
    manifest = read_manifest(cards_dir / RELEASE_FILE)
    if manifest.version is not None:
        _check_lock_covers(manifest, lock, cards_dir / LOCK_FILE)
    if manifest.version is not None and lock.version not in (None, manifest.version):
        raise AnkigenError(
            [
                Problem(
                    display_path(cards_dir / LOCK_FILE),
                    1,
                    f"the lock was last built as version {lock.version}, but the last release "
                    f"is {manifest.version}: restore deck.yaml's version to "
                    f"{manifest.version} (and rebuild), then release",
                )
            ]
        )
    return config, manifest


@dataclass(frozen=True)
class DryRun:
    """What a release would do: its changelog entry, and what a learner would see."""

    changes: ReleaseChanges
    changelog_entry: str
    learners: str  # ``ankigen diff`` of the last package and the one the release would make


def dry_run(
    cards_dir: Path,
    out_dir: Path,
    part: str,
    *,
    now: int,
    allow_empty: bool = False,
    message: str = "",
    progress: Progress | None = None,
) -> DryRun:
    """What ``release`` would do, with the same refusals, writing nothing at all: the new
    package is made in memory and compared with the last one in ``out_dir``."""
    config, manifest = _preflight(cards_dir)
    new_version = bump(config.version, part)
    deck = render_deck(cards_dir, use_cache=False, progress=progress)
    if deck.config is None or any(p.is_error for p in deck.problems):
        raise AnkigenError(list(deck.problems))
    current = released_cards(list(deck.cards))
    changes = compare(manifest, current, new_version, config.retired)
    refused = _wrong_part(config, part, changes, allow_empty)
    if refused is not None:
        raise AnkigenError([refused])
    bumped = replace(deck, config=replace(deck.config, version=new_version))
    checked = check_deck(
        cards_dir, bumped, now=now, strict=False, release=stamped_by(changes, manifest)
    )
    package = assemble_checked(cards_dir, checked, description_html(changes, message))
    date = time.strftime("%Y-%m-%d", time.gmtime(now))
    entry = changelog_section(changes, date, message, config.name)
    last = out_dir / config.package_name
    if not last.is_file():
        learners = (
            f"({display_path(last)} is not there to compare with: `ankigen build` makes it, "
            "and then this shows what a learner who has it would see)"
        )
    else:
        with tempfile.TemporaryDirectory(prefix="ankigen-dry-run-") as work:
            made = Path(work) / "release.apkg"
            made.write_bytes(package_bytes(package))
            learners = format_diff(diff_packages(read_package(last), read_package(made)))
    return DryRun(changes, entry, learners)


def _wrong_part(
    config: DeckConfig, part: str, changes: ReleaseChanges, allow_empty: bool
) -> Problem | None:
    """Why ``part`` does not fit ``changes``, with the command that does; ``None`` if it fits.

    A patch changes cards only; new or restored cards make a minor release. (Retiring cards
    needs a major one, which the check says.)
    """
    shown, line = display_path(config.path), config.version_line
    if changes.empty and not allow_empty:
        return Problem(
            shown,
            line,
            f"no card changed since version {changes.previous}: there is nothing to release; "
            f"edit the cards first, or run `ankigen release {part} --allow-empty` to publish "
            "the same cards under a new version",
        )
    new = [card_id for card_id, _ in changes.added + changes.restored]
    if part == "patch" and new:
        listed = ", ".join(new[:5]) + (f" and {len(new) - 5} more" if len(new) > 5 else "")
        return Problem(
            shown,
            line,
            f"a patch release only changes cards, but {listed} "
            f"{'is' if len(new) == 1 else 'are'} new: run `ankigen release minor`",
        )
    return None
