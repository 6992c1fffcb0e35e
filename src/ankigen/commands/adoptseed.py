"""``ankigen adopt``, the lock and the release record of an adopted deck, and the round-trip
report.

Anki updates a learner's note only when the package's ``mod`` is newer than theirs, and a
note type's templates and CSS only when its ``mod`` is. So the lock gets each note's own
``mod`` and note id from the package, and each note type's ``mod``, beside the content
digests of the cards as written (rendered here, as ``build`` renders them): the first build
finds nothing changed and stamps nothing newer, and learners' notes stay as they are. The
release record says the adopted deck is release 1.0.0, as the package's learners have it, at
the time of its newest note: the next ``ankigen release`` stamps only what changed since.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

from ankigen.anki.apkgwhole import WholeNote, WholePackage
from ankigen.anki.lock import Stamp, format_lock
from ankigen.anki.notes import note_field_names, note_fields, note_tags
from ankigen.checks.rules import CheckedDeck, check_deck
from ankigen.commands.build import render_deck
from ankigen.release.changelog import ReleaseManifest, format_manifest, released_cards
from ankigen.render.media import MEDIA_PREFIX
from ankigen.render.sanitize import removed_parts
from ankigen.source.layout import LOCK_FILE, RELEASE_FILE
from ankigen.util.atomic import atomic_write_bytes


def seed(
    cards_dir: Path, whole: WholePackage, notes: dict[str, WholeNote], *, now: int
) -> list[str]:
    """Write the lock and release record of the cards folder adopted from ``whole``
    (``notes``: each card id's note); the round-trip report, a line per difference."""
    deck = render_deck(cards_dir, use_cache=False)
    checked = check_deck(cards_dir, deck, now=now, strict=False, adopting=True)
    lock = checked.lock
    type_mods = {spec.kind: whole.types[spec.id].mod for spec in checked.declared_types}
    newest = max([n.mod for n in notes.values()] + list(type_mods.values()))
    cards = {
        card_id: replace(stamp, mod=notes[card_id].mod, note_id=notes[card_id].id)
        for card_id, stamp in lock.cards.items()
    }
    types = {
        name: replace(stamp, stamp=Stamp(stamp.stamp.hash, type_mods[name]))
        for name, stamp in lock.types.items()
    }
    basic = Stamp(lock.note_type.hash, newest) if lock.note_type else None
    seeded = replace(lock, cards=cards, types=types, note_type=basic)
    atomic_write_bytes(cards_dir / LOCK_FILE, format_lock(seeded).encode("utf-8"))
    released = released_cards(list(checked.cards))
    decks = {c.id: checked.config.card_deck(c.category, c.deck) for c in checked.cards}
    manifest = ReleaseManifest(
        version=checked.config.version,
        date=time.strftime("%Y-%m-%d", time.gmtime(newest)),
        notes="",
        cards={
            card_id: replace(card, mod=notes[card_id].mod, deck=decks.get(card_id, ""))
            for card_id, card in released.items()
        },
        time=newest,
        schemas={name: stamp.schema for name, stamp in types.items()},
        styles={name: stamp.stamp.hash for name, stamp in types.items()},
    )
    atomic_write_bytes(cards_dir / RELEASE_FILE, format_manifest(manifest).encode("utf-8"))
    return round_trip(checked, whole, notes)


def round_trip(checked: CheckedDeck, whole: WholePackage, notes: dict[str, WholeNote]) -> list[str]:
    """Every field, tag list and note type part that a build would not give back byte for
    byte, and why. Learners see none of it until the card (or type) is edited: the lock
    keeps their notes' times."""
    lines = []
    for card in sorted(checked.cards, key=lambda c: c.id):
        note = notes[card.id]
        built = note_fields(card)
        for name, old, new in zip(note_field_names(card), note.fields, built, strict=False):
            if old != new:
                unsafe = bool(removed_parts(old, whole.media))
                lines.append(f"{card.shown}: {card.id} {name}: {_why(old, new, unsafe)}")
        if sorted(note.tags) != sorted(note_tags(card)):
            lines.append(
                f"{card.shown}: {card.id} tags: {' '.join(note.tags)} → {' '.join(note_tags(card))}"
            )
    for spec in checked.declared_types:
        source = whole.types[spec.id]
        for (name, _, front, back), template in zip(spec.templates, source.templates, strict=False):
            if (front, back) != (template.front, template.back):
                lines.append(f"note type {spec.name!r}: template {name}: line endings or encoding")
        if spec.css != source.css:
            lines.append(f"note type {spec.name!r}: CSS: its font and image files renamed")
    return lines


def _why(old: str, new: str, sanitized: bool) -> str:
    if sanitized:
        return "the sanitizer removes HTML that is not safe (the card file keeps it)"
    if MEDIA_PREFIX in new and MEDIA_PREFIX not in old:
        return "its media are shipped under content-hash names (ankigen-…)"
    if old.strip() == new:
        return "white space at its ends is trimmed"
    return "written as Markdown, which renders it as equivalent HTML"
