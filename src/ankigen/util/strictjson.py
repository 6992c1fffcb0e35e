"""JSON as ankigen's committed files hold it: whole numbers of at most 19 digits, no
``Infinity``, ``NaN`` or fractions.

The lock and the release record change in pull requests and are edited by hand; a value
Python's ``json`` accepts (``1e999`` is infinity, ``NaN`` a number, a 5,000-digit integer
past Python's digit limit, brackets 100,000 deep) must be a plain ``ValueError`` with a
message, never a traceback or a wrong id.
"""

from __future__ import annotations

import json
from typing import Any

MAX_DIGITS = 19  # 2**63 - 1 has 19 digits
ID_LIMIT = 1 << 63  # Anki's ids and times are signed 64-bit integers


class JsonValueError(ValueError):
    """A value ``loads`` refuses; ``line`` (1-based) is where it first stands."""

    def __init__(self, token: str, message: str) -> None:
        super().__init__(message)
        self.token = token
        self.line = 1


def _integer(text: str) -> int:
    if len(text.lstrip("-")) > MAX_DIGITS:
        raise JsonValueError(text, f"the number {text[:20]}… has more than {MAX_DIGITS} digits")
    return int(text)


def _fraction(text: str) -> int:
    raise JsonValueError(text, f"{text[:20]} is not a whole number")


def _constant(text: str) -> Any:
    raise JsonValueError(text, f"{text} is not a number JSON allows")


def loads(text: str) -> Any:
    """``json.loads`` of ``text``, refusing what no file of ankigen's holds; a
    ``json.JSONDecodeError`` (with its line) when it is not JSON, else a ``ValueError``."""
    try:
        return json.loads(
            text, parse_int=_integer, parse_float=_fraction, parse_constant=_constant
        )
    except JsonValueError as exc:
        found = text.find(exc.token)
        exc.line = text.count("\n", 0, found) + 1 if found >= 0 else 1
        raise
    except RecursionError:  # the C parser counts its depth: no crash, just this
        raise ValueError("brackets nested deeper than any file ankigen writes") from None


def whole(value: Any, what: str, low: int = 1, high: int = ID_LIMIT - 1) -> int:
    """``value`` if it is a whole number from ``low`` to ``high``; else ``ValueError``
    saying ``what`` it should have been."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{what} is {type(value).__name__} {str(value)[:40]!r}, not a number")
    if not low <= value <= high:
        raise ValueError(f"{what} is {value}, not from {low} to {high}")
    return value
