"""Anki's own sync server (``python -m anki.syncserver``), the one phones speak to, on loopback.

Every wait is bounded and the server is stopped at the end, even when the test fails.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from anki.collection import Collection

USER, PASSWORD = "learner", "correct horse"
START_TIMEOUT = 30.0
MEDIA_TIMEOUT = 60.0
CALL_TIMEOUT = 60.0  # one sync request; Anki's own HTTP timeouts are longer


@dataclass(frozen=True)
class SyncServer:
    """A running server: where to reach it."""

    url: str


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def sync_server(base: Path) -> Iterator[SyncServer]:
    """Start the server with one user, wait until it answers, stop it afterwards."""
    port = free_port()
    env = {
        **os.environ,
        "SYNC_USER1": f"{USER}:{PASSWORD}",
        "SYNC_BASE": str(base),
        "SYNC_HOST": "127.0.0.1",
        "SYNC_PORT": str(port),
    }
    log = (base.parent / "syncserver.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "anki.syncserver"], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"sync server exited with {process.returncode}; see {log.name}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise TimeoutError("sync server did not start") from None
                time.sleep(0.1)
        yield SyncServer(f"http://127.0.0.1:{port}/")
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        log.close()


def bounded(call: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``call(*args, **kwargs)``, or ``TimeoutError`` when it takes over ``CALL_TIMEOUT``.

    The call runs in a thread of its own; if it hangs, the test fails and the server, stopped
    on the way out, ends it.
    """
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = call(*args, **kwargs)
        except BaseException as exc:  # handed to the caller below
            outcome["error"] = exc

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(CALL_TIMEOUT)
    if worker.is_alive():
        raise TimeoutError(f"{call.__name__} did not finish in {CALL_TIMEOUT:.0f} s")
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


def sync(col: Collection, server: SyncServer) -> Any:
    """Sync ``col`` as a device does: normal sync, or the full up/download it asks for; media too."""
    auth = bounded(col.sync_login, USER, PASSWORD, server.url)
    out = bounded(col.sync_collection, auth, sync_media=False)
    if out.required in (out.FULL_SYNC, out.FULL_UPLOAD, out.FULL_DOWNLOAD):
        upload = out.required == out.FULL_UPLOAD or (
            out.required == out.FULL_SYNC and col.card_count() > 0
        )
        col.close_for_full_sync()
        bounded(
            col.full_upload_or_download, auth=auth, server_usn=out.server_media_usn, upload=upload
        )
        col.reopen(after_full_sync=True)
    bounded(col.sync_media, auth)
    deadline = time.monotonic() + MEDIA_TIMEOUT
    while col.media_sync_status().active:
        if time.monotonic() > deadline:
            raise TimeoutError("media sync did not finish")
        time.sleep(0.1)
    return out
