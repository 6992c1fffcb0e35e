"""A rebuild after a few card files changed: the last build's rows, with those cards redone.

A build of 10,000 cards spends most of its time passing over cards that did not change:
loading their outcomes, checking them against the lock, turning them into notes and rows.
When the last build saved its rows (``savedrows``) and the only inputs that differ from
that build's are the contents of a few of its card files, the package differs from the
last one only in those cards' rows and lock lines. A rebuild then redoes just those cards,
with the same functions a full build uses (``incremental.card_outcomes``,
``check.stamp_lock``, ``assemble.card_note``, ``package.note_rows``), and gives the bytes,
lock, messages and record that a full build would.

Anything else (a card added, removed, renamed or given another id, another note kind or
number of cloze cards, a card with a problem of its own before or after, images, links,
``deck.yaml``, the lock or the release record, another ankigen or options) is left to the
full build: ``rebuild_rows`` returns ``None``. Files no build of an image-free deck reads
(an editor's swap files, say) are not looked at (``matters``). A property test compares
the two over random edit histories.
"""

from __future__ import annotations

import hashlib
import os
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .assemble import DeckPackage, card_note, package_header
from .buildrecord import InputSnapshot, build_context
from .changelog import RELEASE_FILE, read_manifest
from .check import against_lock_problems, identity_problems, stamp_lock
from .config import DECK_FILE, DeckConfig, load_config
from .errors import AnkigenError, Problem, display_path
from .incremental import CardOutcome, card_outcomes, display_named
from .load import CARD_SUFFIX
from .lock import CARD_LINE, CARDS_LINE, LOCK_FILE, LockChanges, card_entry, parse_lock
from .notetype import basic_note_type, cloze_note_type
from .package import card_rows, note_rows
from .render import RenderedCard
from .rendercache import cache_folder
from .savedrows import CardPlace, Row, SavedBuild, SavedRows, read_rows
from .validate import CardRef

BESIDE_CARDS = frozenset({DECK_FILE, LOCK_FILE, RELEASE_FILE})  # the other files a build reads
# Beyond this share of the cards, a full build (which renders on every core) is as quick.
MAX_SHARE = 0.25


def rows_folder(cards_dir: Path, config: DeckConfig) -> Path:
    """Where the rows of builds of ``cards_dir`` are saved."""
    return cache_folder(cards_dir, config)


def rebuild_rows(
    snapshot: InputSnapshot,
    config: DeckConfig,
    *,
    now: int,
    strict: bool,
) -> RebuiltDeck | None:
    """The deck as a full build would make it from ``snapshot``, if only a few card files
    changed since the build whose rows were saved; else ``None``."""
    saved = read_rows(rows_folder(snapshot.cards_dir, config))
    if saved is None:
        return None
    try:
        return _rebuild(snapshot, config, saved, now=now, strict=strict)
    finally:
        saved.close()


