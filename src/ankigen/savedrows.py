"""The rows of the last build's package, kept so that a rebuild can redo only what changed.

After a build, ``rows.bin`` in the deck's cache folder (``rendercache.cache_folder``) holds
every row of the package's ``notes`` and ``cards`` tables, in the order they were inserted,
and what a rebuild needs to know about the build that made them (``SavedBuild``): the digest
of every input file that can change the deck (``rebuild.matters``), the options and ankigen
itself, and per card file where its rows and its lock line are. ``rebuild`` uses it when
only a few card files changed.

The file is a magic line, then records of a 4-byte length, a 4-byte CRC-32 and a ``marshal``
payload (plain data only: loading it runs nothing). Row records come first, the header
last, so that rows stream to disk while the database is written and no second copy of
them is held; the last 8 bytes say where the header begins, so that a build that cannot
use the rows reads only the header. A file that is damaged, foreign or from another
format is ignored with a warning.
"""

from __future__ import annotations

import contextlib
import logging
import marshal
import os
import tempfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple

from .errors import display_path

ROWS_FILE = "rows.bin"
MAGIC = b"ankigen saved rows 1\n"
CHUNK_ROWS = 512  # rows per record: large enough to be cheap, small enough to stream
_HEAD = 8  # length and CRC-32, 4 bytes each
_TRAILER = 8  # the last bytes: where the header record begins
NOTES, CARDS, HEADER = 0, 1, 2  # what a record holds

Row = tuple[object, ...]
log = logging.getLogger(__name__)


class CardPlace(NamedTuple):
    """What a rebuild needs to know of one card file as the last build saw it."""

    card_id: str
    shown: str  # the file as messages name it
    id_line: int  # the line of its ``id:`` (``validate.CardRef``)
    kind: str
    note_index: int  # its note's place among the notes (its position among new cards less 1)
    card_start: int  # where its cards' rows begin among the cards
    card_count: int
    lock_line: int  # its entry's line in the lock, from 0


@dataclass(frozen=True)
class SavedBuild:
    """The build that the saved rows belong to."""

    context: tuple[str, ...]  # ankigen, working directory, options, note type (``buildrecord``)
    # every input file that matters (``rebuild.matters``) and its digest, as the build left it
    files: dict[str, str]
    # by file name: each card file with a valid card and no problem of its own, as the tuple
    # of a ``CardPlace`` (``place``): 10,000 of them load faster as plain tuples
    cards: dict[str, tuple[object, ...]]
    base_problems: tuple[tuple[str, int, str, str], ...]  # warnings not about the lock
    per_category: dict[str, int]
    used_decks: tuple[int | None, ...]  # the notes' ``deck_id``s (subdecks in use)
    cloze: bool  # whether the package has the cloze note type

    def place(self, name: str) -> CardPlace | None:
        """Where the card of file ``name`` is (one of ``cards``); ``None`` if it makes no sense."""
        entry = self.cards[name]
        types = (str, str, int, str, int, int, int, int)
        if not isinstance(entry, tuple) or len(entry) != len(types):
            return None
        if not all(type(value) is kind for value, kind in zip(entry, types, strict=True)):
            return None
        return CardPlace(*entry)  # type: ignore[arg-type]


def rows_path(folder: Path) -> Path:
    return folder / ROWS_FILE


def _record(kind: int, payload: object) -> bytes:
    data = marshal.dumps((kind, payload))
    return len(data).to_bytes(4, "big") + zlib.crc32(data).to_bytes(4, "big") + data


def _encode_build(build: SavedBuild) -> dict[str, Any]:
    return {
        "context": build.context,
        "files": build.files,
        "cards": build.cards,
        "base_problems": build.base_problems,
        "per_category": build.per_category,
        "used_decks": build.used_decks,
        "cloze": build.cloze,
    }


def _dict(value: object) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise TypeError("not a mapping")
    return value


def _decode_build(data: dict[str, Any]) -> SavedBuild:
    problems = tuple(tuple(p) for p in data["base_problems"])
    if not all(
        len(p) == 4 and type(p[1]) is int and all(type(p[i]) is str for i in (0, 2, 3))
        for p in problems
    ):
        raise ValueError("a problem that is not (path, line, message, severity)")
    used = tuple(data["used_decks"])
    if not all(deck is None or type(deck) is int for deck in used):
        raise ValueError("a deck id that is not a number")
    context = tuple(data["context"])
    if not all(type(part) is str for part in context):
        raise ValueError("a context that is not text")
    return SavedBuild(
        context=context,
        files=_dict(data["files"]),
        cards=_dict(data["cards"]),
        base_problems=problems,  # type: ignore[arg-type]
        per_category={str(k): int(v) for k, v in _dict(data["per_category"]).items()},
        used_decks=used,
        cloze=bool(data["cloze"]),
    )


class SavedRows:
    """The saved rows of one build: what that build was (``build``), its rows on demand.

    The file stays open until ``close``, so that the rows read are those of the header read,
    even if another build replaces the file meanwhile.
    """

    def __init__(self, path: Path, handle: BinaryIO, header_at: int, build: SavedBuild) -> None:
        self.path = path
        self._handle = handle
        self._header_at = header_at
        self.build = build

    def rows(self) -> tuple[list[Row], list[Row]] | None:
        """The rows of the ``notes`` and the ``cards`` table, in the order they were
        inserted; ``None`` (and a warning) when the file is damaged."""
        notes: list[Row] = []
        cards: list[Row] = []
        try:
            self._handle.seek(0)
            data = self._handle.read(self._header_at)
            offset = len(MAGIC)
            while offset < len(data):
                kind, payload, offset = _record_at(data, offset)
                if kind not in (NOTES, CARDS):
                    raise _Damaged("records out of order")
                (notes if kind == NOTES else cards).extend(payload)
            if offset != self._header_at:
                raise _Damaged("cut short")
        except _Damaged as exc:
            _warn(self.path, exc)
            return None
        except OSError:
            return None
        return notes, cards

    def close(self) -> None:
        self._handle.close()


