"""The lock file: what the build remembers between runs, committed beside the cards.

Anki updates a learner's note only when the package's note ``mod`` is newer than the one in
the collection. So each note's ``mod`` must be the time its content last changed, and the
sources alone do not know that. The lock keeps, per card, a digest of the note's content,
that time, and the note id; likewise for the note type. One card per line, so a review of a
commit shows which cards changed.

Format 2 adds what the update-safety checks compare against: the deck version last built
and a digest of the note type's *schema* (fields, templates, sort field), apart from the
digest of everything else. Format 3 adds each card's title and the retired cards: a card
removed from the sources keeps its note id and goes on in every later package as a
tombstone (Anki never deletes notes on import), with its own digest and time. Older
formats are still read; the next build rewrites them.

A deck with cloze cards has a second note type: its stamp and schema digest are on a line
``"cloze_note_type"`` of their own, and each cloze card's entry lists its deletion numbers
(``"clozes"``, one card each). A deck without cloze cards has neither, so its lock reads as
it always did.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from ankigen.anki.lockvalues import (
    NOTE_ID_STEP,
    CardValueError,
    check_note_ids,
    read_clozes,
    read_mod,
    read_note_id,
    read_stamp,
)
from ankigen.anki.stamps import (
    CardStamp,
    Release,
    RetiredStamp,
    Stamp,
    stamp_release,
)
from ankigen.errors import AnkigenError, Problem, quoted
from ankigen.util import strictjson
from ankigen.util.strictjson import whole

CARD_LINE = re.compile(r'\s*"([^"]+)"\s*:\s*\{\s*"hash"')
_encode = json.JSONEncoder(ensure_ascii=False).encode  # as json.dumps(..., ensure_ascii=False)

CARDS_LINE = '  "cards": {'  # the line before the cards' entries, one a line, in id order
LOCK_FORMAT = 4  # 4: the deck's and note type's ids, which every note's identity rests on
READABLE_FORMATS = (1, 2, 3, 4)
SHOWN_IDS = 5  # a summary names at most this many ids of each kind


@dataclass(frozen=True)
class TypeStamp:
    """A declared note type's stamp, its schema digest, and its id when last built."""

    stamp: Stamp
    schema: str
    id: int


@dataclass(frozen=True)
class Lock:
    """The whole lock: the note type's stamp and each card's, by card id."""

    note_type: Stamp | None = None
    cards: dict[str, CardStamp] = field(default_factory=dict)
    retired: dict[str, RetiredStamp] = field(default_factory=dict)
    version: str | None = None  # the deck version last built
    schema: str | None = None  # digest of the note type's schema when last built
    cloze_note_type: Stamp | None = None  # the cloze note type's, once the deck has one
    cloze_schema: str | None = None
    deck_id: int | None = None  # deck.yaml's ids when last built: GUIDs and note types use them
    note_type_id: int | None = None
    cloze_note_type_id: int | None = None  # on the cloze note type's line, when there is one
    types: dict[str, TypeStamp] = field(default_factory=dict)  # declared types', by name
    # where each card's entry is in the lock file, for messages; not part of the lock's value
    card_lines: dict[str, int] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class LockChanges:
    """How the sources differ from the lock."""

    added: tuple[str, ...]
    changed: tuple[str, ...]
    removed: tuple[str, ...]  # retired by this build
    note_type_changed: bool
    previous_version: str | None = None
    version: str | None = None
    restored: tuple[str, ...] = ()  # retired before, back in the sources now
    tombstones_changed: tuple[str, ...] = ()  # an older tombstone's text changed (its reason)
    cloze_note_type_changed: bool = False
    types_changed: tuple[str, ...] = ()  # declared note types stamped anew

    @property
    def any(self) -> bool:
        """Whether the lock must be rewritten."""
        return bool(
            self.added
            or self.changed
            or self.removed
            or self.restored
            or self.tombstones_changed
            or self.note_type_changed
            or self.cloze_note_type_changed
            or self.types_changed
        )

    def describe(self) -> str:
        """A short account such as ``DL0001 changed; ML0040 added``."""
        parts = []
        for label, ids in (
            ("added", self.added),
            ("changed", self.changed),
            ("removed", self.removed),
            ("restored", self.restored),
            ("re-worded as retired", self.tombstones_changed),
        ):
            if ids:
                shown = ", ".join(ids[:SHOWN_IDS])
                more = f" and {len(ids) - SHOWN_IDS} more" if len(ids) > SHOWN_IDS else ""
                parts.append(f"{shown}{more} {label}")
        if self.note_type_changed:
            parts.append("note type changed")
        if self.cloze_note_type_changed:
            parts.append("cloze note type changed")
        parts.extend(f"note type {name} changed" for name in self.types_changed)
        if self.version_changed:
            parts.append(f"version {self.previous_version or 'unknown'} → {self.version}")
        return "; ".join(parts) or "no changes"

    @property
    def version_changed(self) -> bool:
        """Whether deck.yaml's version differs from the one the lock last recorded."""
        return self.version is not None and self.version != self.previous_version


