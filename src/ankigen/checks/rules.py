"""The check stage: everything that would break on a learner's device, found before shipping.

``build`` runs it first and ``ankigen check`` runs it alone; it writes nothing. It judges the
rendered deck (``render.card.RenderedDeck``): every formula must typeset in Anki's MathJax
(``tex.check``), notes must stay a reasonable size, and the cards must update learners'
notes (against the lock): a note cannot change its kind, and ids chosen once never change.
``version`` is the last release (or above it, for ``ankigen release`` to release): never
below. Which release a change needs (a removed card or a note type *schema* change: major)
is the release's to judge (``commands.release``), not the build's: building is free.

Errors stop the build. Warnings are reported and the build goes on, unless ``strict``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from ankigen.anki.lock import Lock, LockChanges, Release, format_lock, update_lock
from ankigen.anki.lockfile import read_lock_text
from ankigen.anki.notes import note_fields, tombstone_fields, tombstone_hash
from ankigen.anki.notetype import NoteTypeSpec
from ankigen.checks.decks import moved_card_problems
from ankigen.checks.drafts import draft_names, draft_problems, live_cards
from ankigen.checks.notetypes import DeckTypes, cardless_problems, deck_types, schema_problems
from ankigen.checks.renamed import changed_id_problems
from ankigen.errors import AnkigenError, Problem, display_path, quoted
from ankigen.release.changelog import ReleaseManifest, read_manifest
from ankigen.render.card import RenderedCard, RenderedDeck
from ankigen.render.kinds import kind_of_note
from ankigen.render.media import MediaFile
from ankigen.source.config import DeckConfig, random_id, version_key
from ankigen.source.layout import LOCK_FILE, RELEASE_FILE
from ankigen.tex.check import formula_problems

# A note this big syncs and renders slowly on phones; Anki itself has no hard limit.
MAX_NOTE_BYTES = 100 * 1024


@dataclass(frozen=True)
class CheckedDeck:
    """A deck that passed the check: its cards, the lock they lead to, and the warnings."""

    config: DeckConfig
    note_type: NoteTypeSpec
    cards: tuple[RenderedCard, ...]
    lock_path: Path
    lock: Lock  # the lock for these sources (what ``build`` writes)
    changes: LockChanges
    lock_text: str
    lock_stale: bool  # whether the lock file's text differs from ``lock_text``
    warnings: tuple[Problem, ...]
    # the warnings that compare the sources with the lock: once ``lock`` is written, they go
    lock_warnings: tuple[Problem, ...] = ()
    released: ReleaseManifest = field(default_factory=ReleaseManifest)  # the last release
    cloze_note_type: NoteTypeSpec | None = None  # when the package has cloze notes
    declared_types: tuple[NoteTypeSpec, ...] = ()  # those of deck.yaml that some note uses
    style_media: tuple[MediaFile, ...] = ()  # the files the stylesheets name (fonts)
    drafts: tuple[str, ...] = ()  # the drafts left out (``checks.drafts``), by id


def check_deck(
    cards_dir: Path,
    deck: RenderedDeck,
    *,
    now: int,
    strict: bool,
    release: Release | None = None,
    adopting: bool = False,
) -> CheckedDeck:
    """Check ``deck``, rendered from ``cards_dir``; ``now`` stamps what changed in the lock
    (``adopting``: ``ankigen adopt`` seeds the lock from this check). Raises
    ``AnkigenError`` with every problem when any is an error, or ``strict`` and warnings.
    """
    problems = [*deck.problems, *deck.checks]
    config = deck.config
    if config is None or any(p.is_error for p in problems):
        raise AnkigenError(problems)
    every_card = deck.cards  # drafts too: a released card's file made a draft keeps its id
    deck = replace(deck, cards=live_cards(deck.cards))  # drafts go into no package
    types, type_problems = deck_types(config)
    problems.extend(type_problems)
    if any(p.is_error for p in type_problems):
        raise AnkigenError(problems)
    note_type = types.basic
    lock_path = cards_dir / LOCK_FILE
    try:
        lock, old_text = read_lock_text(lock_path)  # one reading: the text is what was parsed
    except AnkigenError as exc:
        raise AnkigenError(problems + exc.problems) from None
    released = read_manifest(cards_dir / RELEASE_FILE)
    first_release = release is not None and not release.shipped  # no lock to lose yet
    if released.cards and not lock.cards and not lock.retired and not first_release:
        raise AnkigenError([*problems, lost_lock_problem(lock_path, released.version)])
    # built-in cloze cards need the cloze note type (a declared type's are its own)
    clozes = [card.id for card in deck.cards if card.clozes and card.kind not in types.declared]
    cloze_type = None
    if clozes or _retired_clozes(lock, {card.id for card in deck.cards}):
        if config.cloze_note_type_id is None:
            raise AnkigenError([*problems, _missing_cloze_id(config, sorted(clozes))])
        cloze_type = types.cloze
    declared, lost = used_types(types, lock, deck.cards, display_path(config.path))
    if lost:
        raise AnkigenError([*problems, *lost])
    new_lock, changes = stamp_lock(
        config, lock, deck.cards, deck.digests, now, (note_type, cloze_type, declared), release
    )
    lock_shown = display_path(lock_path)
    problems.extend(draft_problems(deck.drafts, deck.cards, lock, lock_shown, strict=strict))
    problems.extend(
        _deck_problems(config, lock, released, (types, declared), deck.cards, adopting)
    )
    # what comparing the sources with the lock finds: once the new lock is written, it goes
    against_lock = note_kind_problems(lock, deck.cards, lock_shown)
    against_lock += moved_card_problems(deck.cards, released, config)
    against_lock += changed_id_problems(lock, every_card, released)
    problems.extend(against_lock)
    if any(p.is_error for p in problems):
        raise AnkigenError(problems)
    if strict and problems:
        raise AnkigenError(problems)
    lock_text = format_lock(new_lock)
    return CheckedDeck(
        config=config,
        note_type=note_type,
        cards=deck.cards,
        lock_path=lock_path,
        lock=new_lock,
        changes=changes,
        lock_text=lock_text,
        lock_stale=old_text != lock_text,
        warnings=tuple(sorted(problems)),
        cloze_note_type=cloze_type,
        declared_types=declared,
        style_media=types.media,
        lock_warnings=tuple(sorted(against_lock)),
        released=released,
        drafts=draft_names(deck.drafts),
    )


def _deck_problems(
    config: DeckConfig,
    lock: Lock,
    released: ReleaseManifest,
    types: tuple[DeckTypes, tuple[NoteTypeSpec, ...]],
    cards: Sequence[RenderedCard],
    adopting: bool,
) -> list[Problem]:
    """What is wrong with the deck as a whole against its lock and last release: changed
    ids, a version below the release, changed schemas, notes that make no card, and kept
    GUIDs the lock does not know (but while adopting, which seeds the lock)."""
    lock_shown = display_path(config.path.parent / LOCK_FILE)
    deck_types_, declared = types
    problems = [
        *identity_problems(config, lock, lock_shown),
        *declared_identity_problems(config, lock, lock_shown),
        *version_problems(config, released),
        *schema_problems(config, declared, released),
        *cardless_problems(cards, deck_types_),
    ]
    if not adopting:
        problems.extend(unknown_guid_problems(lock, cards, lock_shown))
    return problems


def stamp_lock(
    config: DeckConfig,
    lock: Lock,
    cards: Sequence[RenderedCard],
    digests: dict[str, str],
    now: int,
    specs: tuple[NoteTypeSpec, NoteTypeSpec | None, tuple[NoteTypeSpec, ...]],
    release: Release | None = None,
) -> tuple[Lock, LockChanges]:
    """The lock for ``cards`` (``anki.lock.update_lock``), whose content digests are ``digests``
    (by id): ``now`` for what changed since ``lock``, and for what ``release`` releases.
    ``specs``: the note types of the package (basic, cloze if any, the declared ones)."""
    note_type, cloze_type, declared = specs
    names = {spec.kind for spec in declared}
    hashes = {card.id: digests[card.id] for card in cards}
    clozes = {card.id: card.clozes for card in cards if card.clozes}

    def old_clozes(card_id: str) -> tuple[int, ...]:
        old = lock.cards.get(card_id) or lock.retired.get(card_id)
        return old.clozes if old is not None else ()

    return update_lock(
        lock,
        note_type.content_hash(),
        hashes,
        now,
        schema=note_type.schema_hash(),
        version=config.version,
        titles={card.id: card.title for card in cards},
        tombstone_hash=lambda card_id, title, retired_in: tombstone_hash(
            tombstone_fields(
                card_id,
                title,
                retired_in,
                config.retired.get(card_id, ""),
                config.name,
                old_clozes(card_id),
            )
        ),
        clozes=clozes,
        cloze_note_type_hash=cloze_type.content_hash() if cloze_type else None,
        cloze_schema=cloze_type.schema_hash() if cloze_type else None,
        ids=(config.deck_id, config.note_type_id, config.cloze_note_type_id),
        release=release,
        types={spec.kind: (spec.content_hash(), spec.schema_hash(), spec.id) for spec in declared},
        kinds={
            card.id: (card.kind if card.kind in names else "", card.deck, card.guid)
            for card in cards
        },
    )


def lost_lock_problem(lock_path: Path, released: str | None) -> Problem:
    """The error for a deck released before whose lock is gone."""
    shown = display_path(lock_path)
    return Problem(
        shown,
        1,
        f"{shown} is missing or empty, but version {released} was released: a build would "
        "stamp every card as new, and learners' own edits to them would be overwritten; "
        f"restore {LOCK_FILE} from version control (`git checkout -- {shown}`)",
    )


def _retired_clozes(lock: Lock, live: set[str]) -> bool:
    """Whether a card that is not in the sources (now a tombstone) was a cloze card."""
    stamps = [*lock.cards.items(), *lock.retired.items()]
    return any(stamp.clozes and not stamp.kind for card_id, stamp in stamps if card_id not in live)


def _missing_cloze_id(config: DeckConfig, cloze_ids: list[str]) -> Problem:
    """The error for a deck with cloze cards whose deck.yaml has no ``cloze_note_type_id``."""
    which = ", ".join(cloze_ids[:5]) + (" …" if len(cloze_ids) > 5 else "")
    cards = f"cloze cards ({which})" if cloze_ids else "retired cloze cards"
    return Problem(
        display_path(config.path),
        config.ids_line,
        f"the deck has {cards} but no cloze_note_type_id: add a line "
        f"`cloze_note_type_id: {random_id()}` (a random id; keep it forever, learners' Anki "
        "matches the cloze note type by it)",
    )


def identity_problems(config: DeckConfig, lock: Lock, lock_shown: str) -> list[Problem]:
    """Ids in deck.yaml that differ from those the lock built with: no version can fix that.

    Every note's GUID is made from the deck id and the card id, and every note belongs to
    its note type by the type's id: with another deck id, learners would get every card a
    second time; with another note type id, their notes would never update again.
    """
    problems = []
    for key, built, now, harm in (
        ("deck_id", lock.deck_id, config.deck_id, "learners would get every card a second time"),
        (
            "note_type_id",
            lock.note_type_id,
            config.note_type_id,
            "learners' Anki would report every card as conflicting and never update it again",
        ),
        (
            "cloze_note_type_id",
            lock.cloze_note_type_id,
            config.cloze_note_type_id,
            "learners' Anki would report every cloze card as conflicting and never update it again",
        ),
    ):
        if built is not None and now is not None and built != now:
            problems.append(
                Problem(
                    display_path(config.path),
                    config.key_lines.get(key, config.ids_line),
                    f"{key} is {now}, but the deck was built with {built} ({lock_shown}): "
                    f"{harm}; put `{key}: {built}` back (an id is chosen once and kept "
                    "forever)",
                )
            )
    return problems


def note_kind_problems(lock: Lock, cards: Sequence[RenderedCard], lock_shown: str) -> list[Problem]:
    """Changes of a built card that its learners' notes cannot follow.

    A note cannot change its note type: Anki reports it as conflicting and never updates it,
    whatever the version. A deletion number that disappears leaves learners its card, which
    Anki then shows as empty.
    """
    problems = []
    for card in cards:
        old = lock.cards.get(card.id) or lock.retired.get(card.id)  # a restored card too
        if old is None:
            continue
        if old.guid != card.guid:
            problems.append(
                guid_problem(card, old.guid, lock.card_lines.get(card.id, 1), lock_shown)
            )
            continue
        was = old.kind or kind_of_note(old.clozes)
        if was == card.kind and not old.clozes:
            continue  # the common case: nothing can be lost
        line = lock.card_lines.get(card.id, 1)
        if was != card.kind:
            problems.append(
                Problem(
                    card.shown,
                    1,
                    f"card {card.id} was built as a {was} card ({lock_shown}:{line}): learners' "
                    f"Anki cannot turn its note into a {card.kind} note and would stop "
                    f"updating it; keep `type: {was}`, or give the {card.kind} card a new id",
                )
            )
            continue
        gone = sorted(set(old.clozes) - set(card.clozes))
        if gone:
            numbers = ", ".join(f"c{n}" for n in gone)
            problems.append(
                Problem.warning(
                    card.shown,
                    1,
                    f"card {card.id} no longer has deletion {numbers}: learners keep that card, "
                    "which Anki shows as empty until they use Tools → Empty Cards",
                )
            )
    return problems


def card_problems(card: RenderedCard) -> list[Problem]:
    """What is wrong with one rendered card: its formulas, and its size."""
    problems = [p for formula in card.formulas for p in formula_problems(formula, card.shown)]
    size = sum(len(field.encode("utf-8")) for field in note_fields(card))
    if size > MAX_NOTE_BYTES:
        problems.append(
            Problem.warning(
                card.shown,
                1,
                f"the note is {size // 1024} KB of HTML (over {MAX_NOTE_BYTES // 1024} KB): "
                "it will sync and render slowly on phones; split it or shorten it",
            )
        )
    return problems


def version_problems(config: DeckConfig, released: ReleaseManifest) -> list[Problem]:
    """deck.yaml's ``version`` is the last release's, or higher when an author raised it by
    hand for ``ankigen release`` (with no part) to release; never lower."""
    previous, current = version_key(released.version), version_key(config.version)
    if previous is None or current is None or current >= previous:
        return []
    return [
        Problem(
            display_path(config.path),
            config.version_line,
            f"version {config.version} is lower than {released.version}, the last release "
            f"({RELEASE_FILE}): `version` is the last release, and `ankigen release` raises "
            f"it; put `version: {released.version}` back",
        )
    ]


def used_types(
    types: DeckTypes, lock: Lock, cards: Sequence[RenderedCard], shown_yaml: str
) -> tuple[tuple[NoteTypeSpec, ...], list[Problem]]:
    """The declared note types some note of the package uses (a card, or a tombstone of a
    card that had one), in name order; and an error for a tombstone whose type deck.yaml
    no longer declares: its learners' notes need it to update."""
    live = {card.id for card in cards}
    wanted = {card.kind for card in cards if card.kind in types.declared}
    problems = []
    for card_id, stamp in sorted([*lock.cards.items(), *lock.retired.items()]):
        if card_id in live or not stamp.kind:
            continue
        if stamp.kind in types.declared:
            wanted.add(stamp.kind)
        else:
            problems.append(
                Problem(
                    shown_yaml,
                    1,
                    f"the retired card {card_id} was a note of type {quoted(stamp.kind)}, which "
                    "deck.yaml no longer declares: its learners' notes need that type to "
                    f"update; put the declaration of {stamp.kind} back under `note_types:`",
                )
            )
    return tuple(types.declared[name] for name in sorted(wanted)), problems


