"""Reading the lock file: as written, or merged from both sides of git's conflict markers.

Two authors who each add or edit cards on a branch of their own both change the lock, and
git leaves ``<<<<<<<``/``=======``/``>>>>>>>`` markers where their lines differ. Each side
alone is a whole lock, so the reader takes both and merges them: for every card, the stamp
with the later time (a card edited on both sides keeps the later edit's stamp, and the next
build stamps it anew if the merged file differs from both); the note type's stamp likewise;
the later version. Two new cards that both sides gave the same note id keep it apart: the
card both sides know (or, between two new ones, the first by id) keeps it, the other gets
the next free one. The next ``ankigen build`` writes the merged lock, markers gone; until
then every command reads it merged, so ``ankigen new`` numbers past both sides' cards.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from ankigen.anki.lock import NOTE_ID_STEP, CardStamp, Lock, RetiredStamp, Stamp, parse_lock
from ankigen.errors import AnkigenError, Problem, display_path
from ankigen.source.layout import LOCK_FILE
from ankigen.util.files import RECORD_LIMIT, read_regular

OURS, BASE, THEIRS, END = "<<<<<<<", "|||||||", "=======", ">>>>>>>"


def read_lock(path: Path) -> Lock:
    """Read the lock at ``path``; a missing file is an empty lock."""
    return read_lock_text(path)[0]


def read_lock_text(path: Path) -> tuple[Lock, str | None]:
    """``read_lock``, and the file's text as read (``None``: there is no lock file)."""
    if not path.exists():
        return Lock(), None
    shown = display_path(path)
    try:
        text = read_regular(path, RECORD_LIMIT, "the lock").decode("utf-8")
    except OSError as exc:
        raise AnkigenError(
            [Problem(shown, 1, f"cannot read lock file: {exc.strerror or exc}")]
        ) from None
    except UnicodeDecodeError as exc:
        raise AnkigenError([Problem(shown, 1, f"cannot read lock file: {exc}")]) from None
    if f"\n{OURS}" not in f"\n{text}":
        return parse_lock(text, shown), text
    ours, theirs = conflict_sides(text)
    try:
        return merge_locks(parse_lock(ours, shown), parse_lock(theirs, shown)), text
    except AnkigenError:
        raise AnkigenError(
            [
                Problem(
                    shown,
                    1,
                    "the lock has git conflict markers and one side of them is not a whole "
                    f"lock: take one side (`git checkout --theirs {LOCK_FILE}`, or `--ours`) "
                    "and run `ankigen build`, which stamps what changed anew",
                )
            ]
        ) from None


def conflict_sides(text: str) -> tuple[str, str]:
    """The two sides of ``text`` with git's conflict markers (a diff3 base is left out)."""
    sides: tuple[list[str], list[str]] = ([], [])
    state = "both"
    for line in text.split("\n"):
        marker = line[:7]
        if marker == OURS and state == "both":
            state = "ours"
        elif marker == BASE and state == "ours":
            state = "base"
        elif marker == THEIRS and state in ("ours", "base"):
            state = "theirs"
        elif marker == END and state == "theirs":
            state = "both"
        else:
            if state in ("both", "ours"):
                sides[0].append(line)
            if state in ("both", "theirs"):
                sides[1].append(line)
    return "\n".join(sides[0]), "\n".join(sides[1])


def merge_locks(ours: Lock, theirs: Lock) -> Lock:
    """One lock from both sides of a merge: the later stamp of each card and note type."""
    known_to_both = (set(ours.cards) | set(ours.retired)) & (
        set(theirs.cards) | set(theirs.retired)
    )
    cards: dict[str, CardStamp] = {}
    retired: dict[str, RetiredStamp] = {}
    for card_id in sorted({*ours.cards, *ours.retired, *theirs.cards, *theirs.retired}):
        sides = (ours.cards, ours.retired, theirs.cards, theirs.retired)
        stamps = [side[card_id] for side in sides if card_id in side]
        latest = max(stamps, key=lambda stamp: stamp.mod)  # ours on a tie: max keeps the first
        if isinstance(latest, RetiredStamp):
            retired[card_id] = latest
        else:
            cards[card_id] = latest
    cards, retired = _apart(cards, retired, known_to_both)
    note_type = _later(ours.note_type, theirs.note_type)
    cloze_type = _later(ours.cloze_note_type, theirs.cloze_note_type)
    return replace(
        ours,
        cards=cards,
        retired=retired,
        note_type=note_type,
        schema=ours.schema if note_type is ours.note_type else theirs.schema,
        cloze_note_type=cloze_type,
        cloze_schema=ours.cloze_schema
        if cloze_type is ours.cloze_note_type
        else theirs.cloze_schema,
        version=max((v for v in (ours.version, theirs.version) if v), key=_order, default=None),
        types={
            name: max(
                (side.types[name] for side in (ours, theirs) if name in side.types),
                key=lambda t: t.stamp.mod,
            )
            for name in sorted({*ours.types, *theirs.types})
        },
        card_lines={},
    )


def _apart(
    cards: dict[str, CardStamp], retired: dict[str, RetiredStamp], first: set[str]
) -> tuple[dict[str, CardStamp], dict[str, RetiredStamp]]:
    """The stamps with no two notes sharing an id: cards both sides knew keep theirs."""
    stamps: dict[str, CardStamp] = {**cards, **retired}
    taken: set[int] = set()
    next_id = max((s.note_id for s in stamps.values()), default=0) + NOTE_ID_STEP
    for card_id in sorted(stamps, key=lambda i: (i not in first, i)):
        stamp = stamps[card_id]
        if stamp.note_id in taken:
            stamp = replace(stamp, note_id=next_id)
            next_id += NOTE_ID_STEP
        taken.add(stamp.note_id)
        stamps[card_id] = stamp
    return (
        {i: s for i, s in stamps.items() if i in cards},
        {i: s for i, s in stamps.items() if isinstance(s, RetiredStamp) and i in retired},
    )


def _later(a: Stamp | None, b: Stamp | None) -> Stamp | None:
    if a is None or b is None:
        return a or b
    return b if b.mod > a.mod else a


def _order(version: str) -> tuple[int, ...]:
    core = version.split("-", 1)[0].split("+", 1)[0]
    return tuple(
        int(part) if part.isascii() and part.isdigit() and len(part) <= 18 else 0
        for part in core.split(".")
    )
