"""The command line: thin wrappers that call the library and turn its errors into messages.

``base`` holds the ``ankigen`` group and what its commands share; each other module adds a
few commands to it.
"""

from __future__ import annotations

from ankigen.cli import (  # noqa: F401 - each adds its commands
    building,
    cards,
    releasing,
    serving,
    starting,
)
from ankigen.cli.base import main

__all__ = ["main"]
