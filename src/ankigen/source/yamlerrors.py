"""PyYAML's complaints, said the way an author can act on: what is wrong and how to fix it.

PyYAML words its errors for parser writers ("mapping values are not allowed here", "found
character that cannot start any token"). The two mistakes authors make most are a tab in the
indentation and a value holding ``: `` without quotes; each gets a message of its own, at the
character's line and column. Anything else keeps PyYAML's wording.
"""

from __future__ import annotations


def explain(reason: str, text: str, line: int, column: int) -> str | None:
    """A plain message for PyYAML's ``reason`` at ``line``/``column`` (0-based, within
    ``text``), or ``None`` to keep PyYAML's own."""
    lines = text.split("\n")
    here = lines[line] if 0 <= line < len(lines) else ""
    if "\t" in here[: max(column, 0) + 1] or ("tab" in reason and "\t" in here):
        return "a tab indents this line: YAML allows spaces only; replace the tab with spaces"
    if "mapping values are not allowed" in reason:
        key, _, value = here.partition(":")
        if here.find(":", len(key) + 1) < 0:
            return (
                "a `key:` indented under a key that has a value already: line keys up with "
                "the ones beside them (or, if this line continues a value holding `: `, quote "
                'that value, like `title: "Bias: variance"`)'
            )
        value = value.strip()
        return (
            "an unquoted `: ` in a value (YAML reads it as another key): put the value in "
            f'quotes, like `{key.strip()}: "{value}"`'
        )
    return None
