"""``ankigen adopt DECK.apkg``: bring an existing Anki deck under ankigen, costing its
learners nothing.

It reads any package (``anki.apkgwhole``) and writes a cards folder that ``ankigen build``
turns into an update of that very deck: deck.yaml with the deck's name and id and each note
type declared as it is (``base: none``: its name, id, fields and templates with their ids,
sort field, CSS), one card file per note keeping its GUID (``guid:``), tags and fields,
the media, and a lock and release record seeded with the package's own times
(``commands.adoptseed``), so that the first build updates nothing for anyone who has the
deck. Scheduling, review history and deck options are never read or written.

A field becomes Markdown only when it renders back to the same thing
(``scrape.htmlmd``); anything else stays as the field's HTML (``html: [Field]``).
"""

from __future__ import annotations

import html
import json
import re
import shutil
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

from ankigen.anki.apkgwhole import WholeNote, WholePackage, WholeType, read_whole
from ankigen.commands.adoptseed import seed
from ankigen.errors import AnkigenError, Problem, display_path
from ankigen.render.card import Renderer
from ankigen.render.sanitize import removed_parts
from ankigen.scrape.htmlmd import canonical, to_markdown
from ankigen.source.config import random_id
from ankigen.source.layout import DECK_FILE, LOCK_FILE, RELEASE_FILE
from ankigen.source.validate import CARD_ID, Section

BLOCK = re.compile(r"<(?:p|div|ul|ol|pre|table|h[1-6]|blockquote|hr)\b", re.I)
MEDIA_DIR = "media"
TYPES_DIR = "note-types"
DEFAULT_PREFIX = "AD"
TAG_PREFIX = re.compile(r"[^A-Z]")


@dataclass
class Adopted:
    """What adopt wrote and found: the cards folder, counts, warnings, the round-trip report."""

    cards_dir: Path
    deck: str
    notes: int
    types: list[str]
    warnings: list[Problem] = field(default_factory=list)
    report: list[str] = field(default_factory=list)  # fields that will not come back as they were


@dataclass(frozen=True)
class Plan:
    """A note's card: its id, file, category, subdeck and type key."""

    note: WholeNote
    card_id: str
    prefix: str
    subdeck: str
    type_key: str


def adopt(
    package: Path,
    cards_dir: Path,
    *,
    now: int,
    deck: str | None = None,
    categories: str = "ids",
    force: bool = False,
) -> Adopted:
    """Write ``cards_dir`` from ``package`` (see the module); ``AnkigenError`` for what
    cannot be adopted, and then nothing is left written (a folder ``force`` replaces is
    put back)."""
    whole = read_whole(package)
    shown = display_path(package)
    if not whole.notes:
        raise AnkigenError([Problem(shown, 1, "the package holds no notes: nothing to adopt")])
    _refuse_existing(cards_dir, force)
    deck_id, deck_name = _deck(whole, deck, shown)
    adopted = [n for n in whole.notes if _in_deck(n, whole, deck_name)]
    keys = _type_keys([whole.types[t] for t in sorted({n.type_id for n in adopted})])
    if deck_id in keys:  # Anki's ids are times: a deck and a note type made at once share one
        deck_id = next(i for i in iter(random_id, None) if i not in keys)  # decks match by name
    plans, names = _plans(whole, deck_name, keys, categories)
    if not plans:
        raise AnkigenError([Problem(shown, 1, f"no note of the package is in {deck_name!r}")])
    backup = _set_aside(cards_dir) if force and cards_dir.exists() else None
    existed = cards_dir.exists()
    try:
        result = _write_all(cards_dir, whole, (deck_id, deck_name), keys, plans, names, now)
    except BaseException:  # all or nothing: a half-adopted folder would build as new notes
        shutil.rmtree(cards_dir, ignore_errors=True)
        if backup is not None:
            backup.rename(cards_dir)
        elif existed:
            cards_dir.mkdir()
        raise
    if backup is not None:
        shutil.rmtree(backup)
    return result


def _set_aside(cards_dir: Path) -> Path:
    """Move the folder ``--force`` replaces out of the way, to put back if adopting fails."""
    backup = cards_dir.with_name(f".{cards_dir.name}.before-adopt")
    shutil.rmtree(backup, ignore_errors=True)
    cards_dir.rename(backup)
    return backup


