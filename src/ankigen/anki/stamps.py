"""A note's stamp (content digest and time), and what a release does to the stamps.

Anki 2.1.55 to 24.11 (and AnkiDroid 2.17 to 2.20) give a note that an import updates the
time of that import. So a release stamps everything it releases at its own time, later
than any learner's import of an earlier package, even where a development build stamped
the change days before; a card it leaves unchanged keeps (or gets back) the last release's
time, so that no learner's own edit of it is overwritten; and a card no release ever
shipped leaves no tombstone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace


@dataclass(frozen=True)
class Stamp:
    """A content digest and the time (Unix seconds) that content first appeared."""

    hash: str
    mod: int


@dataclass(frozen=True)
class CardStamp(Stamp):
    """A card's stamp, the note id it was given when first built, and its title."""

    note_id: int
    title: str = ""
    clozes: tuple[int, ...] = ()  # a cloze card's deletion numbers; empty for a basic card
    kind: str = ""  # a declared note type's name (deck.yaml ``note_types``); "" built in
    deck: str = ""  # its subdeck below the deck when last built; "" the deck itself
    guid: str = ""  # its GUID as the card gives it (``guid:``, an adopted note's); "" derived


@dataclass(frozen=True)
class RetiredStamp(CardStamp):
    """A removed card's tombstone: its stamp, and the version that retired it."""

    retired_in: str = ""


@dataclass(frozen=True)
class Release:
    """What a release stamps at its own time: the cards it adds, changes or restores, and
    the note types stamped after ``since`` (the last release's time; ``None``: unknown);
    and the cards it ``retired``, whose tombstones say ``version`` (a development build
    may have retired them under the version before). A card ``unchanged`` since the last
    release but stamped after it goes back to ``since``: no learner's own edit of it is
    overwritten by a note the changelog says did not change."""

    cards: frozenset[str]
    since: int | None = None
    retired: frozenset[str] = frozenset()
    version: str = ""
    # the cards it leaves as the last release had them: a development build may have
    # stamped an edit since undone; such a card goes back to the last release's time
    unchanged: frozenset[str] = frozenset()
    # every card some release shipped (live or retired); empty: this is the first release;
    # ``None``: not known. A card a development build added and the author removed again
    # before this release leaves no tombstone: no learner ever had it
    shipped: frozenset[str] | None = None
    # each card's time in the last release's package, where its record keeps it
    released_mods: dict[str, int] = field(default_factory=dict)


def stamp_release(
    release: Release,
    now: int,
    cards: dict[str, CardStamp],
    ids: tuple[list[str], list[str], list[str]],
    retired: dict[str, RetiredStamp],
    digest_tombstone: Callable[[str, str, str], str],
) -> tuple[list[str], list[str], list[str], dict[str, RetiredStamp]]:
    """The stamps of ``release`` at ``now``: ``cards`` are changed in place; ``ids`` are the
    ids changed, removed and re-worded so far. Returns them as the release leaves them, and
    the tombstones."""
    changed, removed, reworded = ids
    changed = sorted({*changed, *_restamp(cards, release.cards, now)})
    _settle(cards, release)
    unshipped = set(retired) - (release.shipped if release.shipped is not None else set(retired))
    retired = {i: stamp for i, stamp in retired.items() if i not in unshipped}
    removed = [i for i in removed if i not in unshipped]
    reworded = [i for i in reworded if i not in unshipped]
    reworded = sorted({*reworded, *_retire_in(retired, release, now, digest_tombstone)})
    reworded = sorted({*reworded, *_restamp_since(retired, release.since, now)})
    return changed, removed, reworded, retired


def _restamp_since(retired: dict[str, RetiredStamp], since: int | None, now: int) -> list[str]:
    """Stamp at ``now`` each tombstone a development build stamped after the last release
    (``since``): its new text (a reason given, a deck renamed) reaches every learner."""
    if since is None:
        return []
    done = []
    for card_id, old in sorted(retired.items()):
        if since < old.mod < now:
            retired[card_id] = replace(old, mod=now)
            done.append(card_id)
    return done


def _retire_in(
    retired: dict[str, RetiredStamp],
    release: Release,
    now: int,
    digest_tombstone: Callable[[str, str, str], str],
) -> list[str]:
    """The tombstones of the cards ``release`` retires, saying its version and stamped at
    ``now`` (or just after their stamp); the ids of those that changed."""
    done = []
    for card_id in sorted(release.retired & set(retired)):
        old = retired[card_id]
        if old.retired_in == release.version and old.mod >= now:
            continue
        retired[card_id] = replace(
            old,
            hash=digest_tombstone(card_id, old.title, release.version),
            mod=max(now, old.mod + 1),
            retired_in=release.version,
        )
        if retired[card_id] != old:
            done.append(card_id)
    return done


def _restamp(cards: dict[str, CardStamp], names: frozenset[str], now: int) -> list[str]:
    """Stamp the cards ``names`` at ``now`` (or just after their stamp); their ids."""
    done = []
    for card_id in sorted(names & set(cards)):
        old = cards[card_id]
        if old.mod < now:
            cards[card_id] = replace(old, mod=now)
            done.append(card_id)
    return done


def _settle(cards: dict[str, CardStamp], release: Release) -> None:
    """Give each card ``release`` leaves unchanged, if stamped after the last release, that
    release's time: its content is what the last release shipped, no later than any
    learner's copy of it."""
    since = release.since
    if since is None:
        return  # an older release record: its time is unknown
    for card_id in sorted(release.unchanged & set(cards)):
        old = cards[card_id]
        shipped = min(release.released_mods.get(card_id, since), since)
        if old.mod > shipped:
            cards[card_id] = replace(old, mod=shipped)
