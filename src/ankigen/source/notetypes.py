"""Stage 0b: the note types an author declares in deck.yaml (``note_types:``).

A declared type builds on one of the two built-in ones (``base: basic`` with Question and
Answer, or ``base: cloze`` with Text and Extra), adds optional fields of its own
(``fields: [Hint, Source]``; a card fills one with ``## Hint``), and says which cards each
note makes: ``cards: [forward, reverse, typein]`` from the stock designs, or ``templates:``,
front and back HTML files per card in Anki's template syntax. A card says
``type: <name>`` to be a note of that type.

Everything here is read from files at their lines: a template that names a field the type
does not have is an error at its line in the template file.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ankigen.errors import Problem, display_path, quoted
from ankigen.source.controls import CONTROL, describe_control
from ankigen.source.layout import BASIC, CLOZE, KIND_SECTIONS, NONE, PER_DELETION
from ankigen.source.owntypes import OWN_FIELD_NAME, OWN_TEMPLATE_NAME, own_ids, own_settings

TYPE_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,30}$")
FIELD_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,40}$")
# names Anki gives a meaning of its own in templates (ANKI.md), and ours on every type
RESERVED_FIELDS = ("ID", "Title", "Tags", "Type", "Deck", "Subdeck", "Card", "CardFlag")
SPECIAL_FIELDS = ("FrontSide", "Tags", "Type", "Deck", "Subdeck", "Card", "CardFlag", "CardID")
CARD_DESIGNS = ("forward", "reverse", "typein")
TYPE_KEYS = (
    "id",
    "base",
    "cards",
    "fields",
    "css",
    "templates",
    "show_title",
    "name",
    "field_ids",
    "template_ids",
    "sort_field",
    "cloze",
)
BASES = (*KIND_SECTIONS, NONE)
HINT = "Hint"  # an extra field of this name shows as Anki's tap-to-reveal hint
MAX_TEMPLATE_BYTES = 64 * 1024
TEMPLATE_TAG = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)
TEMPLATE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _→-]{0,40}$")
MAX_ID = 2**63 - 1


@dataclass(frozen=True)
class Template:
    """One card of a declared type written by the author: its name and HTML, front and back."""

    name: str
    front: str
    back: str
    files: tuple[str, str] = ("", "")  # its front and back files, as messages name them


@dataclass(frozen=True)
class DeclaredType:
    """A note type the author declared: what cards of ``type: <name>`` become."""

    name: str
    id: int
    base: str  # BASIC or CLOZE: whose sections and fields it starts from
    fields: tuple[str, ...] = ()  # its own optional fields, after the base's
    cards: tuple[str, ...] = ("forward",)  # stock designs (ignored with ``templates``)
    templates: tuple[Template, ...] = ()  # the author's own, when given
    css: str | None = None  # a stylesheet, relative to deck.yaml
    show_title: bool = True  # whether the card's id and title show on the front
    line: int = 1  # where it is declared in deck.yaml
    anki_name: str | None = None  # ``name:``, its name in Anki, kept verbatim
    # ``field_ids``/``template_ids``: kept instead of derived ones; ``None`` in the tuple: no id
    field_ids: tuple[int | None, ...] | None = None
    template_ids: tuple[int | None, ...] | None = None
    sort_field: str | None = None  # ``sort_field:``; the first field when not given
    cloze: bool = False  # ``cloze: true`` (``base: none`` only): a card per deletion number

    @property
    def own(self) -> bool:
        """Whether its notes hold exactly the card's sections and tags (``base: none``)."""
        return self.base == NONE

    @property
    def deletion_fields(self) -> tuple[str, ...]:
        """The fields a ``cloze: true`` type reads deletions from: those its templates
        name with ``{{cloze:…}}``."""
        if not self.cloze:
            return ()
        named = [
            inner.rsplit(":", 1)[-1].strip()
            for template in self.templates
            for inner in TEMPLATE_TAG.findall(template.front + template.back)
            if "cloze" in inner.rsplit(":", 1)[0].split(":")
        ]
        return tuple(name for name in self.fields if name in named)

    @property
    def sections(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """Its cards' sections: the base's required ones, then the optional ones."""
        if self.own:
            return (), self.fields
        required, optional = KIND_SECTIONS[self.base]
        return required, optional + self.fields

    @property
    def field_names(self) -> tuple[str, ...]:
        """Every field of its notes, in order."""
        required, optional = self.sections
        if self.own:
            return optional
        return ("ID", "Title", *required, *optional)


Report = Callable[[str | None, str], None]


def declared_types(
    value: Any,
    deck_yaml: Path,
    key_lines: dict[str, int],
    taken_ids: set[int],
    problem: Report,
    in_files: list[Problem],
) -> dict[str, DeclaredType]:
    """The ``note_types:`` of deck.yaml, each checked; ``problem(key, message)`` reports
    what is wrong at the line of ``key`` (a dotted path such as ``note_types.reversed.id``),
    and what is wrong in a template file goes to ``in_files``, at its line there."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        problem("note_types", "note_types maps a type's name to its declaration (README)")
        return {}
    types: dict[str, DeclaredType] = {}
    for name, body in value.items():
        key = f"note_types.{name}"
        if not isinstance(name, str) or not TYPE_NAME.match(name) or name in KIND_SECTIONS:
            problem(
                key if isinstance(name, str) else "note_types",
                f"note type name {quoted(name)}: use lower-case letters, digits, - and _, like "
                "`reversed` (`basic` and `cloze` are the built-in types)",
            )
            continue
        declared = _declared(name, body, deck_yaml, key_lines, problem, in_files)
        if declared is None:
            continue
        if declared.id in taken_ids:
            problem(f"{key}.id", f"note type {name}: id {declared.id} is used twice in deck.yaml")
            continue
        taken_ids.add(declared.id)
        types[name] = declared
    return types


def _declared(
    name: str,
    body: Any,
    deck_yaml: Path,
    key_lines: dict[str, int],
    problem: Report,
    in_files: list[Problem],
) -> DeclaredType | None:
    key = f"note_types.{name}"
    if not isinstance(body, dict):
        problem(
            key, f"note type {name} needs `id:` and `base:` (docs/cards.md: Note types of your own)"
        )
        return None
    ok = True

    def bad(sub: str | None, message: str) -> None:
        nonlocal ok
        ok = False
        problem(f"{key}.{sub}" if sub and f"{key}.{sub}" in key_lines else key, message)

    for unknown in sorted(set(map(str, body)) - set(TYPE_KEYS)):
        bad(
            unknown,
            f"note type {name}: unknown key {quoted(unknown)} (known: {', '.join(TYPE_KEYS)})",
        )
    type_id = body.get("id")
    if isinstance(type_id, bool) or not isinstance(type_id, int) or not 1 <= type_id <= MAX_ID:
        from ankigen.source.config import random_id  # config imports this module

        bad(
            "id",
            f"note type {name} needs a permanent `id:`, a whole number from 1 to {MAX_ID}: "
            f"add `id: {random_id()}` (a random id; keep it forever)",
        )
    base = body.get("base", BASIC)
    if not isinstance(base, str) or base not in BASES:
        bad("base", f"note type {name}: `base` must be basic, cloze or none, not {quoted(base)}")
        base = BASIC
    fields = _fields(name, body.get("fields"), base, bad)
    own = own_settings(name, body, base, fields, bad)
    show_title = body.get("show_title", True)
    if not isinstance(show_title, bool):
        bad("show_title", f"note type {name}: `show_title` must be true or false")
    css = body.get("css")
    if css is not None and (not isinstance(css, str) or not css.strip()):
        bad("css", f"note type {name}: `css` is the path of a stylesheet, like theme/{name}.css")
    cards = _cards(name, body, base, bad)
    all_fields = fields
    if base != NONE:
        all_fields = ("ID", "Title", *KIND_SECTIONS[base][0], *KIND_SECTIONS[base][1], *fields)
    at = key_lines.get(f"{key}.templates", key_lines.get(key, 1))
    shape = CLOZE if body.get("cloze") is True else base
    templates = _templates(
        name, body.get("templates"), shape, (deck_yaml, at), all_fields, bad, in_files
    )
    if base == NONE and templates is not None:
        own = own_ids(name, body, own, len(fields), len(templates), bad)
    if not ok or templates is None or not isinstance(type_id, int):
        return None
    return DeclaredType(
        name,
        type_id,
        base,
        fields,
        cards,
        templates,
        css.strip() if isinstance(css, str) else None,
        bool(show_title),
        key_lines.get(key, 1),
        **own,
    )


def _fields(name: str, value: Any, base: str, bad: Report) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        bad("fields", f"note type {name}: `fields` is a list of field names, like [Hint, Source]")
        return ()
    own = base == NONE
    taken = (
        set() if own else {f.lower() for f in (*KIND_SECTIONS[base][0], *KIND_SECTIONS[base][1])}
    )
    fields: list[str] = []
    for field in value:
        if own and isinstance(field, str) and OWN_FIELD_NAME.match(field) and field != "FrontSide":
            if field.lower() in taken:
                bad("fields", f"note type {name}: field {field!r} is named twice")
            taken.add(field.lower())
            fields.append(field)
        elif not isinstance(field, str) or not FIELD_NAME.match(field):
            bad(
                "fields",
                f"note type {name}: field name {quoted(field)} must be a letter, then letters, "
                "digits, - or _",
            )
        elif field in RESERVED_FIELDS or field == "FrontSide":
            bad("fields", f"note type {name}: {quoted(field)} is a name Anki or ankigen reserves")
        elif field.lower() in taken:
            bad("fields", f"note type {name}: field {quoted(field)} is named twice")
        else:
            taken.add(field.lower())
            fields.append(field)
    return tuple(fields)


def _cards(name: str, body: dict[str, Any], base: str, bad: Report) -> tuple[str, ...]:
    value = body.get("cards")
    if value is None:
        return ("forward",)
    if "templates" in body:
        bad("cards", f"note type {name}: give `cards` or `templates`, not both")
        return ("forward",)
    if base in PER_DELETION or base == NONE:
        bad("cards", f"note type {name}: a cloze or `base: none` type takes `templates`")
        return ("forward",)
    if (
        not isinstance(value, list)
        or not value
        or not all(isinstance(card, str) and card in CARD_DESIGNS for card in value)
    ):
        bad(
            "cards",
            f"note type {name}: `cards` lists {', '.join(CARD_DESIGNS)}, like [forward, reverse]",
        )
        return ("forward",)
    if len(set(value)) < len(value):
        bad("cards", f"note type {name}: a card is listed twice in `cards`")
    return tuple(value)


def _templates(
    name: str,
    value: Any,
    base: str,
    where: tuple[Path, int],
    fields: tuple[str, ...],
    bad: Report,
    in_files: list[Problem],
) -> tuple[Template, ...] | None:
    """The author's templates: ``{card name: {front: file, back: file}}``, files read and
    their field references checked, each problem at its line of its file (``in_files``)."""
    if value is None:
        return ()
    shape = f"note type {name}: `templates` maps a card's name to `{{front: file, back: file}}`"
    if not isinstance(value, dict) or not value:
        bad("templates", shape)
        return ()
    if base in PER_DELETION and len(value) != 1:
        bad("templates", f"note type {name}: a cloze type has exactly one template")
    templates: list[Template] = []
    failed = False
    for card_name, files in value.items():
        if not isinstance(files, dict) or set(files) != {"front", "back"}:
            bad("templates", shape)
            continue
        if not isinstance(card_name, str) or not (
            TEMPLATE_NAME.match(card_name) or OWN_TEMPLATE_NAME.match(card_name)
        ):
            bad(
                "templates",
                f"note type {name}: template name {quoted(card_name)} must be text, like Recall "
                "(letters, digits, spaces, - and _; in quotes if YAML reads it as a number)",
            )
            continue
        if card_name.lower() in {t.name.lower() for t in templates}:
            bad("templates", f"note type {name}: template {quoted(card_name)} is named twice")
            continue
        texts, shown = [], []
        for side in ("front", "back"):
            text, problems = read_template(where, files[side], fields, base, side)
            failed = failed or text is None or bool(problems)
            texts.append(text or "")
            shown.append(display_path(where[0].parent / str(files[side]).strip()))
            in_files.extend(problems)
        templates.append(Template(card_name, texts[0], texts[1], (shown[0], shown[1])))
    return None if failed else tuple(templates)


def read_template(
    where: tuple[Path, int], relative: Any, fields: tuple[str, ...], base: str, side: str
) -> tuple[str | None, list[Problem]]:
    """The text of a template file named in deck.yaml (``where``: its path, and the line
    of ``templates:``), and what is wrong with it."""
    deck_yaml, line = where
    shown_yaml = display_path(deck_yaml)
    if not isinstance(relative, str) or not relative.strip():
        return None, [Problem(shown_yaml, line, f"a template's {side} must name an HTML file")]
    path = deck_yaml.parent / relative.strip()
    shown = display_path(path)
    root = deck_yaml.parent.resolve()
    try:
        resolved = path.resolve()
        inside = resolved.is_relative_to(root)
        if not inside or not resolved.is_file():
            wrong = "is outside the cards folder" if not inside else "is not there"
            fix = "save it inside the cards folder, named relative to deck.yaml"
            return None, [Problem(shown_yaml, line, f"template {quoted(relative)} {wrong}: {fix}")]
        if resolved.stat().st_size > MAX_TEMPLATE_BYTES:
            return None, [Problem(shown, 1, f"over {MAX_TEMPLATE_BYTES // 1024} KB: too big")]
        text = resolved.read_bytes().decode("utf-8-sig").replace("\r\n", "\n")
    except UnicodeDecodeError:
        return None, [Problem(shown, 1, "not valid UTF-8: save the template as UTF-8")]
    except ValueError:  # a NUL in the path
        return None, [Problem(shown_yaml, line, f"template {quoted(relative)}: not a file name")]
    except OSError as exc:
        return None, [Problem(shown, 1, f"cannot be read ({exc.strerror or exc})")]
    return text, template_problems(text, shown, fields, base, side)


def template_problems(
    text: str, shown: str, fields: tuple[str, ...], base: str, side: str
) -> list[Problem]:
    """Field references in a template that name no field of its type, and what else Anki
    would refuse, each at its line."""
    problems = []
    control = CONTROL.search(text)
    if control:
        line = text.count("\n", 0, control.start()) + 1
        problems.append(Problem(shown, line, f"holds a {describe_control(control.group())}"))
    uses_cloze = False
    names_a_field = False
    opened: list[tuple[str, int]] = []  # the sections open, and where
    for match in TEMPLATE_TAG.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        inner = match.group(1).strip()
        problems.extend(_section(inner, opened, line, shown))
        if inner[:1] in "#^/":
            inner = inner[1:].strip()
        if inner.startswith("!"):
            continue
        field = inner.rsplit(":", 1)[-1].strip()
        filters = inner.rsplit(":", 1)[0] if ":" in inner else ""
        uses_cloze = uses_cloze or "cloze" in filters.split(":")
        if field in fields:
            names_a_field = True
            continue
        if field in SPECIAL_FIELDS:
            continue
        if field == "" and filters.strip().startswith("tts"):
            continue
        known = ", ".join(fields)
        problems.append(
            Problem(
                shown,
                line,
                f"`{{{{{match.group(1).strip()}}}}}` names no field of this note type "
                f"(its fields: {known}); field names are case-sensitive",
            )
        )
    problems.extend(
        Problem(shown, at, f"`{{{{#{name}}}}}` is never closed: add `{{{{/{name}}}}}`")
        for name, at in opened
    )
    if base in PER_DELETION and side == "front" and not uses_cloze:
        problems.append(
            Problem(shown, 1, "a cloze type's front needs `{{cloze:Text}}` to make its cards")
        )
    elif side == "front" and not names_a_field:
        problems.append(
            Problem(
                shown,
                1,
                "the front names no field: Anki makes no card of a template whose front "
                "shows no field (learners would see a blank card); show one, like "
                "`{{Question}}`",
            )
        )
    return problems


def _section(inner: str, opened: list[tuple[str, int]], line: int, shown: str) -> list[Problem]:
    """Follow ``{{#F}}``/``{{^F}}``…``{{/F}}`` sections: one closed that is not the last
    opened is an error (Anki's template parser refuses the whole note type)."""
    if inner[:1] in "#^":
        opened.append((inner[1:].strip(), line))
    elif inner[:1] == "/":
        name = inner[1:].strip()
        if opened and opened[-1][0] == name:
            opened.pop()
        else:
            expected = f"`{{{{/{opened[-1][0]}}}}}` first" if opened else "no section is open"
            return [
                Problem(
                    shown, line, f"`{{{{/{name}}}}}` closes a section not open here ({expected})"
                )
            ]
    return []
