"""Print the token colours of ``ankigen.anki.theme`` (TOKEN_CSS), from Pygments' styles.

Run once by hand and the output pasted into theme.py, so that a new Pygments never changes
the note type's CSS (and with it every learner's note type):

    PYTHONPATH=src python scripts/theme_tokens.py

Day colours are Pygments' ``default`` style, night colours its ``monokai``. Every class the
sanitizer keeps (``render.sanitize.TOKEN_CLASSES``) gets its style's colour, weight and slant
with inheritance resolved, and the style's plain text colour as ``inherit`` (the card's own);
night rules set all three, so nothing of the day rule shows through. Classes with the same
look share one rule, its selectors wrapped to fit ruff's line length.
"""

from __future__ import annotations

from pygments.styles import get_style_by_name
from pygments.token import STANDARD_TYPES, Token

from ankigen.render.sanitize import HIGHLIGHT_CLASS, TOKEN_CLASSES

DAY, NIGHT = "default", "monokai"
KIND_OF = {name: kind for kind, name in STANDARD_TYPES.items() if name in TOKEN_CLASSES}


def declarations(style_name: str, name: str, *, complete: bool) -> str:
    """The CSS declarations of class ``name`` in Pygments' style ``style_name``."""
    style = get_style_by_name(style_name)
    look = style.style_for_token(KIND_OF[name])
    parts = []
    if look["color"] and look["color"] != style.style_for_token(Token)["color"]:
        parts.append(f"color: #{look['color'].lower()}")
    elif complete:
        parts.append("color: inherit")
    if look["bold"] or complete:
        parts.append(f"font-weight: {'bold' if look['bold'] else 'normal'}")
    if look["italic"] or complete:
        parts.append(f"font-style: {'italic' if look['italic'] else 'normal'}")
    return "; ".join(parts)


def rules(style_name: str, scope: str, *, complete: bool) -> list[str]:
    """One rule per look, naming every class that has it, in the order of first use."""
    grouped: dict[str, list[str]] = {}
    for name in sorted(TOKEN_CLASSES):
        found = declarations(style_name, name, complete=complete)
        if found:
            grouped.setdefault(found, []).append(name)
    return [
        wrapped([f"{scope} .{name}" for name in names], f"{{ {found} }}")
        for found, names in grouped.items()
    ]


def wrapped(selectors: list[str], block: str, width: int = 96) -> str:
    """``selectors`` and ``block`` as one rule, in lines of at most ``width`` characters."""
    lines = [""]
    for index, part in enumerate([*selectors, block]):
        part += "," if index < len(selectors) - 1 else ""
        if lines[-1] and len(lines[-1]) + 1 + len(part) > width:
            lines.append("")
        lines[-1] += (" " if lines[-1] else "") + part
    return "\n".join(lines)


if __name__ == "__main__":
    for line in rules(DAY, f".{HIGHLIGHT_CLASS}", complete=False):
        print(line)
    for line in rules(NIGHT, f".nightMode .{HIGHLIGHT_CLASS}", complete=True):
        print(line)