def _rebuild(
    snapshot: InputSnapshot, config: DeckConfig, saved: SavedRows, *, now: int, strict: bool
) -> RebuiltDeck | None:
    cards_dir = snapshot.cards_dir
    build = saved.build
    files = {name: digest for name, digest in snapshot.files.items() if matters(name)}
    if build.context != build_context(snapshot, config) or build.files.keys() != files.keys():
        return None
    changed = sorted(name for name, digest in files.items() if build.files[name] != digest)
    if len(changed) > MAX_SHARE * len(build.cards):
        return None
    if any(name not in build.cards or ":" in files[name] for name in changed):
        return None  # not a card file of that build, or a link, an unreadable or odd file
    # What else the build reads, as the snapshot saw it: read after it, it could differ.
    deck_yaml, lock_data = _as_seen(snapshot, DECK_FILE), _as_seen(snapshot, LOCK_FILE)
    release = _as_seen(snapshot, RELEASE_FILE) if RELEASE_FILE in files else None
    if deck_yaml is None or lock_data is None or (RELEASE_FILE in files and release is None):
        return None
    try:
        if load_config(cards_dir, deck_yaml) != config:
            return None  # deck.yaml changed between its first reading and the snapshot
        old_text = lock_data.decode("utf-8")
        released = None if release is None else read_manifest(cards_dir / RELEASE_FILE, release)
    except (UnicodeDecodeError, AnkigenError):
        return None
    redone = _redo(snapshot, config, build, changed)
    if redone is None:
        return None
    cards, places = redone

    lock_path = cards_dir / LOCK_FILE
    lock_shown = display_path(lock_path)
    try:
        lock = parse_lock(old_text, lock_shown, only=[card.id for card in cards])
    except AnkigenError:
        return None
    lines = old_text.split("\n")
    for card, place in zip(cards, places, strict=True):
        match = CARD_LINE.match(lines[place.lock_line]) if place.lock_line < len(lines) else None
        if match is None or match.group(1) != card.id or card.id not in lock.cards:
            return None
        lock.card_lines[card.id] = place.lock_line + 1
    note_type = basic_note_type(config.note_type_id, config.name)
    cloze_type = None
    if build.cloze:
        if config.cloze_note_type_id is None:
            return None
        cloze_type = cloze_note_type(config.cloze_note_type_id, config.name)
    new_lock, changes = stamp_lock(config, lock, cards, now, note_type, cloze_type)
    if _beyond_cards(changes):
        return None
    if identity_problems(config, lock, lock_shown):
        return None  # errors: the full build reports them
    against_lock = against_lock_problems(
        config, lock, changes, cards, lock_shown, note_type, cloze_type
    )
    problems = [Problem(*p) for p in build.base_problems] + against_lock
    if any(p.is_error for p in problems) or (strict and problems):
        return None  # the full build says what is wrong
    for card, place in zip(cards, places, strict=True):  # format_lock's line for each
        comma = "," if lines[place.lock_line].endswith(",") else ""
        lines[place.lock_line] = card_entry(card.id, new_lock.cards[card.id]) + comma
    lock_text = "\n".join(lines)

    header = package_header(
        config,
        note_type,
        new_lock,
        released.notes if released is not None and released.version == config.version else "",
        cloze_type,
        set(build.used_decks),
    )
    rows_now = saved.rows()
    if rows_now is None:
        return None
    notes, card_table = rows_now
    for card, place in zip(cards, places, strict=True):
        record = card_note(config, card, new_lock.cards[card.id], place.note_index + 1)
        notes[place.note_index] = next(note_rows(header, [record]))
        rows = list(card_rows(header, [record]))
        if len(rows) != place.card_count:
            return None
        card_table[place.card_start : place.card_start + place.card_count] = rows
    return RebuiltDeck(
        header=header,
        notes=notes,
        cards=card_table,
        lock_path=lock_path,
        lock_text=lock_text,
        lock_stale=lock_text != old_text,
        changes=changes,
        warnings=tuple(sorted(problems)),
        lock_warnings=tuple(sorted(against_lock)),
        saved=build,
        redone=tuple(changed),
    )


@dataclass(frozen=True)
class RebuiltDeck:
    """What a rebuild made: the package's parts, the lock, and the warnings."""

    header: DeckPackage  # the package without its notes (``assemble.package_header``)
    notes: list[Row]
    cards: list[Row]
    lock_path: Path
    lock_text: str
    lock_stale: bool  # whether the lock file's text differs from ``lock_text``
    changes: LockChanges
    warnings: tuple[Problem, ...]
    lock_warnings: tuple[Problem, ...]  # those that compare the sources with the lock
    saved: SavedBuild  # the build the rows came from
    redone: tuple[str, ...]  # the card files redone, by name below the cards folder


def _redo(
    snapshot: InputSnapshot, config: DeckConfig, build: SavedBuild, changed: list[str]
) -> tuple[list[RenderedCard], list[CardPlace]] | None:
    """The changed card files rendered and checked anew (from the render cache when it has
    them), each with its place in the saved build; ``None`` unless each still holds the
    same card in the same place, with no problem of its own."""
    places = [build.place(name) for name in changed]
    if any(place is None for place in places):
        return None  # a damaged entry
    cards_dir = snapshot.cards_dir
    named = [(name, Path(os.path.join(os.fspath(cards_dir), name)), False) for name in changed]
    outcomes = card_outcomes(
        cards_dir,
        [path for _, path, _ in named],
        config,
        digests=[snapshot.files[name] for name in changed],
        shown=display_named(cards_dir, named),
    )
    cards = []
    for outcome, place in zip(outcomes, places, strict=True):
        if place is None or outcome.rendered is None or not _same_place(outcome, place):
            return None
        cards.append(outcome.rendered)
    return cards, [place for place in places if place is not None]


