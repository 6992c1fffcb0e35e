"""Stage 4b: turn rendered cards into the notes of one deck, with ids and times from the lock."""

from __future__ import annotations

import hashlib
import html
import json
from dataclasses import dataclass, replace

from ankigen.anki.deck import DeckPackage, NoteRecord
from ankigen.anki.lock import CardStamp, Lock
from ankigen.anki.notetype import NoteTypeSpec, derived_id
from ankigen.anki.stamps import RetiredStamp
from ankigen.errors import AnkigenError, Problem
from ankigen.render.card import RenderedCard
from ankigen.render.kinds import kind_of_note
from ankigen.render.media import MediaFile
from ankigen.render.sanitize import LaterLook, unsafe_notes, unsafe_parts
from ankigen.source.config import DeckConfig
from ankigen.source.layout import DECK_FILE, LOCK_FILE, NONE, RELEASE_FILE

RETIRED_TAG = "ankigen::retired"


def note_fields(card: RenderedCard) -> tuple[str, ...]:
    """The field values of a card, in its note type's field order: ID, Title, then the fields
    of its kind (Question and Answer; Text and Extra). A ``base: none`` type's note holds
    exactly the card's sections."""
    if card.base == NONE:
        return tuple(card.fields.values())
    return (card.id, card.title, *card.fields.values())


def note_field_names(card: RenderedCard) -> tuple[str, ...]:
    """The names of the fields ``note_fields`` gives, in order."""
    if card.base == NONE:
        return tuple(card.fields)
    return ("ID", "Title", *card.fields)


def tag_order(tag: str) -> tuple[str, str]:
    """The key that sorts tags as Anki lists them (ignoring case), and tags that differ only in
    case in one fixed order: a set of strings iterates in another order in every process."""
    return tag.lower(), tag


def note_tags(card: RenderedCard) -> tuple[str, ...]:
    """The category tag (the id's prefix) and the card's own tags, sorted as Anki keeps them;
    a ``base: none`` type's note has exactly the card's own tags."""
    if card.base == NONE:
        return tuple(sorted(set(card.tags), key=tag_order))
    return tuple(sorted({card.category, *card.tags}, key=tag_order))


def content_hash(card: RenderedCard) -> str:
    """A digest of what a learner's note holds: its fields and tags."""
    data = json.dumps([note_fields(card), note_tags(card)], ensure_ascii=False)
    return hashlib.sha256(data.encode("utf-8")).hexdigest()[:16]


def deck_description(config: DeckConfig, release_notes: str = "") -> str:
    """The deck description shown on Anki's overview screen: version and what's new."""
    text = f"<p>{html.escape(config.description)}</p>" if config.description else ""
    return f"{text}<p>Version {config.version}</p>{release_notes}"


def development_description(config: DeckConfig) -> str:
    """The deck description of a development build: not a release, so no release notes."""
    text = f"<p>{html.escape(config.description)}</p>" if config.description else ""
    return (
        f"{text}<p>Version {html.escape(config.version)} with unreleased changes: a "
        "development build, for trying out, not for learners</p>"
    )


def tombstone_fields(
    card_id: str,
    title: str,
    retired_in: str,
    reason: str,
    deck_name: str,
    clozes: tuple[int, ...] = (),
) -> tuple[str, ...]:
    """The fields of a retired card's note: what it was, when it went, how to find them all.

    ``title`` is the card's last title as field HTML, as the lock keeps it: it is read as text
    (a title the build escaped comes out the same; markup a hand-edited lock slipped in shows
    as typed, and never runs). A retired cloze card
    (``clozes``: its deletion numbers) keeps a deletion of each number, out of sight, so that
    each of its cards shows the notice instead of Anki's "empty card" message.
    """
    question = (
        f"<p><b>Retired in version {html.escape(retired_in)}.</b> This card is no longer part "
        f"of {html.escape(deck_name)}.</p>"
    )
    if reason:
        question += f"<p>{html.escape(reason)}</p>"
    answer = (
        "<p>Anki never deletes notes on import, so it stays in your collection. To find every "
        f"retired card, search <code>tag:{RETIRED_TAG}</code> in the Browse window, then "
        "suspend or delete them there.</p>"
    )
    if clozes:
        deletions = "".join(f"{{{{c{number}::retired}}}}" for number in clozes)
        question += f'<span style="display:none">{deletions}</span>'
    title = html.escape(html.unescape(title), quote=False)
    return (card_id, f"{title} (retired)", question, answer)