def _write_all(
    cards_dir: Path,
    whole: WholePackage,
    deck: tuple[int, str],
    keys: dict[int, str],
    plans: list[Plan],
    names: dict[str, str],
    now: int,
) -> Adopted:
    """Write the cards folder and seed its lock and release record."""
    deck_id, deck_name = deck
    cards_dir.mkdir(parents=True, exist_ok=True)
    media_dir = cards_dir / MEDIA_DIR
    for name, data in sorted(whole.media.items()):
        media_dir.mkdir(exist_ok=True)
        (media_dir / name).write_bytes(data)
    result = Adopted(cards_dir, deck_name, len(plans), sorted(keys.values()))
    declared = [
        _write_type(cards_dir, whole.types[type_id], key, set(whole.media))
        for type_id, key in keys.items()
    ]
    renderer = Renderer(cards_dir)
    for plan in plans:
        _write_card(cards_dir, plan, whole, renderer, result)
    ids = {deck_id, *(t for t in keys)}
    note_type_id = next(i for i in iter(random_id, None) if i not in ids)
    (cards_dir / DECK_FILE).write_text(
        _deck_yaml(deck_name, deck_id, note_type_id, names, declared), encoding="utf-8"
    )
    result.report.extend(seed(cards_dir, whole, plans_by_id(plans), now=now))
    return result


def plans_by_id(plans: list[Plan]) -> dict[str, WholeNote]:
    """Each card id's note."""
    return {plan.card_id: plan.note for plan in plans}


def _refuse_existing(cards_dir: Path, force: bool) -> None:
    if not cards_dir.exists():
        return
    if not cards_dir.is_dir():
        raise AnkigenError([Problem(display_path(cards_dir), 1, "is a file, not a folder")])
    if any(cards_dir.iterdir()) and not force:
        raise AnkigenError(
            [
                Problem(
                    display_path(cards_dir),
                    1,
                    "the cards folder exists and is not empty: choose another with --cards, "
                    "or give --force to replace everything in it",
                )
            ]
        )


def _deck(whole: WholePackage, wanted: str | None, shown: str) -> tuple[int, str]:
    """The deck adopted: ``wanted``, else the top-level deck holding most cards."""
    by_name = {name: deck_id for deck_id, name in whole.decks.items()}
    if wanted is not None:
        if wanted not in by_name:
            known = ", ".join(sorted(n for n in by_name if "::" not in n))
            raise AnkigenError([Problem(shown, 1, f"no deck {wanted!r} (its decks: {known})")])
        return by_name[wanted], wanted
    tops: Counter[str] = Counter()
    for note in whole.notes:
        for deck_id in note.deck_ids[:1]:
            tops[whole.decks.get(deck_id, "Default").split("::")[0]] += 1
    name = tops.most_common(1)[0][0] if tops else "Default"
    return by_name.get(name, random_id()), name


def _type_keys(types: list[WholeType]) -> dict[int, str]:
    """A ``type:`` name for each note type: its name in lower case, made unique."""
    keys: dict[int, str] = {}
    for note_type in types:
        base = re.sub(r"[^a-z0-9]+", "-", note_type.name.lower()).strip("-")[:24] or "type"
        if not base[0].isalpha() or base in ("basic", "cloze"):
            base = f"t-{base}"[:24]
        key, number = base, 2
        while key in keys.values():
            key, number = f"{base}-{number}", number + 1
        keys[note_type.id] = key
    return keys


def _plans(
    whole: WholePackage, deck_name: str, keys: dict[int, str], categories: str
) -> tuple[list[Plan], dict[str, str]]:
    """Each note's card, and the categories (prefix → name)."""
    notes = [note for note in whole.notes if _in_deck(note, whole, deck_name)]
    from_field = _ids_from_fields(notes, whole) if categories == "ids" else None
    names: dict[str, str] = {}
    counters: Counter[str] = Counter()
    plans = []
    for index, note in enumerate(notes):
        if from_field is not None:
            card_id = from_field[index]
            prefix = CARD_ID.match(card_id).group(1)  # type: ignore[union-attr]
            names.setdefault(prefix, prefix)
        else:
            prefix, label = _category(note, categories, deck_name)
            names.setdefault(prefix, label)
            counters[prefix] += 1
            card_id = f"{prefix}{counters[prefix]:04d}"
        deck = whole.decks.get(note.deck_ids[0], deck_name) if note.deck_ids else deck_name
        subdeck = deck[len(deck_name) + 2 :] if deck.startswith(deck_name + "::") else ""
        plans.append(Plan(note, card_id, prefix, subdeck, keys[note.type_id]))
    return plans, names


def _in_deck(note: WholeNote, whole: WholePackage, deck_name: str) -> bool:
    """Whether the note has a card in the deck adopted or below it (a collection exported
    whole holds other decks' notes too: they are not this deck's)."""
    names = [whole.decks.get(deck_id, "Default") for deck_id in note.deck_ids]
    return not names or any(n == deck_name or n.startswith(deck_name + "::") for n in names)


