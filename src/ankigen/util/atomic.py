"""Writing files so that a reader sees the old file or the whole new one, never a part.

The one file writer of ankigen: the package, the lock, the release record, the changelog,
the preview and the caches all go through ``atomic_write_bytes``.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def atomic_write_bytes(target: Path, data: bytes, *, durable: bool = True) -> None:
    """Write ``data`` to ``target`` through a temporary file in the same folder and a rename.

    With ``durable`` (the default: what an author publishes or commits), the file and then
    its folder are flushed to disk before this returns, so that a crash or power cut leaves
    the old file or the new one. A cache, which is rebuilt when lost, passes ``False``.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        os.chmod(temp_name, 0o644)
        os.replace(temp_name, target)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    if durable:
        _sync_folder(target.parent)


def _sync_folder(folder: Path) -> None:
    """Flush the folder entry of a renamed file (POSIX); where a folder cannot be opened so
    (Windows), the rename is as durable as the system makes it."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