def tombstone_tags(card_id: str) -> tuple[str, ...]:
    """A tombstone's tags: its category (the id's prefix) and ``ankigen::retired``."""
    category = card_id.rstrip("0123456789")
    return tuple(sorted({category, RETIRED_TAG}, key=tag_order))


def tombstone_hash(fields: tuple[str, ...]) -> str:
    """A digest of a tombstone note's content (``tombstone_fields``), like ``content_hash``."""
    data = json.dumps([fields, tombstone_tags(fields[0])], ensure_ascii=False)
    return hashlib.sha256(data.encode("utf-8")).hexdigest()[:16]


def assemble(
    config: DeckConfig,
    note_type: NoteTypeSpec,
    cards: list[RenderedCard],
    lock: Lock,
    release_notes: str = "",
    cloze_note_type: NoteTypeSpec | None = None,
    *,
    sources: Sources | None = None,
    look: bool = True,
    declared: tuple[NoteTypeSpec, ...] = (),
    style_media: tuple[MediaFile, ...] = (),
) -> DeckPackage:
    """The deck to package: every card as a note, ids and times taken from ``lock``.

    Retired cards (``lock.retired``) follow as tombstone notes, so learners' copies of them
    update to say so instead of lingering unexplained. Cloze cards are notes of
    ``cloze_note_type``; with ``subdecks`` on, each note goes to its category's subdeck.

    Nothing leaves without a last look (``render.sanitize.unsafe_parts``): a field, title or
    description that is not safe as it is raises ``AnkigenError`` naming where it came from
    (``sources``), whether it was rendered now, read from the render cache, or taken from the
    committed lock or release record. Without ``look``, the caller takes that last look
    itself (``LastLook``), before anything leaves.
    """
    if lock.note_type is None:
        raise ValueError("the lock must be updated before assembling")
    specs = {spec.kind: spec for spec in declared}
    decks = Decks(config)
    notes = [
        card_note(config, card, lock.cards[card.id], position, decks, specs.get(card.kind))
        for position, card in enumerate(sorted(cards, key=lambda c: c.id), start=1)
    ]
    for position, (card_id, tomb) in enumerate(sorted(lock.retired.items()), len(notes) + 1):
        notes.append(tombstone_note(config, card_id, tomb, position, decks, declared))
    header = package_header(
        config,
        note_type,
        lock,
        release_notes,
        cloze_note_type,
        decks.used,
    )
    header = replace(
        header,
        declared_types=tuple((spec, lock.types[spec.kind].stamp.mod) for spec in declared),
    )
    package = replace(header, notes=tuple(notes), media=deck_media(cards, style_media))
    missing = {note.kind for note in notes} - {spec.kind for spec, _ in package.note_types()}
    if missing:
        raise ValueError(
            f"notes of kind {sorted(missing)} need their note type, stamped in the lock"
        )
    if not look:
        return package
    with LastLook(package, sources or Sources(), {c.id: c.shown for c in cards}) as last_look:
        problems = last_look.problems()
    if problems:
        raise AnkigenError(problems)
    return package


class LastLook:
    """``unsafe_problems`` of a package, the notes looked at in another process for a large
    deck (``render.sanitize.LaterLook``) while the caller goes on; ``problems`` waits for
    them. Use it in a ``with`` block."""

    def __init__(self, package: DeckPackage, sources: Sources, card_files: dict[str, str]):
        self.package, self.sources, self.card_files = package, sources, card_files
        self._notes = LaterLook([(*note.fields, *note.tags) for note in package.notes])

    def problems(self) -> list[Problem]:
        """Every problem the last look found, each where it came from."""
        return unsafe_problems(self.package, self.sources, self.card_files, self._notes.result())

    def __enter__(self) -> LastLook:
        return self

    def __exit__(self, *exc: object) -> None:
        self._notes.__exit__(*exc)