def _ids_from_fields(notes: list[WholeNote], whole: WholePackage) -> list[str] | None:
    """The notes' ids from a field that holds a card id (``DL0001``) in every note, each
    once; ``None`` when no field does."""
    for position in range(max(len(note.fields) for note in notes)):
        values = [
            html.unescape(note.fields[position]).strip() if position < len(note.fields) else ""
            for note in notes
        ]
        if all(CARD_ID.match(v) and len(v) <= 24 for v in values) and len(set(values)) == len(
            values
        ):
            return values
    return None


def _category(note: WholeNote, categories: str, deck_name: str) -> tuple[str, str]:
    if categories == "tags" and note.tags:
        tag = sorted(note.tags, key=str.lower)[0]
        prefix = TAG_PREFIX.sub("", tag.upper())[:10] or DEFAULT_PREFIX
        return prefix, tag
    return DEFAULT_PREFIX, deck_name


def _write_type(
    cards_dir: Path, note_type: WholeType, key: str, media: set[str] | None = None
) -> str:
    """Write a note type's templates and CSS beside deck.yaml; its deck.yaml entry."""
    folder = cards_dir / TYPES_DIR / key
    folder.mkdir(parents=True, exist_ok=True)
    lines = [
        f"  {key}:",
        f"    id: {note_type.id}",
        "    base: none",
        f"    name: {json.dumps(note_type.name, ensure_ascii=False)}",
        f"    fields: {json.dumps(list(note_type.field_names), ensure_ascii=False)}",
        f"    field_ids: {_ids([f.id for f in note_type.fields])}",
        f"    template_ids: {_ids([t.id for t in note_type.templates])}",
        f"    sort_field: {json.dumps(note_type.field_names[note_type.sort_field])}",
    ]
    if note_type.cloze:
        lines.append("    cloze: true")
    if note_type.css:
        css = _css_media(note_type.css, media or set())
        (folder / "style.css").write_text(css, encoding="utf-8")
        lines.append(f"    css: {TYPES_DIR}/{key}/style.css")
    lines.append("    templates:")
    for number, template in enumerate(note_type.templates, start=1):
        front, back = (
            f"{TYPES_DIR}/{key}/{number}-front.html",
            f"{TYPES_DIR}/{key}/{number}-back.html",
        )
        for path, text in ((front, template.front), (back, template.back)):
            (cards_dir / path).write_text(_template_media(text, media or set()), encoding="utf-8")
        name = json.dumps(template.name, ensure_ascii=False)
        lines.append(f"      {name}: {{front: {front}, back: {back}}}")
    return "\n".join(lines)


CSS_URL = re.compile(r"""url\(\s*(["']?)([^"')\s]+)\1\s*\)""")


TEMPLATE_SRC = re.compile(r"""(\bsrc\s*=\s*)(["'])([^"'{}]+)\2""", re.I)


def _template_media(text: str, media: set[str]) -> str:
    """A template with each file of the package it names (``src="_logo.png"``) named from
    the template's folder, where adopt wrote the media; ``ankigen build`` ships them."""

    def local(match: re.Match[str]) -> str:
        name = unquote(html.unescape(match.group(3)))
        if name not in media:
            return match.group(0)
        return f'{match.group(1)}"../../{MEDIA_DIR}/{html.escape(name)}"'

    return TEMPLATE_SRC.sub(local, text)


def _css_media(css: str, media: set[str]) -> str:
    """The CSS with each file of the package it names (a font) named from the CSS file's
    folder, ``note-types/<type>/``, where adopt wrote the media (``cards/media``)."""

    def local(match: re.Match[str]) -> str:
        name = unquote(match.group(2))
        if name not in media:
            return match.group(0)
        return f'url("../../{MEDIA_DIR}/{name}")'

    return CSS_URL.sub(local, css)


def _ids(ids: list[int | None]) -> str:
    return "none" if any(i is None for i in ids) else json.dumps(ids)


def _deck_yaml(
    name: str, deck_id: int, note_type_id: int, categories: dict[str, str], types: list[str]
) -> str:
    lines = [
        f"name: {json.dumps(name, ensure_ascii=False)}",
        "version: 1.0.0                 # the deck as adopted; `ankigen release` raises it",
        "categories:",
        *(f"  {p}: {json.dumps(n, ensure_ascii=False)}" for p, n in sorted(categories.items())),
        f"deck_id: {deck_id}            # the deck's id in the package",
        f"note_type_id: {note_type_id}  # ankigen's own type, unused by adopted cards",
        "note_types:                    # as the package has them: never change fields or ids",
        *types,
    ]
    return "\n".join(lines) + "\n"


