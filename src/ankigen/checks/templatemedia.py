"""The check stage, files an author's card template names: ``<img src="logo.png">`` in a
template (no note names it) is bundled as ``_ankigen-<content hash>.png`` (the underscore
makes Anki's *Check Media* keep it) and the template names it so. A file that is not there,
or leaves the cards folder, is an error at its line in the template file.
"""

from __future__ import annotations

import html
import re
from dataclasses import replace
from pathlib import Path

from ankigen.errors import Problem
from ankigen.render.media import MediaFile, resolve_image
from ankigen.source.notetypes import DeclaredType, Template

SRC = re.compile(r"""(\bsrc\s*=\s*)(?:"([^"{}]*)"|'([^'{}]*)')""", re.I)
ADDRESS = re.compile(r"^(?:[A-Za-z][A-Za-z0-9+.-]*:|/|#)")


def with_template_media(
    declared: DeclaredType, cards_dir: Path, media: dict[str, MediaFile], problems: list[Problem]
) -> DeclaredType:
    """``declared`` with each file its templates name bundled into ``media`` and named by
    its shipped name; what is wrong goes to ``problems``."""
    if not declared.templates:
        return declared
    templates = tuple(
        Template(
            template.name,
            _bundled(template.front, template.files[0], cards_dir, media, problems),
            _bundled(template.back, template.files[1], cards_dir, media, problems),
            template.files,
        )
        for template in declared.templates
    )
    return replace(declared, templates=templates)


def _bundled(
    text: str, shown: str, cards_dir: Path, media: dict[str, MediaFile], problems: list[Problem]
) -> str:
    def bundle(match: re.Match[str]) -> str:
        src = html.unescape(match.group(2) if match.group(2) is not None else match.group(3))
        if not src or ADDRESS.match(src):
            return match.group(0)  # an address: template_safety's to judge
        found = resolve_image(src, Path(shown), cards_dir)
        if isinstance(found, str):
            problems.append(Problem(shown, text.count("\n", 0, match.start()) + 1, found))
            return match.group(0)
        kept = MediaFile("_" + found.name, found.data)  # no note names it: Check Media keeps it
        media[kept.name] = kept
        return f'{match.group(1)}"{kept.name}"'

    return SRC.sub(bundle, text)