@dataclass(frozen=True)
class Sources:
    """The files shown in messages for what a package takes from beside the cards."""

    lock: str = LOCK_FILE
    release: str = RELEASE_FILE
    deck: str = DECK_FILE


def unsafe_problems(
    package: DeckPackage,
    sources: Sources,
    card_files: dict[str, str],
    found: list[tuple[int, int, str]] | None = None,
) -> list[Problem]:
    """What in ``package`` is not safe to hand a learner's Anki, each where it came from:
    a card's file (``card_files``, by id), the lock for a retired card, the release record
    for the description. ``found``: what ``unsafe_notes`` found in the notes, if known."""
    problems = []
    names_of = {spec.kind: spec.field_names for spec, _ in package.note_types()}
    if found is None:
        found = unsafe_notes([(*note.fields, *note.tags) for note in package.notes])
    for number, index, what in found:
        note = package.notes[number]
        if index >= len(note.fields):
            tag = note.tags[index - len(note.fields)]
            problems.append(Problem(sources.deck, 1, f"tag {tag!r} of {note.card_id}: {what}"))
            continue
        names = names_of.get(note.kind, ())
        name = names[index] if index < len(names) else f"field {index + 1}"
        if note.card_id in card_files:
            problems.append(altered_card(card_files[note.card_id], note.card_id, name, what))
        else:
            problems.append(
                Problem(
                    sources.lock,
                    1,
                    f"the retired card {note.card_id} is not safe in a package "
                    f"({name}: {what}): restore {LOCK_FILE} from version control",
                )
            )
    problems.extend(
        Problem(
            sources.release,
            1,
            f"the release notes are not safe in the deck description ({what}): restore "
            f"{RELEASE_FILE} from version control",
        )
        for what in unsafe_parts(package.description)
    )
    for name in (package.deck_name, *(subdeck for _, subdeck in package.subdecks)):
        problems.extend(
            Problem(sources.deck, 1, f"deck name {name!r}: {what}") for what in unsafe_parts(name)
        )
    return problems


def altered_card(shown: str, card_id: str, field: str, what: str) -> Problem:
    """A rendered card whose field is not safe, though its file passed every check: only an
    altered render cache entry gives that."""
    return Problem(
        shown,
        1,
        f"the {field} field of {card_id} is not safe as built ({what}), though the card file "
        "checks out: the render cache was altered. Build with --no-cache, and delete the cache "
        "folder (docs/performance.md: Render cache)",
    )


def unsafe_cards(
    cards: list[RenderedCard], field_names: dict[str, tuple[str, ...]]
) -> list[Problem]:
    """``altered_card`` for each field of ``cards`` that is not safe; ``field_names`` by kind."""
    return [
        altered_card(card.shown, card.id, name, what)
        for card in cards
        for name, value in zip(field_names[card.kind], note_fields(card), strict=False)
        for what in unsafe_parts(value)
    ]


def card_note(
    config: DeckConfig,
    card: RenderedCard,
    stamp: CardStamp,
    position: int,
    decks: Decks | None = None,
    declared: NoteTypeSpec | None = None,
) -> NoteRecord:
    """The note of a card: ids and time from its ``stamp`` in the lock, ``position`` among
    new cards (the card's place in id order, from 1), its subdeck's id from ``decks``, and
    its cards: a cloze note's deletions, or those its ``declared`` type makes of it
    (``NoteTypeSpec.ords_for``), or the one card of a built-in type."""
    fields = note_fields(card)
    return NoteRecord(
        card_id=card.id,
        guid_key=(str(config.deck_id), card.id),
        note_id=stamp.note_id,
        mod=stamp.mod,
        fields=fields,
        tags=note_tags(card),
        guid=card.guid,
        position=position,
        kind=card.kind,
        deck_id=(decks or Decks(config)).place(config.card_deck(card.category, card.deck)),
        card_ords=card_ords(card.clozes)
        if card.clozes or not declared
        else declared.ords_for(fields),
    )


