"""``ankigen release [major|minor|patch]``: set the version, build, and say what changed.

``version`` in deck.yaml is the last release. Releasing is one command that cannot silently
go wrong: it refuses when the check fails, when nothing changed, and when the changes need
a bigger part than the one asked for (a retired card or a note type schema change: major;
a new card: minor), naming the command that fits. ``release PART`` raises the last release
by PART; ``release`` alone releases the version an author raised in deck.yaml by hand. It
writes the new ``version`` (nothing else in that file changes), builds the package with
every note it changes stamped at the release's time, and records the changes in the deck's
changelog, in the deck description learners see on Anki's overview screen, and in
``ankigen.release.json`` (with a digest of what the package holds, which tells a later
build that it is this release). When the build fails, deck.yaml and the release record are
put back as they were.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from ankigen.anki.apkg import read_package
from ankigen.anki.diff import diff_packages, format_diff
from ankigen.anki.lock import Lock, Release
from ankigen.anki.lockfile import read_lock
from ankigen.anki.notes import content_hash
from ankigen.anki.package import package_bytes
from ankigen.checks.drafts import live_cards
from ankigen.checks.rules import check_deck, lost_lock_problem
from ankigen.commands.build import (
    BuildResult,
    assemble_checked,
    build,
    render_cards,
    render_deck,
)
from ankigen.errors import AnkigenError, Problem, display_path
from ankigen.release import journal
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
    released_cards,
)
from ankigen.release.typechanges import broken_types, restyled, type_stamps
from ankigen.release.versions import PARTS, bump, write_version
from ankigen.render.card import RenderedCard
from ankigen.source.config import DeckConfig, load_config, version_key
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
        released = (
            f"Released {c.version} (was {c.previous or 'unreleased'}): {counts}; "
            f"{display_path(self.build.output)}; {display_path(self.changelog)} updated."
        )
        return "\n".join([released, *self.build.drafts_summary()])


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
                f"would be overwritten; restore {LOCK_FILE} from version control "
                f"(`git checkout -- {shown}`)",
            )
        ]
    )


def release(
    cards_dir: Path,
    out_dir: Path,
    part: str | None,
    *,
    now: int,
    changelog: Path | None = None,
    progress: Progress | None = None,
    allow_empty: bool = False,
    message: str = "",
) -> ReleaseResult:
    """Release the deck in ``cards_dir``: the last release raised by ``part`` (major, minor,
    patch), or with ``part`` ``None`` the version deck.yaml says, raised by hand.

    A release with no card change is refused unless ``allow_empty``, and so is one whose
    changes need a bigger part (``release_problem``). ``message``, the author's words, goes
    into the changelog and the deck description. ``progress`` hears how the rendering goes.
    """
    # two releases at once: one is refused; one killed before it finished: undone, repeated
    with journal.settled(cards_dir, wait=False):
        return _release(
            cards_dir,
            out_dir,
            part,
            now=now,
            changelog=changelog,
            progress=progress,
            allow_empty=allow_empty,
            message=message,
        )


def _release(
    cards_dir: Path,
    out_dir: Path,
    part: str | None,
    *,
    now: int,
    changelog: Path | None,
    progress: Progress | None,
    allow_empty: bool,
    message: str,
) -> ReleaseResult:
    """``release``, its lock held: every file it writes is in its journal first."""
    config, manifest, lock = _preflight(cards_dir)
    _, cards = render_cards(cards_dir, progress=progress)
    current = released_cards(list(live_cards(cards)))  # drafts are not released
    decks = {card.id: config.card_deck(card.category, card.deck) for card in cards}
    changes = _judged(config, manifest, lock, part, current, allow_empty)
    new_version = changes.version
    manifest_path = cards_dir / RELEASE_FILE
    deck_yaml = cards_dir / DECK_FILE
    changelog = changelog or default_changelog(cards_dir)
    date = time.strftime("%Y-%m-%d", time.gmtime(now))
    retired = {
        **{i: t for i, t in manifest.retired.items() if i not in current},
        **{i: t for i, t, _ in changes.retired},
    }
    new_manifest = ReleaseManifest(
        new_version, date, description_html(changes, message), current, retired, now
    )
    package = out_dir / f"{config.slug}-{new_version}.apkg"
    journal.begin(cards_dir, [deck_yaml, manifest_path, cards_dir / LOCK_FILE, changelog], package)
    try:
        if new_version != config.version:
            atomic_write_bytes(deck_yaml, write_version(deck_yaml, new_version).encode("utf-8"))
        atomic_write_bytes(manifest_path, format_manifest(new_manifest).encode("utf-8"))
        # a release reads every file: no status remembered from an earlier build is trusted
        result = build(
            cards_dir,
            out_dir,
            now=now,
            progress=progress,
            read_all=True,
            release=stamped_by(changes, manifest),
        )
        built = read_lock(cards_dir / LOCK_FILE)
        _same_cards(cards_dir, built, live_cards(cards))  # no file changed meanwhile
        schemas = {"basic": built.schema, "cloze": built.cloze_schema}
        schemas.update((name, declared.schema) for name, declared in built.types.items())
        styles = {kind: stamp.hash for kind, stamp in type_stamps(built).items() if stamp}
        new_manifest = replace(
            new_manifest,
            package=result.identity,
            schemas={kind: schema for kind, schema in schemas.items() if schema},
            styles=styles,
            cards={  # each note's time as shipped (an edit later undone goes back to it), deck
                card_id: replace(card, mod=built.cards[card_id].mod, deck=decks.get(card_id, ""))
                for card_id, card in new_manifest.cards.items()
                if card_id in built.cards
            },
        )
        atomic_write_bytes(manifest_path, format_manifest(new_manifest).encode("utf-8"))
        existing = changelog.read_text(encoding="utf-8") if changelog.exists() else ""
        text = prepend_changelog(existing, changelog_section(changes, date, message, config.name))
        atomic_write_bytes(changelog, text.encode("utf-8"))
    except BaseException:
        journal.recover(cards_dir)  # all or nothing: every file back as it was
        raise
    journal.finish(cards_dir)
    return ReleaseResult(result, changes, changelog)


def _same_cards(cards_dir: Path, built: Lock, judged: Sequence[RenderedCard]) -> None:
    """The release was judged on ``judged``; the package it built must hold those very cards
    (an editor's autosave, a ``git checkout`` in another window, may change a file while a
    release runs). Else ``AnkigenError``, and the release is undone."""
    digests = {card.id: content_hash(card) for card in judged}
    moved = sorted(
        set(digests) ^ set(built.cards)
        | {i for i in digests if i in built.cards and built.cards[i].hash != digests[i]}
    )
    if moved:
        raise AnkigenError(
            [
                Problem(
                    display_path(cards_dir),
                    1,
                    f"card files changed while the release ran ({', '.join(moved[:5])}): "
                    "nothing was released; run the release again",
                )
            ]
        )


def stamped_by(changes: ReleaseChanges, last: ReleaseManifest) -> Release:
    """What a release stamps at its own time: every card it adds, changes, restores or
    retires (a development build may have stamped them earlier), and the note types stamped
    since the last release; and the cards it leaves as they were (``anki.lock.Release``)."""
    ids = [i for i, _ in changes.added + changes.restored] + [i for i, _, _ in changes.changed]
    retired = frozenset(i for i, _, _ in changes.retired)
    unchanged = frozenset(last.cards) - frozenset(ids) - retired
    shipped = frozenset(last.cards) | frozenset(last.retired)  # empty: the first release
    return Release(
        frozenset(ids),
        last.time,
        retired=retired,
        version=changes.version,
        unchanged=unchanged,
        shipped=shipped,
        released_mods={i: c.mod for i, c in last.cards.items() if c.mod is not None},
    )


def _judged(
    config: DeckConfig,
    manifest: ReleaseManifest,
    lock: Lock,
    part: str | None,
    current: dict[str, ReleasedCard],
    allow_empty: bool,
) -> ReleaseChanges:
    """The changes a release of ``current`` makes, once they are known to fit (else
    ``AnkigenError`` with the command that fits)."""
    broken = broken_types(config, manifest, lock)
    changes = compare(manifest, current, config.version, config.retired)
    changes = replace(changes, restyled=tuple(restyled(config, manifest, lock)))
    new_version = target_version(config, manifest, part, changes, broken)
    changes = replace(changes, version=new_version)
    refused = release_problem(config, manifest, part, changes, broken)
    if refused is not None:
        raise AnkigenError([refused])
    if changes.empty and not allow_empty:
        raise AnkigenError([_empty_problem(config, part, changes)])
    return changes


def target_version(
    config: DeckConfig,
    manifest: ReleaseManifest,
    part: str | None,
    changes: ReleaseChanges,
    broken: list[str],
) -> str:
    """The version a release makes: the last release raised by ``part`` (deck.yaml's
    version before any release), or, with no ``part``, deck.yaml's version, which must then
    be above the last release. ``changes`` and ``broken`` say which part a refusal names."""
    last = manifest.version
    if part is not None:
        return bump(last or config.version, part)
    current, previous = version_key(config.version), version_key(last)
    if last is None or previous is None or (current is not None and current > previous):
        return config.version
    if current is not None and current < previous:
        raise AnkigenError(
            [
                Problem(
                    display_path(config.path),
                    config.version_line,
                    f"version {config.version} is lower than {last}, the last release "
                    f"({RELEASE_FILE}): put `version: {last}` back, then run `ankigen release "
                    "patch`, `minor` or `major`, or raise it above that by hand and run "
                    "`ankigen release`",
                )
            ]
        )
    needed, why = needed_part(changes, broken)
    if changes.empty and not broken:
        return bump(last, "patch")  # refused as empty, with the way out
    if not why:
        why = f"{_listed([i for i, _, _ in changes.changed])} changed"
    raise AnkigenError(
        [
            Problem(
                display_path(config.path),
                config.version_line,
                f"version {config.version} is already released ({RELEASE_FILE}): `ankigen "
                "release` with no part releases a version raised by hand in deck.yaml; to "
                f"release what changed since ({why}), run `ankigen release {needed}` (releases "
                f"{bump(last, needed)})",
            )
        ]
    )


def part_of(last: str, new: str) -> str:
    """Which part a release from ``last`` to ``new`` raises: ``1.2.3`` → ``1.3.0`` is minor.
    Between a pre-release and its release (or another pre-release of it) it is the part the
    release itself raises: ``1.1.0-rc.1`` → ``1.1.0`` is minor, ``2.0.0-rc.1`` → ``2.0.0``
    major."""
    old_key, new_key = version_key(last), version_key(new)
    if old_key is None or new_key is None:
        return "major"
    if old_key[:3] == new_key[:3]:
        _, minor, patch = new_key[:3]
        return "patch" if patch else "minor" if minor else "major"
    if new_key[0] != old_key[0]:
        return "major"
    return "minor" if new_key[1] != old_key[1] else "patch"


def needed_part(changes: ReleaseChanges, broken: list[str]) -> tuple[str, str]:
    """The smallest part that may release ``changes`` (and ``broken`` note type schemas),
    and why."""
    retired = [i for i, _, _ in changes.retired]
    if retired or broken:
        what = [f"{_listed(retired)} retired"] if retired else []
        what += [f"the {kind} note type's fields or templates changed" for kind in broken]
        return "major", "; ".join(what)
    new = [i for i, _ in changes.added + changes.restored]
    if new:
        return "minor", f"{_listed(new)} {'is' if len(new) == 1 else 'are'} new"
    return "patch", ""


def release_problem(
    config: DeckConfig,
    manifest: ReleaseManifest,
    part: str | None,
    changes: ReleaseChanges,
    broken: list[str],
) -> Problem | None:
    """Why this release does not fit ``changes``, with the command that does; ``None`` if it
    fits. A patch changes cards only; a new or restored card needs a minor release; a
    retired card or a note type schema change (``broken``) a major one: learners keep a
    retired card's note, and their Anki stops updating notes whose note type lost or gained
    a field or template (before 2.1.67 also a renamed one, or another sort field)."""
    if manifest.version is None:
        return None  # the first release: no learner has anything yet
    asked = part or part_of(manifest.version, changes.version)
    needed, why = needed_part(changes, broken)
    if PARTS.index(asked) <= PARTS.index(needed):
        return None
    shown, line = display_path(config.path), config.version_line
    article = "an" if asked == "major" else "a"
    way_out = f"run `ankigen release {needed}` (releases {bump(manifest.version, needed)})"
    if part is None:
        way_out = (
            f"put `version: {bump(manifest.version, needed)}` in deck.yaml and run `ankigen "
            f"release`, or {way_out}"
        )
    return Problem(
        shown,
        line,
        f"{changes.version} would be {article} {asked} release after {manifest.version}, but "
        f"{why}, which needs a {needed} release: {way_out}",
    )


def _empty_problem(config: DeckConfig, part: str | None, changes: ReleaseChanges) -> Problem:
    again = f"ankigen release {part} --allow-empty" if part else "ankigen release --allow-empty"
    return Problem(
        display_path(config.path),
        config.version_line,
        f"no card changed since version {changes.previous}: there is nothing to release; "
        f"edit the cards first, or run `{again}` to publish the same cards under a new version",
    )


def _listed(ids: list[str]) -> str:
    return ", ".join(ids[:5]) + (f" and {len(ids) - 5} more" if len(ids) > 5 else "")


def _preflight(cards_dir: Path) -> tuple[DeckConfig, ReleaseManifest, Lock]:
    """deck.yaml, the last release's record and the lock, once the lock is known to cover
    that release."""
    config = load_config(cards_dir)
    lock = read_lock(cards_dir / LOCK_FILE)
    manifest = read_manifest(cards_dir / RELEASE_FILE)
    if manifest.version is not None:
        _check_lock_covers(manifest, lock, cards_dir / LOCK_FILE)
    return config, manifest, lock


@dataclass(frozen=True)
class DryRun:
    """What a release would do: its changelog entry, and what a learner would see."""

    changes: ReleaseChanges
    changelog_entry: str
    learners: str  # ``ankigen diff`` of the last package and the one the release would make


def dry_run(
    cards_dir: Path,
    out_dir: Path,
    part: str | None,
    *,
    now: int,
    allow_empty: bool = False,
    message: str = "",
    progress: Progress | None = None,
) -> DryRun:
    """What ``release`` would do, with the same refusals, writing nothing at all: the new
    package is made in memory and compared with the last one in ``out_dir``."""
    config, manifest, lock = _preflight(cards_dir)
    deck = render_deck(cards_dir, use_cache=False, progress=progress)
    if deck.config is None or any(p.is_error for p in deck.problems):
        raise AnkigenError(list(deck.problems))
    current = released_cards(list(live_cards(deck.cards)))
    changes = _judged(config, manifest, lock, part, current, allow_empty)
    new_version = changes.version
    bumped = replace(deck, config=replace(deck.config, version=new_version))
    checked = check_deck(
        cards_dir, bumped, now=now, strict=False, release=stamped_by(changes, manifest)
    )
    package = assemble_checked(cards_dir, checked, description_html(changes, message))
    date = time.strftime("%Y-%m-%d", time.gmtime(now))
    entry = changelog_section(changes, date, message, config.name)
    last = out_dir / replace(config, version=manifest.version or config.version).package_name
    if manifest.version is None:
        learners = "(the first release: a learner gets every card as new)"
    elif not last.is_file():
        learners = (
            f"({display_path(last)}, the last release's package, is not there to compare "
            "with; the changelog entry above lists every change)"
        )
    else:
        with tempfile.TemporaryDirectory(prefix="ankigen-dry-run-") as work:
            made = Path(work) / "release.apkg"
            made.write_bytes(package_bytes(package))
            learners = format_diff(diff_packages(read_package(last), read_package(made)))
    return DryRun(changes, entry, learners)
