"""The ``.apkg`` container: a zip archive written byte for byte the same, fast.

The collection database is most of a package (17.8 MB for 10,000 cards) and deflating it
is much of the time spent writing one. So it is deflated in fixed-size pieces on all usable
cores, as pigz does: each piece is primed with the 32 KiB before it (``zdict``) and ends on
a byte boundary (``Z_SYNC_FLUSH``), the last one ends the stream. The pieces joined are one
valid deflate stream, and since their size is fixed, not derived from the number of cores,
the bytes do not depend on how many there are. zlib releases the GIL while it compresses,
so threads suffice.

The archive itself is the plain zip format, every entry dated 1980-01-01 with Unix
permissions ``0644``, as ``zipfile.ZipInfo`` would write them. An archive that needs zip64
(65,535 entries or more, or 4 GiB) is written by ``zipfile`` instead, on one core.

The bytes depend on the zlib that Python links (zlib-ng's differ from zlib's), not on the
number of cores.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor

PIECE = 1 << 20  # bytes of input per piece: fixed, so the output is the same on any CPU count
WINDOW = 1 << 15  # deflate's window: each piece is primed with this much of what precedes it
ZIP_LIMIT = 0xFFFFFFFF  # sizes and offsets from this on need zip64
ENTRY_LIMIT = 0xFFFF  # so does this many entries (0xFFFF itself marks zip64)
DOS_DATE = (0 << 9) | (1 << 5) | 1  # 1980-01-01, the earliest date zip can hold
DOS_TIME = 0
VERSION = 20  # zip 2.0: deflate
MADE_BY = (3 << 8) | VERSION  # 3: Unix, so that the permissions below mean something
PERMISSIONS = 0o644 << 16


def deflate(data: bytes, level: int, workers: int = 1) -> bytes:
    """``data`` as a raw deflate stream, compressed in pieces on ``workers`` threads.

    The result is the same for any number of workers.
    """
    starts = range(0, max(len(data), 1), PIECE)
    last = starts[-1]

    def piece(start: int) -> bytes:
        primer = data[max(0, start - WINDOW) : start]
        packer = (
            zlib.compressobj(level, zlib.DEFLATED, -15, zdict=primer)
            if primer
            else zlib.compressobj(level, zlib.DEFLATED, -15)
        )
        body = packer.compress(data[start : start + PIECE])
        return body + packer.flush(zlib.Z_FINISH if start == last else zlib.Z_SYNC_FLUSH)

    if workers < 2 or len(starts) < 2:
        return b"".join(map(piece, starts))
    with ThreadPoolExecutor(min(workers, len(starts))) as pool:
        return b"".join(pool.map(piece, starts))


def zip_bytes(entries: Iterable[tuple[str, bytes]], level: int, workers: int = 1) -> bytes:
    """A zip archive of ``entries`` (name, content), in the order given, each deflated."""
    entries = list(entries)
    if len(entries) >= ENTRY_LIMIT or sum(len(data) for _, data in entries) >= ZIP_LIMIT:
        return _zip64_bytes(entries, level)
    out = bytearray()
    directory = bytearray()
    for name, data in entries:
        packed = deflate(data, level, workers)
        if len(out) + len(packed) + 2 * len(name) + 4096 >= ZIP_LIMIT:
            return _zip64_bytes(entries, level)  # deflate made it bigger: rare, but possible
        encoded = name.encode("ascii")
        fields = (
            VERSION,
            0,  # flags
            zlib.DEFLATED,
            DOS_TIME,
            DOS_DATE,
            zlib.crc32(data),
            len(packed),
            len(data),
            len(encoded),
            0,  # extra field length
        )
        offset = len(out)
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, *fields) + encoded + packed
        directory += (
            struct.pack("<IH", 0x02014B50, MADE_BY)
            + struct.pack("<HHHHHIIIHH", *fields)
            + struct.pack("<HHHII", 0, 0, 0, PERMISSIONS, offset)
            + encoded
        )
    start = len(out)
    if start + len(directory) >= ZIP_LIMIT:
        return _zip64_bytes(entries, level)
    count = len(entries)
    out += directory
    out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, count, count, len(directory), start, 0)
    return bytes(out)


def _zip64_bytes(entries: list[tuple[str, bytes]], level: int) -> bytes:
    """The archive by ``zipfile``, which writes zip64 records where they are needed."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", allowZip64=True) as archive:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = PERMISSIONS
            archive.writestr(info, data, compresslevel=level)
    return buffer.getvalue()
