"""Which cards Anki makes of a note: those whose template's front shows a field.

Anki makes a card of a template only when its front, filled with the note's fields, shows
at least one non-empty field (rslib's ``renders_with_fields``): text alone does not count,
nor do ``{{FrontSide}}``, ``{{Tags}}`` and the like. Sections count as Anki reads them:
``{{#F}}…{{/F}}`` only when F is filled, ``{{^F}}…{{/F}}`` only when it is empty. A package
that holds a card Anki would not make shows learners "the front of this card is blank".
"""

from __future__ import annotations

import re

SECTION = re.compile(r"\{\{([#^])\s*([^{}]+?)\s*\}\}(.*?)\{\{/\s*\2\s*\}\}", re.S)
FIELD = re.compile(r"\{\{([^{}#^/!][^{}]*?)\}\}")
EMPTY_HTML = re.compile(r"<br\s*/?>|<div>\s*</div>|&nbsp;|\s", re.I)


def filled(value: str) -> bool:
    """Whether a field counts as filled: more than spaces and empty line breaks."""
    return bool(EMPTY_HTML.sub("", value))


def front_shows(front: str, fields: dict[str, str]) -> bool:
    """Whether the template ``front`` shows a non-empty field of ``fields`` (by name)."""

    def section(match: re.Match[str]) -> str:
        name = match.group(2).split(":")[-1].strip()
        shown = filled(fields.get(name, ""))
        return match.group(3) if shown == (match.group(1) == "#") else ""

    text = front
    for _ in range(32):  # nested sections, from the inside out
        opened = SECTION.sub(section, text)
        if opened == text:
            break
        text = opened
    return any(
        filled(fields.get(match.group(1).split(":")[-1].strip(), ""))
        for match in FIELD.finditer(text)
    )
