"""``ankigen import``: read a listing, make one card file per entry, and write the new ones.

Reading the listing and writing card files are the edges; ``plan_import`` in between is
pure apart from reading the cards folder, so ``--dry-run`` shows exactly what a real run
writes. A card is found in the folder by its ``id`` (front matter), wherever its file is,
so a renamed file is still the same card. Nothing is written when any problem is found.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from ankigen.errors import AnkigenError, Problem, display_path, quoted
from ankigen.render.formulas import scan
from ankigen.scrape.cardfile import CardText, Doubt, card_text
from ankigen.scrape.listing import parse_listing
from ankigen.source.config import load_config
from ankigen.source.controls import control_problems
from ankigen.source.load import discover, read_card
from ankigen.util.atomic import atomic_write_bytes
from ankigen.util.files import read_regular

STDIN = "-"
STDIN_SHOWN = "<stdin>"
FILE_ID = re.compile(r"^([A-Z]+[0-9]+)-")
WRITES = ("new", "replaced")


@dataclass(frozen=True)
class CardPlan:
    """What the import does with one entry: its card file, and new/unchanged/skipped/replaced."""

    card_id: str
    path: Path
    status: str
    text: str

    @property
    def writes(self) -> bool:
        """Whether the file is (or, in a dry run, would be) written."""
        return self.status in WRITES

    def status_line(self) -> str:
        """``new       DL0004  cards/DL/DL0004-small-kernels.md``, with a hint when skipped."""
        line = f"{self.status:<9} {self.card_id}  {display_path(self.path)}"
        if self.status == "skipped":
            line += "  (differs from the listing; --force overwrites it)"
        return line


@dataclass(frozen=True)
class ImportPlan:
    """The card files a listing gives, and the places in the listing to review."""

    source: str
    cards: tuple[CardPlan, ...]
    doubts: tuple[Doubt, ...]

    def doubt_lines(self) -> list[str]:
        """Every judgement call as ``listing:line: CARDID: message``."""
        return [
            f"{self.source}:{d.line}: {d.card_id + ': ' if d.card_id else ''}{d.message}"
            for d in self.doubts
        ]

    def summary(self, dry_run: bool) -> str:
        """One line: how many cards were new, unchanged, skipped (and replaced)."""
        counts = {status: 0 for status in ("new", "unchanged", "skipped", "replaced")}
        for card in self.cards:
            counts[card.status] += 1
        parts = [f"{n} {status}" for status, n in counts.items() if n or status != "replaced"]
        text = f"{self.source}: {len(self.cards)} entries: {', '.join(parts)}."
        if self.doubts:
            count = len(self.doubts)
            text += f" {count} place{'s' if count != 1 else ''} to review (listed above)."
        if dry_run:
            text += " Dry run: nothing was written."
        return text


ZIP_MAGIC = b"PK\x03\x04"  # an .apkg (or .colpkg) is a zip file
PACKAGE_SUFFIXES = (".apkg", ".colpkg")
PACKAGE_GIVEN = (
    ", not a listing page: `ankigen import` reads a "
    "web page of questions saved as HTML or text; ankigen cannot import packages (adopting "
    "an existing deck is not built yet): import the package into Anki itself, or give "
    "`ankigen import` the page the questions came from"
)

MAX_LISTING_BYTES = 64 << 20  # a saved page of a few thousand questions is a few MB
TOO_BIG = f"over {MAX_LISTING_BYTES >> 20} MiB: no listing page is that big; is it the right file?"


def read_listing(listing: str, stdin: BinaryIO) -> tuple[str, str]:
    """The listing's text and the name to show for it; ``-`` reads standard input."""
    if listing == STDIN:
        shown, data = STDIN_SHOWN, stdin.read(MAX_LISTING_BYTES + 1)
        if len(data) > MAX_LISTING_BYTES:
            raise AnkigenError([Problem(shown, 1, TOO_BIG)])
    else:
        path = Path(listing)
        shown = display_path(path)
        try:
            data = read_regular(path, MAX_LISTING_BYTES, "a listing")
        except OSError as exc:
            raise AnkigenError(
                [Problem(shown, 1, f"cannot read listing: {exc.strerror or exc}")]
            ) from None
    suffix = Path(listing).suffix.lower() if listing != STDIN else ""
    if data.startswith(ZIP_MAGIC) or suffix in PACKAGE_SUFFIXES:
        what = "an Anki package" if suffix in PACKAGE_SUFFIXES else "a zip file"
        raise AnkigenError([Problem(shown, 1, f"this is {what}{PACKAGE_GIVEN}")]) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise AnkigenError(
            [
                Problem(
                    shown,
                    line,
                    f"not valid UTF-8 (byte 0x{data[exc.start]:02x}); save the listing as UTF-8",
                )
            ]
        ) from None
    controls = control_problems(text.replace("\r\n", "\n"), shown)
    if controls:
        raise AnkigenError(controls)
    return text, shown


