"""Render stage, stylesheet: an author's CSS file for a note type, read safely, with the fonts
and images it names bundled.

Anki puts a note type's CSS in a ``<style>`` element of every card it shows, in a web view
with scripts enabled, on every learner's device. So a stylesheet is refused, with each
problem at its line (all of them in one run), when it could load anything from outside the
package or reach out of that element:

- ``url(…)`` (bare, ``"…"`` or ``'…'``) must name a file relative to the CSS file that
  exists, is a regular file, stays inside the cards folder once symlinks are resolved, is a
  font (woff2, woff, ttf, otf) or an image (png, jpg, jpeg, gif, svg, webp), and is at most
  16 MiB. It is bundled as ``_ankigen-<first 16 hex digits of its SHA-256><suffix>`` and the
  url rewritten to that name, quoted; a ``?query`` is dropped and a ``#fragment`` kept. The
  leading underscore makes Anki's Check Media keep the file although no note names it.
  ``url(#id)`` (an element of the page, as SVG filters use) is left alone.
- Web addresses (``http:``, ``https:``, ``//host``), ``data:`` URIs and any other scheme are
  refused: the file is to be saved in the cards folder, so that a card works offline and
  tells no server the learner's address, and a font is one file in the package, not a copy
  inside every note type.
- ``@import``, ``expression(``, ``javascript:``, ``behavior:``, ``-moz-binding`` and
  ``image()``/``image-set()``/``src()`` (which load a file from a plain string) are refused.
- ``<`` is refused anywhere, comments and strings included: the HTML parser does not know
  CSS, so ``</style`` would end the element wherever it stands.
- **Escapes.** A backslash escape outside a string (``\\75 rl(`` is ``url(``, ``@\\69mport``
  is ``@import``) is refused rather than decoded: no hand-written stylesheet needs one, and
  refusing leaves nothing for a decoder to get wrong. Inside a string escapes are ordinary
  (an icon font's ``content: "\\f101"``); a string inside ``url()`` is decoded before its
  path is checked, so ``url("\\2e\\2e/x.woff2")`` is caught leaving the cards folder.
- Comments are blanked (keeping their line breaks) before the scan, so a ``url(http://…)``
  in a comment is no error and a comment cannot split a keyword away from the scan. An
  unclosed comment or string and an unbalanced brace are errors too: they would swallow the
  CSS that follows this file in the note type.
- Control characters, bytes that are not UTF-8 and a file over 256 KiB are refused.

The CSS is otherwise kept as written (line breaks made ``\\n``), so the same file and fonts
give the same ``Stylesheet``.
"""

from __future__ import annotations

import re
import stat
from bisect import bisect_right
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

from ankigen.errors import Problem
from ankigen.render.media import IMAGE_SUFFIXES, SCHEME, MediaFile, style_media_name
from ankigen.source.controls import CONTROL, control_problems

FONT_SUFFIXES = (".woff2", ".woff", ".ttf", ".otf")
STYLE_SUFFIXES = FONT_SUFFIXES + IMAGE_SUFFIXES
MAX_CSS_BYTES = 256 * 1024
MAX_FILE_BYTES = 16 * 1024 * 1024
SAVE_INSIDE = "save the file inside the cards folder and name it relative to the CSS file"

