"""Stage 0b, the settings of a declared note type that keeps an existing deck's note type as
it is (``base: none``, as ``ankigen adopt`` writes them): its name in Anki, its fields' and
templates' ids, its sort field, and whether it makes a card per deletion number.

Learners' Anki matches a note type by id and then by its schema: the fields and templates
(by their ids when all have ids, else by their names) and the sort field. A type adopted
from an existing deck must keep all of these exactly, or every learner would get a copy of
it and stop receiving updates.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from ankigen.source.layout import NONE

Report = Callable[[str | None, str], None]
# a field name of a ``base: none`` type, as Anki allows them: no braces, colons or quotes,
# not starting with # / ^, no spaces at its ends
OWN_FIELD_NAME = re.compile(
    r'^[^\s#/^{}:"\x00-\x1f\x7f](?:[^{}:"\x00-\x1f\x7f]{0,58}[^\s{}:"\x00-\x1f\x7f])?$'
)
OWN_TEMPLATE_NAME = re.compile(
    r"^[^\s{}\x00-\x1f\x7f](?:[^{}\x00-\x1f\x7f]{0,58}[^\s{}\x00-\x1f\x7f])?$"
)
ANKI_ID = (-(2**63), 2**63 - 1)  # a field or template id, as Anki stores it (signed)
NO_IDS = "none"  # ``field_ids: none``: no ids at all, as packages before Anki 2.1.67


def own_settings(
    name: str, body: dict[str, Any], base: str, fields: tuple[str, ...], bad: Report
) -> Any:
    """``name``, ``sort_field`` and ``cloze`` of a declared type (the last two for
    ``base: none`` only), as keyword arguments of ``DeclaredType``."""
    found: dict[str, Any] = {}
    anki_name = body.get("name")
    if anki_name is not None:
        if not isinstance(anki_name, str) or not anki_name.strip() or "::" in anki_name:
            bad("name", f"note type {name}: `name` is its name in Anki, text without `::`")
        else:
            found["anki_name"] = anki_name
    for key in ("sort_field", "cloze", "field_ids", "template_ids"):
        if key in body and base != NONE:
            bad(key, f"note type {name}: `{key}` is for a type with `base: none`")
    if base != NONE:
        return found
    if not fields:
        bad("fields", f"note type {name}: a type with `base: none` lists all its `fields`")
    if "templates" not in body:
        bad("templates", f"note type {name}: a type with `base: none` needs `templates`")
    sort_field = body.get("sort_field")
    if sort_field is not None and sort_field not in fields:
        bad("sort_field", f"note type {name}: `sort_field` must be one of its fields")
    elif sort_field is not None:
        found["sort_field"] = sort_field
    cloze = body.get("cloze", False)
    if not isinstance(cloze, bool):
        bad("cloze", f"note type {name}: `cloze` is true (a card per deletion) or false")
    found["cloze"] = cloze is True
    return found


def own_ids(
    name: str, body: dict[str, Any], own: Any, fields: int, templates: int, bad: Report
) -> Any:
    """``own`` with ``field_ids`` and ``template_ids``: each a list of Anki ids, one per
    field (template), or ``none`` for no ids at all."""
    for key, count in (("field_ids", fields), ("template_ids", templates)):
        value = body.get(key)
        if value is None:
            continue
        if value == NO_IDS:
            own[key] = (None,) * count
            continue
        low, high = ANKI_ID
        if (
            not isinstance(value, list)
            or len(value) != count
            or not all(
                isinstance(item, int) and not isinstance(item, bool) and low <= item <= high
                for item in value
            )
            or len(set(value)) < len(value)
        ):
            bad(
                key,
                f"note type {name}: `{key}` lists {count} different whole numbers, one per "
                f"{key.split('_')[0]} in order (or `none`)",
            )
            continue
        own[key] = tuple(value)
    return own