def _same_place(outcome: CardOutcome, place: CardPlace) -> bool:
    """Whether a changed card file still holds the same card, in the same place, with no
    problem of its own: then only its note's content (and its lock line) can differ."""
    card = outcome.rendered
    return (
        card is not None
        and not outcome.problems
        and card.checks == ()
        and not card.media
        and outcome.source == CardRef(place.shown, place.card_id, place.id_line)
        and card.kind == place.kind
    )


def _beyond_cards(changes: LockChanges) -> bool:
    """Whether the lock changed in more than the changed cards' own entries."""
    return bool(
        changes.added
        or changes.removed
        or changes.restored
        or changes.tombstones_changed
        or changes.note_type_changed
        or changes.cloze_note_type_changed
    )


def saved_build(
    context: tuple[str, ...],
    files: dict[str, str],
    named: Sequence[tuple[str, CardOutcome]],
    package: DeckPackage,
    lock_text: str,
    warnings: tuple[Problem, ...],
    lock_warnings: tuple[Problem, ...],
    per_category: dict[str, int],
) -> SavedBuild:
    """What a later rebuild needs to know of a full build that made ``package``.

    ``named`` is each card file's name and outcome; ``files`` every input's digest as the
    build left them (``buildrecord.record_build``).
    """
    places: dict[str, tuple[int, int, int]] = {}
    start = 0
    for index, note in enumerate(package.notes):
        places.setdefault(note.card_id, (index, start, len(note.card_ords)))
        start += len(note.card_ords)
    # format_lock writes one line per card, in id order, after this line: as the notes
    cards_line = lock_text.split("\n").index(CARDS_LINE)
    cards: dict[str, tuple[object, ...]] = {}
    for name, outcome in named:
        card, source = outcome.rendered, outcome.source
        if card is None or source is None or outcome.problems or card.checks:
            continue  # a card with problems of its own is rebuilt only by a full build
        index, first, count = places[card.id]
        line = cards_line + 1 + index  # rebuild_rows checks that the line is this card's
        # a CardPlace, as a plain tuple
        cards[name] = (card.id, source.shown, source.id_line, card.kind, index, first, count, line)
    base = Counter(warnings)
    base.subtract(lock_warnings)
    return SavedBuild(
        context=context,
        files={name: digest for name, digest in files.items() if matters(name)},
        cards=cards,
        base_problems=tuple((p.path, p.line, p.message, p.severity) for p in base.elements()),
        per_category=per_category,
        used_decks=tuple(sorted({note.deck_id for note in package.notes}, key=_deck_order)),
        cloze=package.cloze_note_type is not None,
    )


def _deck_order(deck_id: int | None) -> int:
    return -1 if deck_id is None else deck_id


def matters(name: str) -> bool:
    """Whether the file ``name`` (below the cards folder) can change a deck that shows no
    images: deck.yaml, the lock, the release record, and what ``load.discover`` takes as a
    card file (``*.md``, hidden files and folders aside). An editor's swap and backup files
    (``.x.md.swp``, ``x.md~``, ``4913``) do not."""
    # a part of the name that starts with "." is a hidden file or folder
    return name in BESIDE_CARDS or (name.endswith(CARD_SUFFIX) and "/." not in "/" + name)


def _as_seen(snapshot: InputSnapshot, name: str) -> bytes | None:
    """The file ``name``'s bytes if they are still those the snapshot saw, else ``None``."""
    try:
        data = (snapshot.cards_dir / name).read_bytes()
    except OSError:
        return None
    return data if hashlib.sha256(data).hexdigest() == snapshot.files.get(name) else None


def can_save(
    named: Sequence[tuple[str, CardOutcome, bool]], package: DeckPackage, files: dict[str, str]
) -> bool:
    """Whether a rebuild could start from this build: no images (their bytes are not saved),
    no linked card files (what a rebuild redoes is a file's own content), and every card file
    among the inputs (``files``: the output or cache folder inside the cards folder is not)."""
    return (
        not package.media
        and not any(link for _, _, link in named)
        and all(name in files for name, _, _ in named)
    )
