"""Stage 0: read ``deck.yaml``, the deck's identity and settings, into a typed ``DeckConfig``."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ankigen.errors import AnkigenError, Problem, display_path, quoted
from ankigen.source.controls import CONTROL, control_problems, describe_control
from ankigen.source.ids import ID_KEYS, ids_problems, missing_id, random_id
from ankigen.source.layout import DECK_FILE, LOCK_FILE
from ankigen.source.notetypes import DeclaredType, declared_types
from ankigen.source.yamlsource import YamlMapping, YamlSyntaxError, parse_mapping
from ankigen.util.files import DECK_LIMIT, read_regular

SEMVER = re.compile(
    r"^(0|[1-9][0-9]{0,17})\.(0|[1-9][0-9]{0,17})\.(0|[1-9][0-9]{0,17})"
    r"(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$"
)
VersionKey = tuple[int, int, int, int, tuple[tuple[int, int, str], ...]]


def version_key(version: str | None) -> VersionKey | None:
    """Semantic-version precedence (semver.org, 11): a pre-release (1.0.0-rc.1) comes before
    its release, and its identifiers compare one by one, numbers below words; build
    metadata (+…) counts for nothing. ``None`` for text that is no version."""
    match = SEMVER.match(version or "")
    if match is None or version is None:
        return None
    major, minor, patch = (int(part) for part in match.groups())
    pre = version.split("+", 1)[0].partition("-")[2]
    if not pre:
        return (major, minor, patch, 1, ())
    parts = tuple(
        (0, int(x), "") if x.isdigit() and len(x) <= 18 else (1, 0, x) for x in pre.split(".")
    )
    return (major, minor, patch, 0, parts)


CATEGORY_PREFIX = re.compile(r"^[A-Z]{1,10}$")
MAX_ID = 2**63 - 1
REQUIRED = ("name", "version", "categories", "deck_id", "note_type_id")
OPTIONAL = (
    "description",
    "retired",
    "cloze_note_type_id",
    "subdecks",
    "subdeck_ids",
    "note_types",
    "css",
)
LINED = ("deck_id", "note_type_id", "cloze_note_type_id", "css")  # keys messages point at
MAX_NAME = 100  # a deck's name, which its package files are named after
FOLDERS = "folders"  # ``subdecks: folders``: each card in the deck of its folder


@dataclass(frozen=True)
class DeckConfig:
    """What ``deck.yaml`` says: the deck's name, version, categories and permanent ids."""

    path: Path
    name: str
    version: str
    description: str
    categories: dict[str, str]
    deck_id: int
    note_type_id: int
    version_line: int = 1  # where `version:` is in deck.yaml, for messages about it
    retired: dict[str, str] = field(default_factory=dict)  # why a card was retired, by id
    cloze_note_type_id: int | None = None  # needed once the deck has a cloze card
    subdecks: bool = False  # each category's cards in a deck of its own, `<name>::<category>`
    subdeck_ids: dict[str, int] = field(default_factory=dict)  # the subdecks' ids, by prefix
    # where the note type ids are in deck.yaml, for messages; not a setting
    ids_line: int = field(default=1, compare=False, repr=False)
    key_lines: dict[str, int] = field(default_factory=dict, compare=False, repr=False)
    note_types: dict[str, DeclaredType] = field(default_factory=dict)  # the author's, by name
    css: str | None = None  # a stylesheet for every note type, relative to deck.yaml
    folder_decks: bool = False  # ``subdecks: folders``: a card's folder is its subdeck
    # a stand-in while deck.yaml has errors: a card's unknown `type:` may be one it declares
    any_type: bool = field(default=False, compare=False, repr=False)

    def card_deck(self, category: str, deck: str) -> str:
        """The subdeck a card goes to, below the deck: its own (``deck:`` or its folder),
        else its category's with ``subdecks: true``; "" for the deck itself."""
        if deck:
            return deck
        return self.categories.get(category, "") if self.subdecks else ""

    @property
    def slug(self) -> str:
        """The deck's name made safe for a file name: ``ML and DL`` → ``ml-and-dl``, accents
        dropped (``Français`` → ``francais``)."""
        plain = unicodedata.normalize("NFKD", self.name).encode("ascii", "ignore").decode()
        slug = re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")
        return slug or "deck"

    @property
    def package_name(self) -> str:
        """``<slug>-<version>.apkg``; never ``collection.apkg``, which Anki reads as a backup."""
        return f"{self.slug}-{self.version}.apkg"

    @property
    def dev_package_name(self) -> str:
        """``<slug>-<version>-dev.apkg``: a development build, sources that differ from the
        release ``version`` (or from no release yet), which only its author imports."""
        return f"{self.slug}-{self.version}-dev.apkg"


