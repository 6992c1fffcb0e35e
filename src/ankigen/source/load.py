"""Stage 1: find card files under the cards folder and split each into front matter and body."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from ankigen.errors import AnkigenError, Problem, display_path
from ankigen.source.controls import control_problems
from ankigen.source.yamlsource import YamlMapping, YamlSyntaxError, parse_mapping
from ankigen.util.files import CARD_LIMIT, read_regular

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
    return [path for _, path, _ in discover_named(cards_dir)]


def discover_named(
    cards_dir: Path, others: list[str] | None = None
) -> list[tuple[str, Path, bool]]:
    """``discover``, each path with its name below ``cards_dir`` (``/``-separated) and
    whether it is a link; a link named ``*.md`` is kept even when it leads nowhere, and so
    is a FIFO or a device, so that reading it reports why. Every other visible file's path
    goes to ``others`` when given (``source.strays`` looks at them): one walk for both.
    """
    found: list[tuple[str, str, bool]] = []
    for name, entry in walk_files(os.fspath(cards_dir), _visible):
        if not _visible(entry):
            continue
        if entry.name.endswith(CARD_SUFFIX):
            found.append((name, entry.path, entry.is_symlink()))
        elif others is not None:
            others.append(entry.path)
    unnamed = [_not_utf8(path) for name, path, _ in found if not _is_utf8(name)]
    if unnamed:
        raise AnkigenError(unnamed)
    found.sort()
    return [(name, Path(path), link) for name, path, link in found]


def _is_utf8(name: str) -> bool:
    """Whether ``name`` came from bytes that are UTF-8 (Python reads others as surrogates)."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _not_utf8(path: str) -> Problem:
    """A card file (or a folder above it) whose name is not UTF-8: the bytes as ``\\xff``."""
    shown = os.fsencode(display_path(Path(path))).decode("utf-8", "backslashreplace")
    return Problem(
        shown,
        1,
        "the file name (or its folder's) is not valid UTF-8: rename it, since Anki, git "
        "and other systems could not name it alike",
    )


def _visible(entry: os.DirEntry[str]) -> bool:
    return not entry.name.startswith(".")


def walk_files(
    root: str, enter: Callable[[os.DirEntry[str]], bool]
) -> Iterator[tuple[str, os.DirEntry[str]]]:
    """Every entry below ``root`` that is not a folder, with its name below ``root``
    (``/``-separated). A folder is entered when ``enter`` says so, a linked folder never (a
    link may lead in a loop). A folder that cannot be listed is an ``AnkigenError`` naming
    it: passed over, its cards would count as removed, and a release would retire them.
    A ``root`` that is not there lists nothing (the caller says what is missing).
    """
    pending = [""]
    while pending:
        relative = pending.pop()
        folder = os.path.join(root, relative) if relative else root
        try:
            listed = _listing(folder)
        except FileNotFoundError:
            if relative:
                raise AnkigenError([_unlisted(folder, "it vanished while being read")]) from None
            continue
        except OSError as exc:
            raise AnkigenError([_unlisted(folder, exc.strerror or str(exc))]) from None
        for entry in listed:
            below = f"{relative}/{entry.name}" if relative else entry.name
            if entry.is_dir(follow_symlinks=False):
                if enter(entry):
                    pending.append(below)
            else:
                yield below, entry


def _listing(folder: str) -> list[os.DirEntry[str]]:
    """The entries of ``folder``, read whole (an error comes before any entry is used)."""
    with os.scandir(folder) as entries:
        return list(entries)


def _unlisted(folder: str, reason: str) -> Problem:
    return Problem(
        display_path(Path(folder)),
        1,
        f"cannot read this folder ({reason}): its cards would count as removed; make it "
        "readable (chmod u+rx), or move it out of the cards folder",
    )


def read_card(path: Path, data: bytes | None = None, shown: str | None = None) -> RawCard | Problem:
    """Read one card file; return the problem instead when it cannot be read at all.

    ``data`` is the file's content when the caller has read it already, ``shown`` its
    ``display_path``.
    """
    shown = display_path(path) if shown is None else shown
    if data is None:
        try:
            data = read_regular(path, CARD_LIMIT, "a card file")
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
    controls = control_problems(text, shown)
    if controls:
        first, more = controls[0], [str(p.line) for p in controls[1:]]
        also = f" (and on line{'s' if len(more) > 1 else ''} {', '.join(more)})" if more else ""
        return replace(first, message=first.message + also)
    lines = text.split("\n")
    if not lines or lines[0].rstrip() != FENCE:
        from ankigen.source.strays import SKIPPED, not_a_card  # it imports this module

        if not_a_card(path, text):
            return Problem.warning(shown, 1, SKIPPED)
        return Problem(shown, 1, "missing front matter: a card starts with a line `---`")
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].rstrip() == FENCE)
    except StopIteration:
        return Problem(shown, 1, "front matter is not closed by a line `---`")
    try:
        front = parse_mapping("\n".join(lines[1:end]), first_line=2)
    except YamlSyntaxError as exc:
        return Problem(shown, exc.line, f"front matter: {exc.message}", column=exc.column)
    return RawCard(path, shown, front, "\n".join(lines[end + 1 :]), end + 2)


def display_paths(paths: Sequence[Path]) -> list[str]:
    """``display_path`` of every path, resolving each folder once rather than every file."""
    if os.sep != "/":
        return [display_path(path) for path in paths]
    cwd = os.path.realpath(os.getcwd())
    prefix = cwd.rstrip("/") + "/"
    folders: dict[str, str] = {}
    shown: list[str] = []
    for path in paths:
        text = os.fspath(path)
        if os.path.islink(text):  # the file itself resolves elsewhere: the slow, general way
            shown.append(display_path(path))
            continue
        parent, name = os.path.split(text)
        folder = folders.get(parent)
        if folder is None:
            folder = folders[parent] = os.path.realpath(parent or ".")
        full = os.path.join(folder, name)
        shown.append(full[len(prefix) :] if full.startswith(prefix) else path.as_posix())
    return shown


def display_named(cards_dir: Path, named: Sequence[tuple[str, Path, bool]]) -> list[str]:
    """``display_path`` of every card file ``discover_named`` found below ``cards_dir``.

    ``discover_named`` enters no linked folder, so a file that is not a link itself resolves
    to the resolved cards folder and its name: one ``realpath`` for the whole deck.
    """
    if os.sep != "/":
        return [display_path(path) for _, path, _ in named]
    prefix = os.path.realpath(os.getcwd()).rstrip("/") + "/"
    base = os.path.realpath(cards_dir).rstrip("/") + "/"
    shown: list[str] = []
    for name, path, link in named:
        if link:
            shown.append(display_path(path))
            continue
        full = base + name
        shown.append(full[len(prefix) :] if full.startswith(prefix) else path.as_posix())
    return shown
