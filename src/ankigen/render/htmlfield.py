"""Render stage, a section kept as HTML (``html: [Back]`` in a card's front matter): the
field's HTML as it was, as ``ankigen adopt`` found it in a package, not Markdown.

Nothing of Markdown or formulas touches it: ``\\(…\\)`` stays as written. Its images
(``<img src="../media/x.png">``, relative to the card file) are bundled like Markdown ones,
its ``[sound:…]`` too, and it passes the same allow-list sanitizer: what the sanitizer
removes is a warning at its line, and the card file keeps it, so nothing is lost.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

from ankigen.errors import Problem
from ankigen.render.cloze import OPEN
from ankigen.render.media import MEDIA_PREFIX, MediaFile, bundle_sounds, resolve_image
from ankigen.render.sanitize import clean, removed_parts
from ankigen.source.validate import Section

IMG_SRC = re.compile(r"""(<img\b[^>]*?\bsrc\s*=\s*)(?:"([^"]*)"|'([^']*)'|([^\s>"']+))""", re.I)
SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
# a file a kept field names that is not there is no error: the package it came from lacked
# it too, and learners see the field as they always did
KEPT = "(kept as written in this HTML field: put the file there to ship it)"


def html_section(
    section: Section, shown: str, card_path: Path | None, cards_dir: Path | None, *, cloze: bool
) -> tuple[str, tuple[MediaFile, ...], list[Problem], tuple[int, ...]]:
    """The field of an HTML section: its HTML, media, problems and deletion numbers (with
    ``cloze``)."""
    text = section.text
    problems: list[Problem] = []
    media: dict[str, MediaFile] = {}

    def line_of(offset: int) -> int:
        return section.line + text.count("\n", 0, offset)

    def bundle(match: re.Match[str]) -> str:
        written = next(g for g in match.groups()[1:] if g is not None)
        src = html.unescape(written).strip()
        if SCHEME.match(src) or src.startswith(("/", MEDIA_PREFIX)):
            return match.group(0)  # a web address: the sanitizer removes it, with a warning
        found = resolve_image(src, card_path, cards_dir)
        if isinstance(found, str):  # as the package had it: learners see what they saw
            problems.append(Problem.warning(shown, line_of(match.start()), f"{found} {KEPT}"))
            return match.group(0)
        media[found.name] = found
        return f'{match.group(1)}"{found.name}"'

    bundled = IMG_SRC.sub(bundle, text)
    for offset, message in removed_parts(bundled, media):
        problems.append(Problem.warning(shown, section.line + offset - 1, message))
    cleaned = clean(bundled, media).strip()
    cleaned, sounds, wrong = bundle_sounds(cleaned, card_path, cards_dir)
    media.update((sound.name, sound) for sound in sounds)
    for written, message in wrong:
        found = text.find(f"[sound:{html.unescape(written)}")
        problems.append(Problem.warning(shown, line_of(max(found, 0)), f"{message} {KEPT}"))
    numbers: tuple[int, ...] = ()
    if cloze:
        numbers = tuple(sorted({int(m.group(1)) for m in OPEN.finditer(cleaned)}))
    return cleaned, tuple(media[name] for name in sorted(media)), problems, numbers