_OPENER = re.compile(r"/\*|[\"']")
_STRING_BODY = {q: re.compile(rf"(?:[^{q}\\\n]|\\.|\\\Z)*", re.S) for q in "\"'"}
_ESCAPE = re.compile(r"\\(?:([0-9A-Fa-f]{1,6})[ \t\n]?|(.)|\Z)", re.S)
_URL = re.compile(r"(?<![\w-])url\(\s*", re.I)
_BARE_URL = re.compile(r"([^\s\"'()\\]*)\s*\)")
_QUOTED_URL_END = re.compile(r"[\"']\s*\)")
_FRAGMENT = re.compile(r"[\w.:-]*")
_REFUSED: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(r"@import", re.I),
        "@import is not allowed: paste the rules of the imported file into this one",
    ),
    (
        re.compile(r"(?<![\w-])expression\s*\(", re.I),
        "expression() runs script in old browsers: remove it",
    ),
    (re.compile(r"javascript\s*:", re.I), "javascript: runs script: remove it"),
    (
        re.compile(r"(?<![\w-])behavior\s*:|-moz-binding", re.I),
        "behavior and -moz-binding attach script to elements: remove them",
    ),
    (
        re.compile(r"(?<![\w-])(?:-webkit-)?(?:image-set|image|src)\s*\(", re.I),
        "image(), image-set() and src() are not allowed (they load files ankigen cannot "
        "check): name one file with url(…) instead",
    ),
    (
        re.compile(r"\\"),
        "a backslash escape outside a string is not allowed (it can hide url( or @import): "
        "write the character itself",
    ),
)
_ANGLE = (
    "'<' is not allowed in a stylesheet (Anki puts the CSS in a <style> element, which "
    "</style would end): delete it from comments, write \\3c inside a string, and use "
    "min-width/max-width instead of < in a media query"
)


@dataclass(frozen=True)
class Stylesheet:
    """A note type's CSS as it goes into the package and the files it names."""

    css: str  # the CSS as it goes into the note type, urls rewritten
    media: tuple[MediaFile, ...]  # files it names, sorted by name


@dataclass
class _Scan:
    """The CSS with comments blanked and string contents made spaces (``code``; the same
    length and line breaks as the text), each string's decoded value by the offset of its
    opening quote, and what is malformed, as (offset, message)."""

    code: str
    strings: dict[int, str] = field(default_factory=dict)
    wrong: list[tuple[int, str]] = field(default_factory=list)


def load_stylesheet(
    path: Path, cards_dir: Path, shown: str
) -> tuple[Stylesheet | None, list[Problem]]:
    """The stylesheet at ``path`` (shown in messages as ``shown``) with the files it names
    bundled, or ``None`` when it has an error; and its problems, sorted.

    ``cards_dir`` is the cards folder the CSS file and every file it names must stay inside.
    """
    read = _read_css(path, cards_dir, shown)
    if isinstance(read, Problem):
        return None, [read]
    text = read.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    newlines = [i for i, char in enumerate(text) if char == "\n"]

    def line_of(offset: int) -> int:
        return bisect_right(newlines, offset - 1) + 1

    scan = _scan(text)
    found = [(line_of(offset), message) for offset, message in scan.wrong]
    found += [(line_of(offset), message) for offset, message in _refusals(text, scan.code)]
    css, media, wrong = _bundle(text, scan, path, cards_dir)
    found += [(line_of(offset), message) for offset, message in wrong]
    problems = control_problems(text, shown) + [Problem(shown, n, m) for n, m in set(found)]
    if problems:
        return None, sorted(problems)
    return Stylesheet(css, tuple(sorted(media.values(), key=lambda f: f.name))), []


def _read_css(path: Path, cards_dir: Path, shown: str) -> str | Problem:
    """The text of the CSS file, or the one problem that stops it being read at all."""
    try:
        info = path.stat()
        inside = path.resolve().is_relative_to(cards_dir.resolve())
    except FileNotFoundError:
        return Problem(shown, 1, "stylesheet not found: create it or correct its name")
    except (OSError, RuntimeError) as exc:  # RuntimeError: a symlink loop
        return Problem(shown, 1, f"stylesheet cannot be read ({exc}): replace it by a file")
    if not stat.S_ISREG(info.st_mode):
        return Problem(shown, 1, "stylesheet is not a regular file: name a .css file")
    if not inside:
        return Problem(shown, 1, "stylesheet is outside the cards folder: move it inside")
    if info.st_size > MAX_CSS_BYTES:
        return Problem(
            shown,
            1,
            f"stylesheet is {_size(info.st_size)}; at most {_size(MAX_CSS_BYTES)} is allowed: "
            "remove unused rules (fonts and images go in their own files, named by url())",
        )
    try:
        with path.open("rb") as file:
            data = file.read(MAX_CSS_BYTES + 1)
    except OSError as exc:
        return Problem(shown, 1, f"stylesheet cannot be read: {exc.strerror or exc}")
    if len(data) > MAX_CSS_BYTES:  # it grew since the stat
        return Problem(shown, 1, f"stylesheet is over {_size(MAX_CSS_BYTES)}: shorten it")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        return Problem(
            shown,
            line,
            f"{shown} is not valid UTF-8 (byte 0x{data[exc.start]:02x}): save it as UTF-8",
        )