def load_config(cards_dir: Path) -> DeckConfig:
    """Read and check ``cards_dir/deck.yaml``; raise ``AnkigenError`` listing every problem."""
    path = cards_dir / DECK_FILE
    shown = display_path(path)
    doc = _read_deck_yaml(path, shown)
    problems: list[Problem] = []

    def problem(key: str | None, message: str) -> None:
        line = doc.key_lines.get(key, 1) if key else 1
        problems.append(Problem(shown, line, message))

    values = doc.values
    _key_problems(values, problem)
    name = _string(values, "name", problem)
    if name is not None and "::" in name:
        problem("name", "name must not contain '::' (Anki reads it as a parent deck)")
    if name is not None and (len(name) > MAX_NAME or "\n" in name):
        problem("name", f"name must be one line of at most {MAX_NAME} characters (it names files)")
    version = _version(values, problem)
    description = "" if values.get("description") is None else values["description"]
    if not isinstance(description, str):
        problem("description", "description must be text")
        description = ""
    categories = _categories(values.get("categories"), problem)
    deck_id = _identifier(values, "deck_id", problem)
    note_type_id = _identifier(values, "note_type_id", problem)
    if deck_id is not None and deck_id == note_type_id:
        problem("note_type_id", "note_type_id must differ from deck_id")
    cloze_note_type_id = _identifier(values, "cloze_note_type_id", problem)
    ids_problems((deck_id, note_type_id, cloze_note_type_id), name, cards_dir / LOCK_FILE, problem)
    if cloze_note_type_id is not None and cloze_note_type_id in (deck_id, note_type_id):
        problem(
            "cloze_note_type_id", "cloze_note_type_id must differ from deck_id and note_type_id"
        )
    folder_decks = values.get("subdecks") == FOLDERS  # else true or false
    subdecks, subdeck_ids = _subdecks(values, categories, deck_id, problem)
    ids = {i for i in (deck_id, note_type_id, cloze_note_type_id) if i is not None}
    note_types, css = _style(values, path, doc.key_lines, ids, problem, problems)
    retired = _retired(values.get("retired"), problem)
    if problems:
        raise AnkigenError(problems)
    assert name is not None and version is not None and categories is not None
    assert deck_id is not None and note_type_id is not None
    return DeckConfig(
        path,
        name,
        version,
        description.strip(),
        categories,
        deck_id,
        note_type_id,
        doc.key_lines.get("version", 1),
        retired,
        cloze_note_type_id,
        subdecks,
        subdeck_ids,
        doc.key_lines.get("cloze_note_type_id", doc.key_lines.get("note_type_id", 1)),
        {k: doc.key_lines.get(k, 1) for k in LINED},
        note_types,
        css,
        folder_decks,
    )


def _key_problems(values: dict[str, Any], problem: Any) -> None:
    """Control characters in any value, unknown keys, and required keys left out."""
    for key, value in values.items():  # YAML's escapes ("\x1f") make them too
        control = _control_in(value)
        if control:
            problem(key, f"`{key}` holds a {describe_control(control)}: delete it")
    for key in sorted(set(values) - set(REQUIRED) - set(OPTIONAL)):
        problem(key, f"unknown key {quoted(key)} (known: {', '.join(REQUIRED + OPTIONAL)})")
    for key in REQUIRED:
        if key not in values:
            problem(
                None, missing_id(key) if key in ID_KEYS else f"missing required key {quoted(key)}"
            )


def _version(values: dict[str, Any], problem: Any) -> str | None:
    """``version``, when it is semantic versioning and no ``-dev`` one."""
    version = _string(values, "version", problem)
    if version is not None and not SEMVER.match(version):
        problem("version", f"version {quoted(version)} is not semantic versioning like 1.2.0")
    elif version is not None and version.split("+", 1)[0].endswith("-dev"):
        problem(
            "version",
            f"version {version}: a version ending in -dev would share its file name with "
            "the development builds of the version before it; name the pre-release "
            f"otherwise, like {version.split('+', 1)[0][:-4]}-alpha",
        )
    return version


def _style(
    values: dict[str, Any],
    path: Path,
    key_lines: dict[str, int],
    taken_ids: set[int],
    problem: Any,
    problems: list[Problem],
) -> tuple[dict[str, DeclaredType], str | None]:
    """The author's note types (``note_types:``) and the deck's stylesheet (``css:``)."""
    in_files: list[Problem] = []  # what is wrong in the template files, at their lines
    note_types = declared_types(
        values.get("note_types"), path, key_lines, taken_ids, problem, in_files
    )
    problems.extend(in_files)
    css = values.get("css")
    if css is not None and (not isinstance(css, str) or not css.strip()):
        problem("css", "css is the path of a stylesheet relative to deck.yaml: theme/deck.css")
        css = None
    return note_types, css.strip() if isinstance(css, str) else None