def tombstone_note(
    config: DeckConfig,
    card_id: str,
    tomb: RetiredStamp,
    position: int,
    decks: Decks,
    declared: tuple[NoteTypeSpec, ...],
) -> NoteRecord:
    """The note of a retired card: the notice, in the note type and deck it had."""
    reason = config.retired.get(card_id, "")
    fields = tombstone_fields(
        card_id, tomb.title, tomb.retired_in, reason, config.name, tomb.clozes
    )
    kind = tomb.kind or kind_of_note(tomb.clozes)
    spec = next((s for s in declared if s.kind == kind), None)
    ords = card_ords(tomb.clozes)
    tags = tombstone_tags(card_id)
    if spec is not None and spec.field_names[:2] != ("ID", "Title"):  # its own fields only:
        tags = (RETIRED_TAG,)  # and exactly its own tags: no category
        fields = fields[2:]  # the notice in the first two, the others empty
        if len(spec.fields) == 1:
            fields = ("".join(fields),)
    if spec is not None:  # a declared type's note: its own fields empty
        fields = (fields + ("",) * (len(spec.fields) - len(fields)))[: len(spec.fields)]
        if not tomb.clozes:
            ords = spec.ords_for(fields) or (0,)
    category = card_id.rstrip("0123456789")
    return NoteRecord(
        card_id=card_id,
        guid_key=(str(config.deck_id), card_id),
        note_id=tomb.note_id,
        mod=tomb.mod,
        fields=fields,
        tags=tags,
        position=position,
        kind=kind,
        deck_id=decks.place(tomb.deck or config.card_deck(category, "")),
        card_ords=ords,
        guid=tomb.guid,
    )


class Decks:
    """The subdecks notes go to, by name below the deck: each its id, the category
    subdecks' from deck.yaml (``subdeck_ids``), any other drawn from its full name."""

    def __init__(self, config: DeckConfig) -> None:
        self.config = config
        self.ids = {
            config.categories[prefix]: deck_id
            for prefix, deck_id in config.subdeck_ids.items()
            if prefix in config.categories
        }
        self.used: dict[int, str] = {}  # id -> full name, of every subdeck placed

    def place(self, below: str) -> int | None:
        """The id of the subdeck ``below`` the deck (``None`` for the deck itself)."""
        if not below:
            return None
        full = f"{self.config.name}::{below}"
        deck_id = self.ids.get(below) or derived_id(self.config.deck_id, "deck", full)
        self.used[deck_id] = full
        return deck_id


def package_header(
    config: DeckConfig,
    note_type: NoteTypeSpec,
    lock: Lock,
    release_notes: str,
    cloze_note_type: NoteTypeSpec | None,
    used: dict[int, str],
) -> DeckPackage:
    """The package without its notes and media: deck, description, note types, and the
    subdecks ``used`` (id → full name): the categories' in deck.yaml's order, then the others
    by name."""
    order = [config.subdeck_ids[p] for p in config.categories if p in config.subdeck_ids]
    categories = {deck_id: index for index, deck_id in enumerate(order)}
    if lock.note_type is None:
        raise ValueError("the lock must be updated before assembling")
    return DeckPackage(
        deck_id=config.deck_id,
        deck_name=config.name,
        description=deck_description(config, release_notes),
        note_type=note_type,
        note_type_mod=lock.note_type.mod,
        notes=(),
        cloze_note_type=cloze_note_type if lock.cloze_note_type is not None else None,
        cloze_note_type_mod=lock.cloze_note_type.mod if lock.cloze_note_type else 0,
        subdecks=tuple(
            sorted(used.items(), key=lambda i: (categories.get(i[0], len(order)), i[1], i[0]))
        ),
    )


def card_ords(clozes: tuple[int, ...]) -> tuple[int, ...]:
    """The card ordinals of a note: one per deletion number (``c1`` → 0), or one card."""
    return tuple(number - 1 for number in clozes) or (0,)


def deck_media(
    cards: list[RenderedCard], style_media: tuple[MediaFile, ...] = ()
) -> tuple[MediaFile, ...]:
    """The images and sounds of all ``cards`` and the files the stylesheets name: one file
    per content (names are content hashes), sorted."""
    media = {item.name: item for card in cards for item in card.media}
    media.update((item.name, item) for item in style_media)
    return tuple(media[name] for name in sorted(media))