def _scan(text: str) -> _Scan:
    """Find the comments and strings of ``text`` (see ``_Scan``)."""
    pieces: list[str] = []
    scan = _Scan("")
    position = 0
    while opener := _OPENER.search(text, position):
        start = opener.start()
        pieces.append(text[position:start])
        if opener.group() == "/*":
            end = text.find("*/", start + 2)
            if end < 0:
                scan.wrong.append((start, "comment never closed: close it with */"))
                end = len(text)
            else:
                end += 2
            pieces.append(_blank(text[start:end]))
        else:
            quote = opener.group()
            body = _STRING_BODY[quote].match(text, start + 1)
            assert body is not None  # the pattern matches the empty string
            end = body.end()
            if end < len(text) and text[end] == quote:
                scan.strings[start] = _decode(body.group())
                pieces.append(quote + _blank(body.group()) + quote)
                end += 1
            else:
                scan.wrong.append((start, f"string not closed on its line: end it with {quote}"))
                pieces.append(_blank(text[start:end]))
        position = end
    pieces.append(text[position:])
    scan.code = "".join(pieces)
    return scan


def _refusals(text: str, code: str) -> list[tuple[int, str]]:
    """(offset, message) of each refused construct and unbalanced brace (see the module's
    docstring); ``<`` is looked for in ``text``, the rest in ``code``."""
    found = [(m.start(), _ANGLE) for m in re.finditer("<", text)]
    for pattern, message in _REFUSED:
        found += [(m.start(), message) for m in pattern.finditer(code)]
    opened: list[int] = []
    for brace in re.finditer(r"[{}]", code):
        if brace.group() == "{":
            opened.append(brace.start())
        elif opened:
            opened.pop()
        else:
            found.append((brace.start(), "this } closes no {: delete it"))
    found += [(offset, "this { is never closed: close it with }") for offset in opened]
    return found


def _bundle(
    text: str, scan: _Scan, css_path: Path, cards_dir: Path
) -> tuple[str, dict[str, MediaFile], list[tuple[int, str]]]:
    """``text`` with each ``url()`` naming its bundled file, the files by name, and what is
    wrong with the others, as (offset, message)."""
    pieces: list[str] = []
    media: dict[str, MediaFile] = {}
    wrong: list[tuple[int, str]] = []
    read: dict[Path, MediaFile | str] = {}
    position = 0
    for url in _URL.finditer(scan.code):
        written = _url_value(scan, url.end())
        if written is None:
            wrong.append((url.start(), 'url( is not closed or holds a space: write url("path")'))
            continue
        value, end = written
        if value.startswith("#"):  # an element of the page, not a file
            continue
        found = _resolve(value, css_path, cards_dir, read)
        if isinstance(found, str):
            wrong.append((url.start(), found))
            continue
        file, fragment = found
        media[file.name] = file
        pieces += [text[position : url.start()], f'url("{file.name}{fragment}")']
        position = end
    pieces.append(text[position:])
    return "".join(pieces), media, wrong


def _url_value(scan: _Scan, start: int) -> tuple[str, int] | None:
    """The value of the ``url(`` whose argument starts at offset ``start`` and the offset
    after its ``)``; ``None`` when it is malformed."""
    code = scan.code
    if start < len(code) and code[start] in "\"'":
        value = scan.strings.get(start)
        close = _QUOTED_URL_END.match(code, code.find(code[start], start + 1))
        if value is None or close is None:
            return None
        return value, close.end()
    bare = _BARE_URL.match(code, start)
    return None if bare is None else (bare.group(1), bare.end())


