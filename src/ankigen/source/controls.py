"""Source stage, text: the control characters no card, title, listing or deck text may hold.

Anki keeps a note's fields in one database column, separated by U+001F: one more in a field
gives the note a field too many, and Anki refuses the **whole package** ("note has 5 fields,
expected 4"). The other C0 controls (and DEL) are invisible in most editors and have no
business in a card either. Tab and line breaks are ordinary text.
"""

from __future__ import annotations

import re

from ankigen.errors import Problem

CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
FIELD_SEPARATOR = "\x1f"


def describe_control(char: str) -> str:
    """A control character as a message names it, with why it matters."""
    name = f"control character U+{ord(char):04X}"
    if char == FIELD_SEPARATOR:
        return f"{name} (Anki's field separator: one in a note makes Anki refuse the whole deck)"
    return name


def control_problems(text: str, shown: str, first_line: int = 1) -> list[Problem]:
    """One problem for each line of ``text`` (which starts at line ``first_line`` of the file
    ``shown``) that holds a control character, at the first such character of the line."""
    problems: list[Problem] = []
    if not CONTROL.search(text):
        return problems
    for number, line in enumerate(text.split("\n"), start=first_line):
        found = CONTROL.search(line)
        if found:
            problems.append(
                Problem(
                    shown,
                    number,
                    f"{describe_control(found.group())} at column {found.start() + 1}: delete "
                    "it (most editors do not show it; search for it by its code)",
                )
            )
    return problems
