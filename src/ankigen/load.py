"""Stage 1: find card files under the cards folder and split each into front matter and body."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .errors import Problem, display_path
from .yamlsource import YamlMapping, YamlSyntaxError, parse_mapping

CARD_SUFFIX = ".md"
FENCE = "---"


@dataclass(frozen=True)
class RawCard:
    """A card file read from disk: its front matter parsed, its Markdown body untouched."""

    path: Path
    shown: str
    front: YamlMapping
    body: str
    body_line: int  # line in the file where ``body`` starts


def discover(cards_dir: Path) -> list[Path]:
    """Every ``*.md`` below ``cards_dir``, skipping hidden files and folders, in sorted order."""
    found: list[tuple[str, Path]] = []
    for path in cards_dir.rglob(f"*{CARD_SUFFIX}"):
        relative = path.relative_to(cards_dir)
        if any(part.startswith(".") for part in relative.parts):
            continue
        # a link that leads nowhere (or in a loop) is kept, so that reading it reports why
        if path.is_file() or path.is_symlink():
            found.append((relative.as_posix(), path))
    return [path for _, path in sorted(found, key=lambda item: item[0])]


def read_card(path: Path, data: bytes | None = None, shown: str | None = None) -> RawCard | Problem:
    """Read one card file; return the problem instead when it cannot be read at all.

    ``data`` is the file's content when the caller has read it already, ``shown`` its
    ``display_path``.
    """
    shown = display_path(path) if shown is None else shown
    if data is None:
        try:
            data = path.read_bytes()
        except OSError as exc:
            return Problem(shown, 1, f"cannot read file: {exc.strerror or exc}")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        return Problem(
            shown, line, f"not valid UTF-8 (byte 0x{data[exc.start]:02x}); save the file as UTF-8"
        )
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    if not lines or lines[0].rstrip() != FENCE:
        return Problem(shown, 1, "missing front matter: a card starts with a line `---`")
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].rstrip() == FENCE)
    except StopIteration:
        return Problem(shown, 1, "front matter is not closed by a line `---`")
    try:
        front = parse_mapping("\n".join(lines[1:end]), first_line=2)
    except YamlSyntaxError as exc:
        return Problem(shown, exc.line, f"front matter: {exc.message}")
    return RawCard(path, shown, front, "\n".join(lines[end + 1 :]), end + 2)