def parse_lock(text: str, shown: str) -> Lock:
    """The lock written as ``text`` (``shown`` names its file in messages)."""
    way_out = f"restore it from version control (`git checkout -- {shown}`)"
    try:
        data = strictjson.loads(text)
    except json.JSONDecodeError as exc:
        raise AnkigenError([Problem(shown, exc.lineno, f"corrupt lock file: {exc.msg}")]) from None
    except ValueError as exc:
        line = exc.line if isinstance(exc, strictjson.JsonValueError) else 1
        message = f"corrupt lock file ({exc}); {way_out}"
        raise AnkigenError([Problem(shown, line, message)]) from None
    card_lines = _card_lines(text)
    try:
        if data.get("format") not in READABLE_FORMATS:
            raise ValueError(f"unknown lock format {quoted(data.get('format'))}")
        note_type = data.get("note_type")
        version = data.get("version")
        schema = note_type.get("schema") if note_type else None
        cloze_type = data.get("cloze_note_type")
        cloze_schema = cloze_type.get("schema") if cloze_type else None
        deck_id, note_type_id = data.get("deck_id"), data.get("note_type_id")
        cloze_id = cloze_type.get("id") if cloze_type else None
        entries = data["cards"]
        lock = Lock(
            note_type=read_stamp(note_type, "note_type") if note_type else None,
            cards={str(i): _card_stamp(str(i), entry) for i, entry in entries.items()},
            retired={
                str(i): RetiredStamp(
                    *_stamp_values(str(i), entry), retired_in=str(entry["retired_in"])
                )
                for i, entry in data.get("retired", {}).items()
            },
            version=None if version is None else str(version),
            schema=None if schema is None else str(schema),
            cloze_note_type=(read_stamp(cloze_type, "cloze_note_type") if cloze_type else None),
            cloze_schema=None if cloze_schema is None else str(cloze_schema),
            deck_id=None if deck_id is None else whole(deck_id, "deck_id"),
            note_type_id=None if note_type_id is None else whole(note_type_id, "note_type_id"),
            cloze_note_type_id=None if cloze_id is None else whole(cloze_id, "cloze_note_type id"),
            types={
                str(name): TypeStamp(
                    read_stamp(entry, f"note type {name}"),
                    str(entry["schema"]),
                    whole(entry["id"], f"note type {name}: id"),
                )
                for name, entry in data.get("note_types", {}).items()
            },
            card_lines=card_lines,
        )
        check_note_ids(lock)
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        card = exc.card if isinstance(exc, CardValueError) else None
        line = card_lines.get(card, 1) if card else 1
        message = f"corrupt lock file ({exc}); {way_out}"
        raise AnkigenError([Problem(shown, line, message)]) from None
    return lock