def _resolve(
    value: str, css_path: Path, cards_dir: Path, read: dict[Path, MediaFile | str]
) -> tuple[MediaFile, str] | str:
    """The file ``url(value)`` of the CSS file at ``css_path`` names and the ``#fragment``
    to keep, or what is wrong with it. ``read`` holds the files read so far."""
    if value.startswith("//") or re.match(r"https?:", value, re.I):
        return (
            f"{_short(value)} is on the web: {SAVE_INSIDE} (a card must work offline, and a "
            "remote file reveals the learner's IP address)"
        )
    if re.match(r"data:", value, re.I):
        return f"a data: URI is not allowed: {SAVE_INSIDE}"
    if SCHEME.match(value):
        return f"{_short(value)} is not a file: {SAVE_INSIDE}"
    path_part, _, fragment = value.split("?", 1)[0].partition("#")
    relative = unquote(path_part)
    if not relative or relative.startswith("/") or CONTROL.search(relative):
        return f"url({_short(value)}) is not a relative path: {SAVE_INSIDE}"
    if not _FRAGMENT.fullmatch(fragment):
        return f"url({_short(value)}): keep only letters, digits and - _ . : after the #"
    target = css_path.parent / relative
    try:
        inside = target.resolve().is_relative_to(cards_dir.resolve())
    except (OSError, RuntimeError):  # a symlink loop
        return f"{_short(value)} cannot be read (a symlink loop?): {SAVE_INSIDE}"
    if not inside:
        return f"{_short(value)} is outside the cards folder: {SAVE_INSIDE}"
    suffix = target.suffix.lower()
    if suffix not in STYLE_SUFFIXES:
        shown = ", ".join(s.lstrip(".") for s in STYLE_SUFFIXES)
        return f"{_short(value)} is not a font or image a stylesheet may name ({shown})"
    key = target.resolve()
    if key not in read:
        read[key] = _read_file(target, value, suffix)
    found = read[key]
    return found if isinstance(found, str) else (found, f"#{fragment}" if fragment else "")


def _read_file(target: Path, value: str, suffix: str) -> MediaFile | str:
    """The bundled file at ``target`` (named ``value`` in the CSS), or what is wrong."""
    try:
        info = target.stat()
    except FileNotFoundError:
        return (
            f"{_short(value)} not found: check its name ({SAVE_INSIDE}; the path is relative "
            "to the CSS file)"
        )
    except OSError as exc:
        return f"{_short(value)} cannot be read: {exc.strerror or exc}"
    if not stat.S_ISREG(info.st_mode):
        return f"{_short(value)} is not a regular file: name a font or image file"
    if info.st_size > MAX_FILE_BYTES:
        return (
            f"{_short(value)} is {_size(info.st_size)}; a file a stylesheet names may be at "
            f"most {_size(MAX_FILE_BYTES)}: subset the font or shrink the image"
        )
    try:
        with target.open("rb") as file:
            data = file.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        return f"{_short(value)} cannot be read: {exc.strerror or exc}"
    if len(data) > MAX_FILE_BYTES:
        return f"{_short(value)} is over {_size(MAX_FILE_BYTES)}: subset or shrink it"
    return MediaFile(style_media_name(data, suffix), data)


def _decode(body: str) -> str:
    """A CSS string's content with its escapes decoded, as CSS Syntax does: ``\\`` with up
    to six hex digits (and one space after) is that code point, U+FFFD for 0, a surrogate or
    beyond Unicode; ``\\`` and a line break is nothing; ``\\`` and another character is it."""

    def one(match: re.Match[str]) -> str:
        digits, other = match.groups()
        if digits:
            point = int(digits, 16)
            valid = 0 < point <= 0x10FFFF and not 0xD800 <= point <= 0xDFFF
            return chr(point) if valid else "\ufffd"
        return "" if other is None or other == "\n" else other

    return _ESCAPE.sub(one, body)


def _blank(text: str) -> str:
    """``text`` with every character but its line breaks made a space."""
    return re.sub(r"[^\n]", " ", text)


def _size(size: int) -> str:
    return f"{size / 1024:.0f} KiB" if size < 1024 * 1024 else f"{size / 1048576:.1f} MiB"


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
