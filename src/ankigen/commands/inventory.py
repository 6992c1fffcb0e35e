"""``ankigen list`` and ``ankigen stats``: what the deck holds, and what changed since the
last release (``cards/ankigen.release.json``), as text for people or JSON for scripts.

The JSON keys are fixed (documented in docs/writing.md); scripts may rely on them.
"""

from __future__ import annotations

import html
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ankigen.anki.notes import note_fields, tag_order
from ankigen.anki.notetype import NoteTypeSpec
from ankigen.checks.drafts import live_cards
from ankigen.checks.notetypes import deck_types
from ankigen.commands.build import render_cards
from ankigen.release.changelog import ReleaseChanges, compare, read_manifest, released_cards
from ankigen.render.card import RenderedCard
from ankigen.source.config import DeckConfig
from ankigen.source.layout import RELEASE_FILE
from ankigen.util.progress import Progress

ADDED, RESTORED, CHANGED, UNCHANGED = "added", "restored", "changed", "unchanged"
DRAFT = "draft"  # a card with `draft: true`: in no package, so in no release either


@dataclass(frozen=True)
class CardInfo:
    """One card as ``ankigen list`` shows it."""

    id: str
    title: str
    category: str
    type: str
    tags: tuple[str, ...]  # the card's own tags (the category is not repeated here)
    inline_formulas: int
    display_formulas: int
    anki_cards: int  # the cards Anki makes of the note: one, or one per deletion number
    path: str
    since_release: str  # added, restored, changed, unchanged, or draft
    deck: str = ""  # the full name of the (sub)deck it goes to
    draft: bool = False  # `draft: true`: left out of builds and releases


@dataclass(frozen=True)
class Inventory:
    """The deck's cards and what changed since the last release."""

    config: DeckConfig
    cards: tuple[CardInfo, ...]
    release: str | None  # the last release's version; None before the first
    changes: ReleaseChanges


def take_inventory(cards_dir: Path, *, progress: Progress | None = None) -> Inventory:
    """Render the deck in ``cards_dir`` and compare it with its last release."""
    config, cards = render_cards(cards_dir, progress=progress)
    manifest = read_manifest(cards_dir / RELEASE_FILE)
    live = list(live_cards(cards))
    changes = compare(manifest, released_cards(live), config.version, config.retired)
    status = {card_id: ADDED for card_id, _ in changes.added}
    status |= {card_id: RESTORED for card_id, _ in changes.restored}
    status |= {card_id: CHANGED for card_id, _, _ in changes.changed}
    types, _ = deck_types(config)  # its problems are check's to report
    infos = tuple(
        _info(
            config,
            card,
            DRAFT if card.draft else status.get(card.id, UNCHANGED),
            types.declared.get(card.kind),
        )
        for card in sorted(cards, key=lambda c: (c.id, c.draft))
    )
    return Inventory(config, infos, manifest.version, changes)


def _info(
    config: DeckConfig, card: RenderedCard, since_release: str, declared: NoteTypeSpec | None
) -> CardInfo:
    display = sum(formula.display for formula in card.formulas)
    below = config.card_deck(card.category, card.deck)
    return CardInfo(
        id=card.id,
        title=html.unescape(card.title),
        category=card.category,
        type=card.kind,
        tags=card.tags,
        inline_formulas=len(card.formulas) - display,
        display_formulas=display,
        anki_cards=len(card.clozes)
        or (len(declared.ords_for(note_fields(card))) if declared else 1),
        path=card.shown,
        since_release=since_release,
        deck=f"{config.name}::{below}" if below else config.name,
        draft=card.draft,
    )


def select(
    inventory: Inventory,
    *,
    category: str | None = None,
    tag: str | None = None,
    changed: bool = False,
) -> list[CardInfo]:
    """The cards of one category, with one tag, or changed since the last release."""
    return [
        card
        for card in inventory.cards
        if (category is None or card.category == category)
        and (tag is None or tag in card.tags)
        and (not changed or card.since_release not in (UNCHANGED, DRAFT))
    ]