def read_rows(folder: Path) -> SavedRows | None:
    """The rows saved in ``folder``, or ``None`` when there are none or the file is damaged
    (said in a warning: the build is then a full one, which saves them anew). Only the
    header is read here: a build that cannot use the rows does not pay for them. The
    caller closes what it gets."""
    path = rows_path(folder)
    try:
        handle = path.open("rb")
    except OSError:
        return None  # none saved yet
    try:
        size = handle.seek(0, os.SEEK_END)
        handle.seek(0)
        if handle.read(len(MAGIC)) != MAGIC or size < len(MAGIC) + _TRAILER:
            raise _Damaged("not a rows file of this ankigen")
        handle.seek(size - _TRAILER)
        header_at = int.from_bytes(handle.read(_TRAILER), "big")
        if not len(MAGIC) <= header_at < size - _TRAILER:
            raise _Damaged("cut short")
        handle.seek(header_at)
        data = handle.read(size - _TRAILER - header_at)
        kind, payload, end = _record_at(data, 0)
        if kind != HEADER or end != len(data):
            raise _Damaged("cut short")
        try:
            build = _decode_build(payload)
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise _Damaged(f"unreadable header ({exc})") from None
    except _Damaged as exc:
        handle.close()
        _warn(path, exc)
        return None
    except OSError:
        handle.close()
        return None
    return SavedRows(path, handle, header_at, build)


def _warn(path: Path, reason: object) -> None:
    log.warning(
        "ankigen: warning: ignored saved rows %s: %s; the build is done in full",
        display_path(path),
        reason,
    )


class _Damaged(Exception):
    """A rows file that is not whole, not ours, or not of this format."""


def _record_at(data: bytes, offset: int) -> tuple[int, Any, int]:
    """The record at ``offset``: its kind, its payload, and where the next one begins."""
    if offset + _HEAD > len(data):
        raise _Damaged("cut short")
    size = int.from_bytes(data[offset : offset + 4], "big")
    crc = int.from_bytes(data[offset + 4 : offset + _HEAD], "big")
    end = offset + _HEAD + size
    body = memoryview(data)[offset + _HEAD : end]
    if len(body) != size:
        raise _Damaged("cut short")
    if zlib.crc32(body) != crc:
        raise _Damaged("checksum mismatch")
    try:
        kind, payload = marshal.loads(body)
    except (ValueError, EOFError, TypeError) as exc:
        raise _Damaged(f"unreadable record ({exc})") from None
    return kind, payload, end


class RowsWriter:
    """Saves rows as they are inserted, to a temporary file that ``commit`` puts in place.

    Saving is a convenience for a later build: if the cache folder cannot be written (read
    only, a full disk), the rows are passed on all the same and nothing is saved.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.handle: BinaryIO | None = None
        self.temp: Path | None = None
        try:
            folder.mkdir(parents=True, exist_ok=True)
            fd, name = tempfile.mkstemp(prefix=".rows.", suffix=".tmp", dir=folder)
            self.temp = Path(name)
            self.handle = os.fdopen(fd, "wb")
            self.handle.write(MAGIC)
        except OSError:
            self.discard()

    def _save(self, kind: int, rows: list[Row]) -> None:
        if self.handle is None:
            return
        try:
            self.handle.write(_record(kind, rows))
        except (OSError, ValueError):  # ValueError: a row marshal cannot write
            self.discard()

    def tap(self, kind: int, rows: Iterable[Row]) -> Iterator[Row]:
        """``rows`` passed on unchanged, each saved on the way (``NOTES`` or ``CARDS``)."""
        chunk: list[Row] = []
        for row in rows:
            chunk.append(row)
            if len(chunk) == CHUNK_ROWS:
                self._save(kind, chunk)
                chunk = []
            yield row
        if chunk:
            self._save(kind, chunk)

    def write(self, kind: int, rows: list[Row]) -> None:
        """Save ``rows`` that are already in memory."""
        for start in range(0, len(rows), CHUNK_ROWS):
            self._save(kind, rows[start : start + CHUNK_ROWS])

    def commit(self, build: SavedBuild) -> None:
        """Finish the file with ``build`` and put it in place of the last one."""
        if self.handle is None or self.temp is None:
            return
        try:
            header_at = self.handle.tell()
            self.handle.write(_record(HEADER, _encode_build(build)))
            self.handle.write(header_at.to_bytes(_TRAILER, "big"))
            self.handle.close()
            os.replace(self.temp, rows_path(self.folder))
            self.handle = self.temp = None
        except (OSError, ValueError):  # only a later rebuild's shortcut is lost
            self.discard()

    def discard(self) -> None:
        """Drop the file: the build it would describe did not happen (or was not recorded)."""
        if self.handle is not None:
            with contextlib.suppress(OSError):
                self.handle.close()
        if self.temp is not None:
            with contextlib.suppress(OSError):
                self.temp.unlink(missing_ok=True)
        self.handle = self.temp = None


def forget_rows(folder: Path) -> None:
    """Remove the saved rows: a build that cannot save its own must not leave the last one's."""
    with contextlib.suppress(OSError):
        rows_path(folder).unlink(missing_ok=True)