def declared_identity_problems(config: DeckConfig, lock: Lock, lock_shown: str) -> list[Problem]:
    """A declared note type whose id differs from the one the lock built it with."""
    problems = []
    for name, built in sorted(lock.types.items()):
        declared = config.note_types.get(name)
        if declared is not None and declared.id != built.id:
            problems.append(
                Problem(
                    display_path(config.path),
                    declared.line,
                    f"note type {name} has id {declared.id}, but the deck was built with "
                    f"{built.id} ({lock_shown}): learners' Anki would report every {name} "
                    f"card as conflicting and never update it again; put `id: {built.id}` back",
                )
            )
    return problems


def guid_problem(card: RenderedCard, was: str, line: int, lock_shown: str) -> Problem:
    """A built card whose ``guid:`` changed: learners' Anki matches its note by the GUID."""
    before = f"`guid: {was}`" if was else "no `guid:`"
    return Problem(
        card.shown,
        1,
        f"card {card.id} was built with {before} ({lock_shown}:{line}): learners' Anki "
        "matches the note by its GUID, and another would give every learner a second copy; "
        f"put {before} back",
    )


def unknown_guid_problems(
    lock: Lock, cards: Sequence[RenderedCard], lock_shown: str
) -> list[Problem]:
    """A card with ``guid:`` (an adopted note) that the lock does not know: a build would
    stamp it now and overwrite every learner's copy of the note."""
    return [
        Problem(
            card.shown,
            1,
            f"card {card.id} keeps a note's GUID (`guid:`), but {lock_shown} does not know it: "
            "a build would overwrite every learner's copy of that note; restore the lock from "
            "version control, or adopt the deck again (`ankigen adopt`)",
        )
        for card in cards
        if card.guid and card.id not in lock.cards and card.id not in lock.retired
    ]