def list_data(inventory: Inventory, cards: list[CardInfo]) -> dict[str, Any]:
    """``ankigen list --json``."""
    return {
        "deck": inventory.config.name,
        "version": inventory.config.version,
        "release": inventory.release,
        "cards": [
            {
                "id": card.id,
                "title": card.title,
                "category": card.category,
                "type": card.type,
                "tags": list(card.tags),
                "formulas": card.inline_formulas + card.display_formulas,
                "anki_cards": card.anki_cards,
                "path": card.path,
                "since_release": card.since_release,
                "deck": card.deck,
                "draft": card.draft,
            }
            for card in cards
        ],
    }


def list_lines(cards: list[CardInfo]) -> list[str]:
    """``ankigen list``: one line per card: id, type, change since release, title, tags."""
    return [
        f"{card.id:<8} {card.type:<5} {card.since_release:<9} {card.title}"
        + (f"  [{', '.join(card.tags)}]" if card.tags else "")
        for card in cards
    ]


def stats_data(inventory: Inventory) -> dict[str, Any]:
    """``ankigen stats --json``."""
    config, changes = inventory.config, inventory.changes
    cards = tuple(card for card in inventory.cards if not card.draft)  # what builds hold
    per_category = Counter(card.category for card in cards)
    decks = Counter(card.deck for card in cards)
    tags = Counter(tag for card in cards for tag in card.tags)
    inline = sum(card.inline_formulas for card in cards)
    display = sum(card.display_formulas for card in cards)
    return {
        "deck": config.name,
        "version": config.version,
        "cards": len(cards),
        "anki_cards": sum(card.anki_cards for card in cards),
        "types": {
            kind: sum(card.type == kind for card in cards)
            for kind in ("basic", "cloze", *config.note_types)
        },
        "categories": {
            prefix: {"name": name, "cards": per_category[prefix]}
            for prefix, name in config.categories.items()
        },
        "tags": {tag: tags[tag] for tag in sorted(tags, key=tag_order)},
        "formulas": {"inline": inline, "display": display, "total": inline + display},
        "since_release": {
            "release": inventory.release,
            "added": [card_id for card_id, _ in changes.added],
            "changed": [card_id for card_id, _, _ in changes.changed],
            "retired": [card_id for card_id, _, _ in changes.retired],
            "restored": [card_id for card_id, _ in changes.restored],
        },
        "anki_cards_by_type": {
            kind: sum(card.anki_cards for card in cards if card.type == kind)
            for kind in ("basic", "cloze", *config.note_types)
        },
        "decks": {deck: decks[deck] for deck in sorted(decks)},
        "drafts": [card.id for card in inventory.cards if card.draft],
    }


def stats_lines(inventory: Inventory) -> list[str]:
    """``ankigen stats`` as a few lines of text."""
    data = stats_data(inventory)
    types = data["types"]
    categories = ", ".join(
        f"{prefix} {entry['name']} {entry['cards']}" for prefix, entry in data["categories"].items()
    )
    tags = ", ".join(f"{tag} {count}" for tag, count in data["tags"].items()) or "none"
    formulas = data["formulas"]
    since = data["since_release"]
    if since["release"] is None:
        changed = "Not released yet: every card is new."
    else:
        kinds = [
            f"{len(ids)} {label} ({', '.join(ids[:5])}{' …' if len(ids) > 5 else ''})"
            for label in ("added", "changed", "retired", "restored")
            if (ids := since[label])
        ]
        changed = f"Since release {since['release']}: " + ("; ".join(kinds) or "no changes") + "."
    by_type = ", ".join(f"{count} {kind}" for kind, count in types.items())
    lines = [
        f"{data['deck']} {data['version']}: {data['cards']} cards "
        f"({by_type}), {data['anki_cards']} in Anki.",
        f"Categories: {categories}.",
        f"Tags: {tags}.",
        f"Formulas: {formulas['total']} ({formulas['inline']} inline, "
        f"{formulas['display']} display).",
        changed,
    ]
    if data["drafts"]:
        lines.append(f"Drafts, left out of builds: {', '.join(data['drafts'])}.")
    if len(data["decks"]) > 1 or data["deck"] not in data["decks"]:
        decks = ", ".join(f"{name} {count}" for name, count in data["decks"].items())
        lines.insert(2, f"Decks: {decks}.")
    return lines