def plan_import(text: str, shown: str, cards_dir: Path, *, force: bool) -> ImportPlan:
    """Make the card files for every entry of the listing ``text`` and decide what to write.

    Raises ``AnkigenError`` with every problem: a duplicate id, an entry without an
    ``Answer`` line, an id whose category ``deck.yaml`` lacks, an unreadable listing.
    """
    parsed = parse_listing(text, shown)
    problems = list(parsed.problems)
    try:
        categories = load_config(cards_dir).categories
    except AnkigenError as exc:
        problems.extend(exc.problems)
        categories = {}
    existing = _existing_cards(cards_dir)
    plans: list[CardPlan] = []
    doubts = [Doubt(d.line, d.card_id, f"dropped text `{_short(d.text)}`") for d in parsed.dropped]
    doubts.extend(parsed.remarks)
    for entry in parsed.entries:
        prefix = re.match(r"[A-Z]+", entry.id).group(0)  # type: ignore[union-attr]
        if categories and prefix not in categories:
            known = ", ".join(sorted(categories))
            problems.append(
                Problem(
                    shown,
                    entry.line,
                    f"{entry.id}: unknown category {quoted(prefix)} (deck.yaml has {known})",
                )
            )
            continue
        card = card_text(entry)
        problems.extend(
            Problem(shown, entry.line, f"{entry.id}: the card made from this entry has {p.message}")
            for p in scan(card.text.split("\n---\n", 1)[1], shown, 1).problems
        )
        doubts.extend(card.doubts)
        plans.append(_plan(card, cards_dir, existing, force))
    taken: dict[Path, str] = {}
    for card_id, path in existing.items():
        taken.setdefault(path, card_id)
    for plan in plans:
        owner = taken.get(plan.path, plan.card_id)
        if owner != plan.card_id:
            problems.append(
                Problem(
                    shown,
                    1,
                    f"{plan.card_id}: {display_path(plan.path)} already holds card {owner}",
                )
            )
    if problems:
        raise AnkigenError(problems)
    return ImportPlan(shown, tuple(plans), tuple(sorted(doubts, key=lambda d: d.line)))


def write_import(plan: ImportPlan) -> None:
    """Write the new and replaced card files (each atomically).

    A file that cannot be written is reported with its path; the files written before it
    stay, each complete, and a re-run reports them as unchanged.
    """
    for card in plan.cards:
        if card.writes:
            try:
                atomic_write_bytes(card.path, card.text.encode("utf-8"))
            except OSError as exc:
                shown = display_path(card.path)
                message = f"cannot write card file: {exc.strerror or exc}"
                raise AnkigenError([Problem(shown, 1, message)]) from None


def _plan(card: CardText, cards_dir: Path, existing: dict[str, Path], force: bool) -> CardPlan:
    path = existing.get(card.card_id, cards_dir / card.relative_path)
    if not path.exists():
        status = "new"
    elif path.read_bytes() == card.text.encode("utf-8"):
        status = "unchanged"
    else:
        status = "replaced" if force else "skipped"
    return CardPlan(card.card_id, path, status, card.text)


def _existing_cards(cards_dir: Path) -> dict[str, Path]:
    """The card files already in the folder, by the id in their front matter (or file name)."""
    found: dict[str, Path] = {}
    for path in discover(cards_dir):
        raw = read_card(path)
        card_id = None if isinstance(raw, Problem) else raw.front.values.get("id")
        if not isinstance(card_id, str):
            named = FILE_ID.match(path.name)
            card_id = named.group(1) if named else None
        if card_id:
            found.setdefault(card_id, path)
    return found


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
