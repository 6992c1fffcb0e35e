"""Reading an input file within bounds: a regular file only, of at most a given size.

A card, ``deck.yaml``, the lock or an image may be a link to ``/dev/zero`` (which reads
forever) or a FIFO (whose opening waits forever for a writer), or simply a stray file of
gigabytes. ``read_regular`` opens without waiting, looks at what it opened, and reads at
most one byte past the limit. What it refuses is an ``OSError`` whose ``strerror`` says
why in words, so that every caller that reports ``exc.strerror`` already says it well.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

KIB = 1024
MIB = 1024 * KIB
CARD_LIMIT = 1 * MIB  # a card file
DECK_LIMIT = 1 * MIB  # deck.yaml, a template
RECORD_LIMIT = 256 * MIB  # the lock, the release record
MEDIA_LIMIT = 64 * MIB  # an image or a sound
CHUNK = 1 * MIB


def size_text(size: int) -> str:
    """``size`` in bytes, said the short way: ``3.0 GiB``, ``1 MiB``, ``512 bytes``."""
    for unit, scale in (("GiB", 1 << 30), ("MiB", MIB), ("KiB", KIB)):
        if size >= scale:
            value = size / scale
            return f"{value:.0f} {unit}" if value == int(value) else f"{value:.1f} {unit}"
    return f"{size} bytes"


def kind_of(mode: int) -> str:
    """What a file that is not a regular file is, in words."""
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def not_a_file(path: str | Path, mode: int) -> OSError:
    """The error for ``path``, which is a device, FIFO, socket or folder."""
    return OSError(
        errno.EINVAL,
        f"it is {kind_of(mode)}, not a file: replace it with a regular file",
        os.fspath(path),
    )


def too_big(path: str | Path, size: int | None, limit: int, what: str) -> OSError:
    said = size_text(size) if size is not None else "more than that"
    return OSError(
        errno.EFBIG,
        f"it is {said}, over the {size_text(limit)} {what} may have: is it the right file?",
        os.fspath(path),
    )


def read_regular(path: str | Path, limit: int, what: str = "such a file") -> bytes:
    """The bytes of the regular file at ``path`` (links followed), at most ``limit`` of them;
    ``OSError`` when it cannot be read, is no regular file, or is larger."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    fd = os.open(path, flags)  # O_NONBLOCK: a FIFO opens at once instead of waiting
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise not_a_file(path, info.st_mode)
        if info.st_size > limit:
            raise too_big(path, info.st_size, limit, what)
        chunks: list[bytes] = []
        total = 0
        while True:  # the size may lie (a file still growing, /proc): read to the limit
            chunk = os.read(fd, min(CHUNK, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:
                raise too_big(path, None, limit, what)
        return b"".join(chunks)
    finally:
        os.close(fd)