def _card_lines(text: str) -> dict[str, int]:
    """The line of each card's entry (one card per line, as ``format_lock`` writes it)."""
    lines: dict[str, int] = {}
    in_cards = False
    # split at "\n" only: format_lock writes titles as they are, and a title may hold U+2028,
    # which splitlines() would take for a line break
    for number, line in enumerate(text.split("\n"), start=1):
        if line.lstrip().startswith(('"cards"', '"retired"')):
            in_cards = line.lstrip().startswith('"cards"')
        match = CARD_LINE.match(line)
        if in_cards and match:
            lines.setdefault(match.group(1), number)
    return lines


def update_lock(
    lock: Lock,
    note_type_hash: str,
    card_hashes: dict[str, str],
    now: int,
    *,
    schema: str | None = None,
    version: str | None = None,
    titles: dict[str, str] | None = None,
    tombstone_hash: Callable[[str, str, str], str] | None = None,
    clozes: dict[str, tuple[int, ...]] | None = None,
    cloze_note_type_hash: str | None = None,
    cloze_schema: str | None = None,
    ids: tuple[int, int, int | None] | None = None,
    release: Release | None = None,
    types: dict[str, tuple[str, str, int]] | None = None,
    kinds: dict[str, tuple[str, str, str]] | None = None,
) -> tuple[Lock, LockChanges]:
    """The lock for the current sources: new times for what changed, old ones for the rest.

    A changed card's time is strictly later than its previous one (Anki updates a note only
    when the package's ``mod`` is newer). ``schema`` and ``version`` are recorded as given.
    A card gone from the sources becomes a tombstone retired in ``version``, digested by
    ``tombstone_hash(card_id, title, retired_in)``; a retired card back is restored under its
    old note id. ``clozes``: the cloze cards' deletion numbers; ``cloze_note_type_hash`` and
    ``cloze_schema``: the cloze type's, if the package has one; ``ids``: deck.yaml's deck,
    note type and cloze type ids (kept from ``lock`` when ``None``).

    A ``release`` stamps at ``now`` every card it names and every note type stamped since the
    last release: Anki 2.1.55 to 24.11 give a note the time a learner imported it, so only
    a stamp taken at the release is later than any import of an earlier package.
    ``types``: the declared note types of the package (name → digest, schema, id);
    ``kinds``: each card's declared type, subdeck and GUID as given ("" for none).
    """
    digest_tombstone = tombstone_hash or (lambda card_id, title, retired_in: "")
    cards, (added, changed, restored) = _stamp_cards(
        lock, card_hashes, now, titles or {}, clozes or {}, kinds or {}
    )
    removed = sorted(set(lock.cards) - set(card_hashes))
    retired, reworded = _retire(lock, card_hashes, removed, now, version, digest_tombstone)
    if release is not None:  # what the release releases, stamped at its time
        changed, removed, reworded, retired = stamp_release(
            release, now, cards, (changed, removed, reworded), retired, digest_tombstone
        )
    note_type = _type_stamp(lock.note_type, note_type_hash, now, release)
    cloze_type = cloze_note_type_hash and _type_stamp(
        lock.cloze_note_type, cloze_note_type_hash, now, release
    )
    declared = _declared_stamps(lock, types or {}, now, release)
    changes = LockChanges(
        tuple(added),
        tuple(changed),
        tuple(removed),
        note_type is not lock.note_type,
        previous_version=lock.version,
        version=version,
        restored=tuple(restored),
        tombstones_changed=tuple(reworded),
        cloze_note_type_changed=(cloze_type or None) is not lock.cloze_note_type,
        types_changed=tuple(n for n, t in declared.items() if t.stamp is not _old(lock, n)),
    )
    deck_id, note_type_id, cloze_id = (
        ids if ids is not None else (lock.deck_id, lock.note_type_id, lock.cloze_note_type_id)
    )
    return (
        Lock(
            note_type,
            cards,
            retired,
            version,
            schema,
            cloze_type or None,
            cloze_schema if cloze_type else None,
            deck_id=deck_id,
            note_type_id=note_type_id,
            cloze_note_type_id=cloze_id if cloze_type else None,
            types=declared,
        ),
        changes,
    )