def _read_deck_yaml(path: Path, shown: str) -> YamlMapping:
    """deck.yaml parsed, with its keys' lines; raise ``AnkigenError`` when it cannot be."""
    try:
        text = read_regular(path, DECK_LIMIT, DECK_FILE).decode("utf-8-sig")
    except FileNotFoundError:
        raise AnkigenError(
            [Problem(shown, 1, f"missing {DECK_FILE}: every cards folder needs one")]
        ) from None
    except OSError as exc:
        reason = exc.strerror or exc
        raise AnkigenError([Problem(shown, 1, f"cannot read {DECK_FILE}: {reason}")]) from None
    except UnicodeDecodeError as exc:
        raise AnkigenError([Problem(shown, 1, f"not valid UTF-8 ({exc.reason})")]) from None
    controls = control_problems(text.replace("\r\n", "\n"), shown)
    if controls:  # YAML would refuse them with a message that names no way out
        raise AnkigenError(controls)
    try:
        return parse_mapping(text.replace("\r\n", "\n"))
    except YamlSyntaxError as exc:
        raise AnkigenError([Problem(shown, exc.line, exc.message, column=exc.column)]) from None


def _subdecks(
    values: dict[str, Any], categories: dict[str, str] | None, deck_id: int | None, problem: Any
) -> tuple[bool, dict[str, int]]:
    """``subdecks: true`` and the permanent id of each category's subdeck (``subdeck_ids``).

    Anki finds a deck by its name on import, not by its id; the ids are stored all the same,
    so that a package never depends on anything but deck.yaml and the lock.
    """
    subdecks = values.get("subdecks", False)
    if subdecks == FOLDERS:
        subdecks = False  # not by category
    if not isinstance(subdecks, bool):
        problem("subdecks", "subdecks must be true (by category), false, or folders")
        subdecks = False
    raw = values.get("subdeck_ids")
    ids: dict[str, int] = {}
    if raw is not None:
        if not isinstance(raw, dict):
            problem(
                "subdeck_ids",
                "subdeck_ids maps category prefixes to deck ids, like `DL: 1234567890`",
            )
            raw = {}
        for prefix, value in raw.items():
            if categories is not None and prefix not in categories:
                problem("subdeck_ids", f"subdeck_ids: unknown category {quoted(prefix)}")
            elif isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ID:
                problem(
                    "subdeck_ids",
                    f"subdeck_ids: the id of {prefix} must be a whole number from 1 to {MAX_ID}",
                )
            else:
                ids[str(prefix)] = value
        seen = [deck_id, *ids.values()]
        if len(set(seen)) < len(seen):
            problem("subdeck_ids", "subdeck ids must differ from each other and from deck_id")
    if subdecks and categories is not None:
        missing = [prefix for prefix in categories if prefix not in ids]
        if missing:
            paste = ", ".join(f"{prefix}: {random_id()}" for prefix in missing)
            problem(
                "subdecks",
                "subdecks need a permanent deck id for each category: add `subdeck_ids: "
                f"{{{paste}}}` (random ids, chosen once; keep them)",
            )
        for label in categories.values():
            if "::" in label:
                problem(
                    "categories",
                    f"category name {quoted(label)} must not contain '::' with subdecks",
                )
    return subdecks, ids


def _retired(value: Any, problem: Any) -> dict[str, str]:
    """``retired:`` maps the id of a removed card to why it went (shown on its tombstone)."""
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        problem("retired", "retired maps card ids to reasons, like `DL0002: merged into DL0005`")
        return {}
    return {k: v.strip() for k, v in value.items()}


def _control_in(value: Any) -> str | None:
    """The first control character in any text of a deck.yaml value, or ``None``."""
    if isinstance(value, str):
        found = CONTROL.search(value)
        return found.group() if found else None
    items = [*value, *value.values()] if isinstance(value, dict) else value
    for item in items if isinstance(items, list) else ():
        found_in = _control_in(item)
        if found_in:
            return found_in
    return None


def _string(values: dict[str, Any], key: str, problem: Any) -> str | None:
    value = values.get(key)
    if key not in values:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        if key == "version":
            problem(key, f"version is the number {value} to YAML: write three parts, like 1.0.0")
        else:
            problem(key, f'{key} is the number {value} to YAML: write it in quotes, "{value}"')
        return None
    if not isinstance(value, str) or not value.strip():
        problem(key, f"{key} must be non-empty text")
        return None
    return value.strip()


def _identifier(values: dict[str, Any], key: str, problem: Any) -> int | None:
    if key not in values:
        return None
    value = values[key]
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ID:
        problem(key, f"{key} must be a whole number from 1 to {MAX_ID}, chosen once and kept")
        return None
    return value


def _categories(value: Any, problem: Any) -> dict[str, str] | None:
    if value is None:
        return None
    if not isinstance(value, dict) or not value:
        problem("categories", "categories must map id prefixes to names, e.g. `DL: Deep Learning`")
        return None
    categories: dict[str, str] = {}
    for prefix, label in value.items():
        if not isinstance(prefix, str) or not CATEGORY_PREFIX.match(prefix):
            problem("categories", f"category prefix {quoted(prefix)} must be 1-10 capital letters")
        elif not isinstance(label, str) or not label.strip():
            problem("categories", f"category {prefix} needs a name")
        else:
            categories[prefix] = label.strip()
    return categories
