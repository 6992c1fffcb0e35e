"""What changed between two releases, for CHANGELOG.md and the deck description.

The last release is remembered in ``cards/ankigen.release.json``: per card its title and
a digest of each field and of its tags, so the next release can say which cards were
added, changed (and in which fields), or retired, without the old package at hand.
"""

from __future__ import annotations

import hashlib
import html
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ankigen.anki.notes import note_field_names, note_fields, note_tags
from ankigen.errors import AnkigenError, Problem, display_path, quoted
from ankigen.render.card import RenderedCard
from ankigen.source.config import SEMVER
from ankigen.util import strictjson
from ankigen.util.files import RECORD_LIMIT, read_regular
from ankigen.util.strictjson import whole

RELEASE_FORMAT = 1
DESCRIPTION_ITEMS = 12  # the deck overview lists at most this many cards of each kind


@dataclass(frozen=True)
class ReleasedCard:
    """A card as a release shipped it: title, per-field digests, tags digest."""

    title: str
    fields: dict[str, str]
    tags: str
    mod: int | None = None  # its note's ``mod`` in the release's package, where recorded
    deck: str | None = None  # its subdeck below the deck as shipped ("": the deck), if known


@dataclass(frozen=True)
class ReleaseManifest:
    """The last release: its version and date, its notes, and its cards by id."""

    version: str | None = None
    date: str = ""
    notes: str = ""  # what's new, as HTML for the deck description
    cards: dict[str, ReleasedCard] = field(default_factory=dict)
    retired: dict[str, str] = field(default_factory=dict)  # id → title, of retired cards
    time: int | None = None  # when it was released (Unix seconds); unknown for older records
    # a digest of what its package holds (``release.published.package_identity``): a build
    # with the same is that release; any other is a development build. Empty in older records.
    package: str = ""
    # the schema digest of each note type it shipped, by kind (``basic``, ``cloze``): what a
    # release must compare with to know it breaks learners' notes. Empty in older records.
    schemas: dict[str, str] = field(default_factory=dict)
    # each note type's content digest (templates and CSS too), by kind: what a release
    # shipped, so that the next knows when only the look changed
    styles: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ReleaseChanges:
    """Cards added, changed (with the fields that changed) and retired since the last release."""

    version: str
    previous: str | None
    added: tuple[tuple[str, str], ...]  # (id, title)
    changed: tuple[tuple[str, str, tuple[str, ...]], ...]  # (id, title, fields)
    retired: tuple[tuple[str, str, str], ...]  # (id, title, reason)
    restored: tuple[tuple[str, str], ...]
    restyled: tuple[str, ...] = ()  # note types whose look (templates, CSS) changed, by kind

    @property
    def empty(self) -> bool:
        """Whether nothing at all changed."""
        return not (self.added or self.changed or self.retired or self.restored or self.restyled)

    @property
    def cards_unchanged(self) -> bool:
        """Whether no card changed (the look of a note type may have)."""
        return not (self.added or self.changed or self.retired or self.restored)


def digest(text: str) -> str:
    """A short content digest."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def released_card(title: str, fields: dict[str, str], tags: tuple[str, ...]) -> ReleasedCard:
    """The release record of one card from its plain title, field HTML and tags."""
    return ReleasedCard(
        title, {name: digest(value) for name, value in fields.items()}, digest(" ".join(tags))
    )


def compare(
    previous: ReleaseManifest,
    current: dict[str, ReleasedCard],
    version: str,
    reasons: dict[str, str],
) -> ReleaseChanges:
    """The changes from ``previous`` to ``current`` (cards by id), released as ``version``."""
    added: list[tuple[str, str]] = []
    changed: list[tuple[str, str, tuple[str, ...]]] = []
    restored: list[tuple[str, str]] = []
    for card_id in sorted(current):
        card = current[card_id]
        before = previous.cards.get(card_id)
        if before is None:
            (restored if card_id in previous.retired else added).append((card_id, card.title))
            continue
        fields = tuple(name for name in card.fields if before.fields.get(name) != card.fields[name])
        if before.tags != card.tags:
            fields += ("tags",)
        if fields:
            changed.append((card_id, card.title, fields))
    retired = tuple(
        (card_id, previous.cards[card_id].title, reasons.get(card_id, ""))
        for card_id in sorted(set(previous.cards) - set(current))
    )
    return ReleaseChanges(
        version, previous.version, tuple(added), tuple(changed), retired, tuple(restored)
    )


def changelog_section(changes: ReleaseChanges, date: str, message: str = "", deck: str = "") -> str:
    """The changelog section of a release of ``deck``, in Markdown; ``message``: the author's
    words. The heading names the deck, so that no two decks' entries can be taken for each
    other's."""
    lines = [f"## {deck + ' ' if deck else ''}{changes.version} — {date}", ""]
    if message:
        lines += [message, ""]
    if changes.cards_unchanged:
        lines += ["No card changes.", ""]
    if changes.restyled:
        kinds = ", ".join(changes.restyled)
        lines += [f"The look of the note types changed (templates or CSS): {kinds}.", ""]
    for heading, items in (
        ("Added", [f"{i} {t}" for i, t in changes.added]),
        ("Restored", [f"{i} {t}" for i, t in changes.restored]),
        ("Changed", [f"{i} {t} ({', '.join(f)})" for i, t, f in changes.changed]),
        ("Retired", [f"{i} {t}" + (f": {r}" if r else "") for i, t, r in changes.retired]),
    ):
        if items:
            lines += [f"### {heading}", "", *[f"- {item}" for item in items], ""]
    if changes.retired:
        lines += [
            "Retired cards stay in learners' collections (Anki never deletes notes on import);",
            "they are marked retired and tagged `ankigen::retired`.",
            "",
        ]
    return "\n".join(lines)


