"""Render stage, media: find the file a card's ``![alt](images/x.png)`` or
``[sound:audio/x.mp3]`` means and name it.

A learner's Anki keeps every deck's media in one flat folder, so a name like ``x.png`` would
collide with other decks (and with the next version of this one). Each file is therefore
shipped as ``ankigen-<first 16 hex digits of its SHA-256><suffix>``: the name changes exactly
when the content does, and the same picture used by two cards is one file.

Anki plays ``[sound:name]`` wherever it stands in a field, so every one in a rendered field
is bundled (``bundle_sounds``), whatever Markdown made of the text around it.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from html import unescape as html_unescape
from pathlib import Path
from urllib.parse import unquote

from ankigen.util.files import MEDIA_LIMIT, read_regular

MEDIA_PREFIX = "ankigen-"
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp")
AUDIO_SUFFIXES = (".mp3", ".ogg", ".wav", ".m4a", ".opus", ".webm", ".flac")
SOUND = re.compile(r"\[sound:([^\]]*)\]")  # as Anki reads it, in any field
# what in a card file makes its HTML depend on other files: such a card is never cached
MEDIA_MARKS = (b"![", b"[sound:", b"<img")
MEDIA_NAME = re.compile(r"ankigen-[0-9a-f]{16}\.(?:png|jpg|jpeg|gif|svg|webp)")  # images
SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


@dataclass(frozen=True)
class MediaFile:
    """An image or audio file as it goes into the package: its content-hash name and bytes."""

    name: str
    data: bytes


def media_name(data: bytes, suffix: str) -> str:
    """The name an image with ``data`` is shipped under."""
    return f"{MEDIA_PREFIX}{hashlib.sha256(data).hexdigest()[:16]}{suffix.lower()}"


def style_media_name(data: bytes, suffix: str) -> str:
    """The name a font or image that a stylesheet names is shipped under: ``media_name``
    with a leading underscore, since no note names it and Check Media would delete it."""
    return "_" + media_name(data, suffix)


def resolve_image(src: str, card_path: Path | None, cards_dir: Path | None) -> MediaFile | str:
    """The image ``src`` of the card at ``card_path`` refers to, or what is wrong with it.

    ``src`` is relative to the card file and must stay inside ``cards_dir``.
    """
    return _resolve(src, card_path, cards_dir, _IMAGE)


def resolve_sound(src: str, card_path: Path | None, cards_dir: Path | None) -> MediaFile | str:
    """The audio file ``[sound:src]`` of the card at ``card_path`` refers to, or what is
    wrong with it; as for images, ``src`` is relative to the card file."""
    return _resolve(src, card_path, cards_dir, _AUDIO)


@dataclass(frozen=True)
class _Kind:
    noun: str  # "image"
    plural: str  # "images"
    example: str  # "images/figure.png"
    suffixes: tuple[str, ...]
    what: str  # "an image type Anki shows"


_IMAGE = _Kind("image", "images", "images/figure.png", IMAGE_SUFFIXES, "an image type Anki shows")
_AUDIO = _Kind("audio file", "audio files", "audio/word.mp3", AUDIO_SUFFIXES, "audio Anki plays")


def _resolve(
    src: str, card_path: Path | None, cards_dir: Path | None, kind: _Kind
) -> MediaFile | str:
    noun = kind.noun
    if src.startswith("//") or re.match(r"^https?:", src, re.IGNORECASE):
        return (
            f"{noun} {src} is on the web: save it in the cards folder and link it by a "
            f"relative path (a card must work offline, and a remote {noun} reveals the "
            "learner's IP address)"
        )
    if SCHEME.match(src):
        article = "an" if noun[0] in "aeiou" else "a"
        return f"{noun} {_short(src)} is not a file: link {article} {noun} in the cards folder"
    if card_path is None or cards_dir is None:
        return f"{noun} {src}: no card file to find it from"
    relative = unquote(src.split("#", 1)[0].split("?", 1)[0])
    if not relative or relative.startswith("/"):
        return f"{noun} {src}: use a path relative to the card file, like {kind.example}"
    target = card_path.parent / relative
    try:
        inside = target.resolve().is_relative_to(cards_dir.resolve())
    except (OSError, RuntimeError):  # a symlink loop
        return f"{noun} {src} cannot be read (a symlink loop?)"
    if not inside:
        return f"{noun} {src} is outside the cards folder: keep {kind.plural} inside it"
    suffix = target.suffix.lower()
    if suffix not in kind.suffixes:
        shown = ", ".join(s.lstrip(".") for s in kind.suffixes)
        return f"{noun} {src} is not {kind.what} ({shown})"
    if not target.exists():
        return f"{noun} {src} not found (paths are relative to the card file)"
    try:
        data = read_regular(target, MEDIA_LIMIT, f"an {kind.noun}")
    except OSError as exc:
        return f"{noun} {src} cannot be read: {exc.strerror or exc}"
    return MediaFile(media_name(data, suffix), data)


def bundle_sounds(
    html: str, card_path: Path | None, cards_dir: Path | None
) -> tuple[str, list[MediaFile], list[tuple[str, str]]]:
    """``html`` with each ``[sound:path]`` naming its bundled file, the files, and what is
    wrong with the others, as (the source as written, message)."""
    files: list[MediaFile] = []
    wrong: list[tuple[str, str]] = []

    def name(match: re.Match[str]) -> str:
        written = match.group(1)
        found = resolve_sound(html_unescape(written).strip(), card_path, cards_dir)
        if isinstance(found, str):
            wrong.append((written, found))
            return match.group(0)
        files.append(found)
        return f"[sound:{found.name}]"

    return SOUND.sub(name, html), files, wrong


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