def _stamp_cards(
    lock: Lock,
    card_hashes: dict[str, str],
    now: int,
    titles: dict[str, str],
    clozes: dict[str, tuple[int, ...]],
    kinds: dict[str, tuple[str, str, str]],
) -> tuple[dict[str, CardStamp], tuple[list[str], list[str], list[str]]]:
    """Each current card's stamp, and the ids added, changed and restored since ``lock``."""
    cards: dict[str, CardStamp] = {}
    added: list[str] = []
    changed: list[str] = []
    restored: list[str] = []
    known = [*lock.cards.values(), *lock.retired.values()]
    next_note_id = max([now * 1000] + [s.note_id + NOTE_ID_STEP for s in known])
    for card_id in sorted(card_hashes):
        digest, title = card_hashes[card_id], titles.get(card_id, "")
        old = lock.cards.get(card_id) or lock.retired.get(card_id)
        numbers = clozes.get(card_id, ())
        kind, deck, guid = kinds.get(card_id, ("", "", ""))
        if old is None:
            cards[card_id] = CardStamp(digest, now, next_note_id, title, numbers, kind, deck, guid)
            next_note_id += NOTE_ID_STEP
            added.append(card_id)
        elif card_id in lock.retired or old.hash != digest or old.clozes != numbers:
            mod = max(now, old.mod + 1)
            cards[card_id] = CardStamp(digest, mod, old.note_id, title, numbers, kind, deck, guid)
            (restored if card_id in lock.retired else changed).append(card_id)
        else:
            same = (old.title, old.kind, old.deck, old.guid) == (title, kind, deck, guid)
            cards[card_id] = (
                old if same else replace(old, title=title, kind=kind, deck=deck, guid=guid)
            )
    return cards, (added, changed, restored)


def _retire(
    lock: Lock,
    card_hashes: dict[str, str],
    removed: list[str],
    now: int,
    version: str | None,
    digest_tombstone: Callable[[str, str, str], str],
) -> tuple[dict[str, RetiredStamp], list[str]]:
    """The tombstones: those of ``lock`` (restamped when their text changed) and the cards
    ``removed`` now, retired in ``version``; and the ids whose tombstone text changed."""
    retired: dict[str, RetiredStamp] = {}
    reworded = []
    for card_id in sorted(set(lock.retired) - set(card_hashes)):
        old_tomb = lock.retired[card_id]
        digest = digest_tombstone(card_id, old_tomb.title, old_tomb.retired_in)
        if digest == old_tomb.hash:
            retired[card_id] = old_tomb
        else:
            retired[card_id] = replace(old_tomb, hash=digest, mod=max(now, old_tomb.mod + 1))
            reworded.append(card_id)
    for card_id in removed:
        old = lock.cards[card_id]
        retired_in = version or ""
        retired[card_id] = RetiredStamp(
            digest_tombstone(card_id, old.title, retired_in),
            max(now, old.mod + 1),
            old.note_id,
            old.title,
            old.clozes,
            old.kind,
            old.deck,
            old.guid,
            retired_in=retired_in,
        )
    return retired, reworded


def _old(lock: Lock, name: str) -> Stamp | None:
    return lock.types[name].stamp if name in lock.types else None


def _declared_stamps(
    lock: Lock, types: dict[str, tuple[str, str, int]], now: int, release: Release | None
) -> dict[str, TypeStamp]:
    """The stamps of the declared note types ``types`` (name → digest, schema, id)."""
    stamps = {}
    for name, (digest, schema, type_id) in sorted(types.items()):
        stamps[name] = TypeStamp(
            _type_stamp(_old(lock, name), digest, now, release), schema, type_id
        )
    return stamps


def _type_stamp(old: Stamp | None, digest: str, now: int, release: Release | None) -> Stamp:
    """A note type's stamp: the old one while its content is the same, else a newer time;
    a release stamps anew one stamped since the last release."""
    since = release.since if release is not None else None
    if old is not None and old.hash == digest and (since is None or old.mod <= since):
        return old
    return Stamp(digest, max(now, old.mod + 1) if old else now)