def prepend_changelog(existing: str, section: str) -> str:
    """CHANGELOG.md text with ``section`` as the newest entry, below the title."""
    title = "# Changelog\n\n"
    body = existing[len(title) :] if existing.startswith(title) else existing
    return title + section + ("\n" + body.lstrip("\n") if body.strip() else "")


# What learners must know of their Anki's import, in every release's description (measured
# on the engines: ANKI.md's table; docs/learners.md)
LEARNER_NOTE = (
    "<p>Import only the newest version of this deck. Anki 2.1.55 to 24.11 and AnkiDroid 2.17 "
    "to 2.20 can skip later updates of cards if an older file is imported after a newer one: "
    "then import the newest once with <i>Update notes: Always</i> (on Anki 2.1.55 to 2.1.66, "
    "turn on <i>Legacy import/export</i> in Preferences first). A card the author updates "
    "gets the author's tags, replacing your own (marked, leech).</p>"
)


def description_html(changes: ReleaseChanges, message: str = "") -> str:
    """What's new in this release, as HTML for the deck overview screen; ``message`` (the
    author's words, plain text) first."""
    said = f"<p>{html.escape(message)}</p>" if message else ""
    parts = []
    for label, items in (
        ("New", [f"{i} {t}" for i, t in changes.added + changes.restored]),
        ("Updated", [f"{i} {t}" for i, t, _ in changes.changed]),
        ("Retired", [f"{i} {t}" for i, t, _ in changes.retired]),
    ):
        if items:
            shown = items[:DESCRIPTION_ITEMS]
            more = f" and {len(items) - len(shown)} more" if len(items) > len(shown) else ""
            parts.append(f"<b>{label}:</b> {html.escape(', '.join(shown))}{more}")
    if changes.restyled:
        parts.append("<b>Look:</b> the cards' templates or style")
    new = f"<p>What's new in {html.escape(changes.version)}:<br>" + "<br>".join(parts) + "</p>"
    return said + (new if parts else "") + LEARNER_NOTE


def read_manifest(path: Path) -> ReleaseManifest:
    """The last release's manifest; an empty one when there was no release yet."""
    if not path.exists():
        return ReleaseManifest()
    try:
        text = read_regular(path, RECORD_LIMIT, "the release record").decode("utf-8")
        data = strictjson.loads(text)
        if data.get("format") != RELEASE_FORMAT:
            raise ValueError(f"unknown format {quoted(data.get('format'))}")
        if not isinstance(data["version"], str) or not SEMVER.match(data["version"]):
            raise ValueError(f"version {quoted(data['version'])} is not a version like 1.2.0")
        return ReleaseManifest(
            version=data["version"],
            date=data["date"],
            notes=data.get("notes", ""),
            cards={
                card_id: ReleasedCard(
                    entry["title"],
                    dict(entry["fields"]),
                    entry["tags"],
                    None if entry.get("mod") is None else whole(entry["mod"], f"{card_id}: mod"),
                    # a record that keeps times keeps decks: none said is the deck itself
                    str(entry.get("deck", "")) if "mod" in entry else None,
                )
                for card_id, entry in data["cards"].items()
            },
            retired=dict(data.get("retired", {})),
            time=None if data.get("time") is None else whole(data["time"], "time"),
            package=str(data.get("package", "")),
            schemas={str(k): str(v) for k, v in data.get("schemas", {}).items()},
            styles={str(k): str(v) for k, v in data.get("styles", {}).items()},
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        shown = display_path(path)
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        line = exc.lineno if isinstance(exc, json.JSONDecodeError) else 1
        if isinstance(exc, strictjson.JsonValueError):
            line = exc.line
        raise AnkigenError(
            [
                Problem(
                    shown,
                    line,
                    f"corrupt release manifest ({reason}); restore it from version control "
                    f"(`git checkout -- {shown}`)",
                )
            ]
        ) from None


def format_manifest(manifest: ReleaseManifest) -> str:
    """The manifest as JSON, one card per line."""
    cards = ",\n".join(
        f"    {json.dumps(card_id)}: "
        + json.dumps(
            {"title": c.title, "fields": c.fields, "tags": c.tags}
            | ({} if c.mod is None else {"mod": c.mod})
            | ({"deck": c.deck} if c.deck else {}),
            ensure_ascii=False,
        )
        for card_id, c in sorted(manifest.cards.items())
    )
    head: dict[str, object] = {
        "format": RELEASE_FORMAT,
        "version": manifest.version,
        "date": manifest.date,
        "notes": manifest.notes,
    }
    if manifest.time is not None:
        head["time"] = manifest.time
    if manifest.package:
        head["package"] = manifest.package
    if manifest.schemas:
        head["schemas"] = dict(sorted(manifest.schemas.items()))
    if manifest.styles:
        head["styles"] = dict(sorted(manifest.styles.items()))
    retired = dict(sorted(manifest.retired.items()))
    return (
        "{\n"
        + "".join(
            f"  {json.dumps(k)}: {json.dumps(v, ensure_ascii=False)},\n" for k, v in head.items()
        )
        + f'  "retired": {json.dumps(retired, ensure_ascii=False)},\n'
        + '  "cards": {\n'
        + (cards + "\n" if cards else "")
        + "  }\n}\n"
    )


def released_cards(cards: Sequence[RenderedCard]) -> dict[str, ReleasedCard]:
    """The release records of rendered cards, by id."""
    return {
        card.id: released_card(
            html.unescape(card.title),
            dict(zip(note_field_names(card), note_fields(card), strict=True)),
            note_tags(card),
        )
        for card in cards
    }
