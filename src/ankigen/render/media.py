"""Render stage, images: find the file a card's ``![alt](images/x.png)`` means and name it.

A learner's Anki keeps every deck's media in one flat folder, so a name like ``x.png`` would
collide with other decks (and with the next version of this one). Each image is therefore
shipped as ``ankigen-<first 16 hex digits of its SHA-256><suffix>``: the name changes exactly
when the content does, and the same picture used by two cards is one file.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

MEDIA_PREFIX = "ankigen-"
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp")
MEDIA_NAME = re.compile(r"ankigen-[0-9a-f]{16}\.(?:png|jpg|jpeg|gif|svg|webp)")
SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


@dataclass(frozen=True)
class MediaFile:
    """An image as it goes into the package: its content-hash name and its bytes."""

    name: str
    data: bytes


def media_name(data: bytes, suffix: str) -> str:
    """The name an image with ``data`` is shipped under."""
    return f"{MEDIA_PREFIX}{hashlib.sha256(data).hexdigest()[:16]}{suffix.lower()}"


def resolve_image(src: str, card_path: Path | None, cards_dir: Path | None) -> MediaFile | str:
    """The image ``src`` of the card at ``card_path`` refers to, or what is wrong with it.

    ``src`` is relative to the card file and must stay inside ``cards_dir``.
    """
    if src.startswith("//") or re.match(r"^https?:", src, re.IGNORECASE):
        return (
            f"image {src} is on the web: save it in the cards folder and link it by a "
            "relative path (a card must work offline, and a remote image reveals the "
            "learner's IP address)"
        )
    if SCHEME.match(src):
        return f"image {_short(src)} is not a file: link an image file in the cards folder"
    if card_path is None or cards_dir is None:
        return f"image {src}: no card file to find it from"
    relative = unquote(src.split("#", 1)[0].split("?", 1)[0])
    if not relative or relative.startswith("/"):
        return f"image {src}: use a path relative to the card file, like images/figure.png"
    target = card_path.parent / relative
    try:
        inside = target.resolve().is_relative_to(cards_dir.resolve())
    except (OSError, RuntimeError):  # a symlink loop
        return f"image {src} cannot be read (a symlink loop?)"
    if not inside:
        return f"image {src} is outside the cards folder: keep images inside it"
    suffix = target.suffix.lower()
    if suffix not in IMAGE_SUFFIXES:
        shown = ", ".join(s.lstrip(".") for s in IMAGE_SUFFIXES)
        return f"image {src} is not an image type Anki shows ({shown})"
    if not target.exists():
        return f"image {src} not found (paths are relative to the card file)"
    try:
        data = target.read_bytes()
    except OSError as exc:
        return f"image {src} cannot be read: {exc.strerror or exc}"
    return MediaFile(media_name(data, suffix), data)


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