def _write_card(
    cards_dir: Path, plan: Plan, whole: WholePackage, renderer: Renderer, result: Adopted
) -> None:
    """Write one note's card file: each field as Markdown where it comes back the same,
    else as its HTML (with a warning where the sanitizer would remove something)."""
    note_type = whole.types[plan.note.type_id]
    path = cards_dir / plan.prefix / f"{plan.card_id}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    shown = display_path(path)
    sections, kept = [], []
    for name, value in zip(note_type.field_names, _padded(plan.note, note_type), strict=True):
        text = _as_markdown(value, path, whole, renderer, name in _cloze_fields(note_type))
        if text is None:  # a line of it starting with # would read as a section heading
            text = re.sub(r"(?m)^([ \t]*)#", r"\1&#35;", _media_paths(value, whole))
            kept.append(name)
            for _, what in removed_parts(value):
                result.warnings.append(
                    Problem.warning(shown, 1, f"{plan.card_id} {name}: {what} (kept as HTML)")
                )
        sections.append(f"## {name}\n\n{text}\n" if text else f"## {name}\n")
    front = [
        "---",
        f"id: {plan.card_id}",
        f"title: {json.dumps(_title(plan, note_type), ensure_ascii=False)}",
        f"guid: {json.dumps(plan.note.guid)}        # the note's identity in Anki: never change it",
        f"type: {plan.type_key}",
        f"tags: {json.dumps(list(plan.note.tags), ensure_ascii=False)}",
    ]
    if plan.subdeck:
        front.append(f"deck: {json.dumps(plan.subdeck, ensure_ascii=False)}")
    if kept:
        front.append(f"html: {json.dumps(kept, ensure_ascii=False)}")
    path.write_text("\n".join([*front, "---", *sections]), encoding="utf-8")


def _padded(note: WholeNote, note_type: WholeType) -> tuple[str, ...]:
    count = len(note_type.fields)
    return (note.fields + ("",) * count)[:count]


def _cloze_fields(note_type: WholeType) -> set[str]:
    if not note_type.cloze:
        return set()
    text = "".join(t.front + t.back for t in note_type.templates)
    return {name for name in note_type.field_names if f"cloze:{name}}}}}" in text}


def _title(plan: Plan, note_type: WholeType) -> str:
    value = _padded(plan.note, note_type)[note_type.sort_field]
    text = " ".join(html.unescape(re.sub(r"<[^>]*>|\[sound:[^\]]*\]", " ", value)).split())
    text = re.sub(r"[\x00-\x1f\x7f]", "", text)
    return (text[:77] + "…" if len(text) > 80 else text) or plan.card_id


def _media_paths(value: str, whole: WholePackage) -> str:
    """A field's HTML with its media named relative to a card file (``../media/x``)."""

    def image(match: re.Match[str]) -> str:
        written = match.group(2) or match.group(3) or match.group(4) or ""
        name = html.unescape(written)
        if name not in whole.media:
            name = unquote(name)  # `my%20pic.png` names `my pic.png`
        if name not in whole.media:
            return match.group(0)
        return f'{match.group(1)}"../{MEDIA_DIR}/{html.escape(name)}"'

    value = re.sub(
        r"""(<img\b[^>]*?\bsrc\s*=\s*)(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", image, value
    )
    return re.sub(
        r"\[sound:([^\]]+)\]",
        lambda m: (
            f"[sound:../{MEDIA_DIR}/{m.group(1)}]" if m.group(1) in whole.media else m.group(0)
        ),
        value,
    )


def _as_markdown(
    value: str, path: Path, whole: WholePackage, renderer: Renderer, cloze: bool
) -> str | None:
    """``value`` as Markdown, if it renders back to the same (``canonical``); else ``None``."""
    if not value.strip():
        return ""
    if not BLOCK.search(value):  # an inline field (a word, a template's `class="{{X}}"`):
        return None  # Markdown would make it a paragraph, <p>…</p>; kept as it is
    def media_path(src: str) -> str | None:
        name = html.unescape(src)
        return f"../{MEDIA_DIR}/{name}" if name in whole.media else None

    markdown = to_markdown(_sounds_relative(value, whole), media_path)
    if markdown is None or "\n## " in f"\n{markdown}" or "\n---" in f"\n{markdown}":
        return None
    section = renderer.section(Section(markdown, 1), display_path(path), path, cloze=cloze)
    if any(p.is_error for p in section.problems) or section.problems:
        return None
    names = {item.name: _original(item.data, whole) for item in section.media}
    back = canonical(section.html, lambda n: names.get(n, n))
    return markdown if back is not None and back == canonical(value) else None


def _sounds_relative(value: str, whole: WholePackage) -> str:
    return re.sub(
        r"\[sound:([^\]]+)\]",
        lambda m: (
            f"[sound:../{MEDIA_DIR}/{m.group(1)}]" if m.group(1) in whole.media else m.group(0)
        ),
        value,
    )


def _original(data: bytes, whole: WholePackage) -> str:
    """The package's name of the media file holding ``data``."""
    return next((name for name, content in whole.media.items() if content == data), "")


__all__ = ["LOCK_FILE", "RELEASE_FILE", "Adopted", "adopt"]