def card_entry(card_id: str, stamp: CardStamp) -> str:
    """A card's line of the lock: what ``json.dumps`` writes for its entry, made faster."""
    clozes = f', "clozes": {list(stamp.clozes)}' if stamp.clozes else ""
    if stamp.kind:
        clozes += f', "type": {_encode(stamp.kind)}'
    if stamp.deck:
        clozes += f', "deck": {_encode(stamp.deck)}'
    if stamp.guid:
        clozes += f', "guid": {_encode(stamp.guid)}'
    return (
        f'    {json.dumps(card_id)}: {{"hash": {_encode(stamp.hash)}, "mod": {stamp.mod:d}, '
        f'"note_id": {stamp.note_id:d}, "title": {_encode(stamp.title)}{clozes}}}'
    )


def format_lock(lock: Lock) -> str:
    """The lock as JSON text, one card per line, sorted, so that diffs are readable."""
    note_type = lock.note_type
    type_entry = (
        {"hash": note_type.hash, "schema": lock.schema, "mod": note_type.mod} if note_type else None
    )
    lines = [
        "{",
        f'  "format": {LOCK_FORMAT}, "version": {json.dumps(lock.version)}, '
        f'"deck_id": {json.dumps(lock.deck_id)}, "note_type_id": {json.dumps(lock.note_type_id)},',
        f'  "note_type": {json.dumps(type_entry)},',
    ]
    cloze_type = lock.cloze_note_type
    if cloze_type is not None:  # only a deck with cloze cards has this line
        cloze_entry = {"hash": cloze_type.hash, "schema": lock.cloze_schema, "mod": cloze_type.mod}
        if lock.cloze_note_type_id is not None:
            cloze_entry["id"] = lock.cloze_note_type_id
        lines.append(f'  "cloze_note_type": {json.dumps(cloze_entry)},')
    if lock.types:  # only a deck with notes of declared types has this line
        declared = {
            name: {"hash": t.stamp.hash, "schema": t.schema, "mod": t.stamp.mod, "id": t.id}
            for name, t in sorted(lock.types.items())
        }
        lines.append(f'  "note_types": {json.dumps(declared, ensure_ascii=False)},')
    lines.append(CARDS_LINE)
    entries = [card_entry(card_id, stamp) for card_id, stamp in sorted(lock.cards.items())]
    lines.append(",\n".join(entries))
    tombstones = [
        f"    {json.dumps(card_id)}: "
        + _encode(
            {
                "hash": s.hash,
                "mod": s.mod,
                "note_id": s.note_id,
                "title": s.title,
                "retired_in": s.retired_in,
            }
            | ({"clozes": list(s.clozes)} if s.clozes else {})
            | ({"type": s.kind} if s.kind else {})
            | ({"deck": s.deck} if s.deck else {})
            | ({"guid": s.guid} if s.guid else {})
        )
        for card_id, s in sorted(lock.retired.items())
    ]
    lines += ["  },", '  "retired": {', ",\n".join(tombstones), "  }", "}", ""]
    return "\n".join(line for line in lines if line != "") + "\n"


StampValues = tuple[str, int, int, str, tuple[int, ...], str, str, str]


def _stamp_values(card_id: str, entry: dict[str, Any]) -> StampValues:
    """A card's (or tombstone's) stamp values from its entry, checked (``lockvalues``)."""
    return (
        str(entry["hash"]),
        read_mod(entry, card_id),
        read_note_id(entry, card_id),
        str(entry["title"] if "retired_in" in entry else entry.get("title", "")),
        read_clozes(entry, card_id),
        str(entry.get("type", "")),
        str(entry.get("deck", "")),
        str(entry.get("guid", "")),
    )


def _card_stamp(card_id: str, entry: dict[str, Any]) -> CardStamp:
    return CardStamp(*_stamp_values(card_id, entry))
