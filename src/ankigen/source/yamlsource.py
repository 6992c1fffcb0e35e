"""YAML parsing that keeps line numbers, shared by deck.yaml and card front matter."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml

from ankigen.errors import shorten
from ankigen.source.yamlerrors import explain

try:  # the C loader is several times faster; PyYAML falls back when libyaml is absent
    from yaml import CSafeLoader as SafeLoader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader  # type: ignore[assignment]


@dataclass(frozen=True)
class YamlMapping:
    """A parsed top-level YAML mapping, with the line (1-based, in the file) of each key."""

    values: dict[str, Any]
    key_lines: dict[str, int]
    first_line: int


class YamlSyntaxError(Exception):
    """The text is not YAML, or not a mapping; ``line`` is 1-based within the file."""

    def __init__(self, line: int, message: str, column: int = 0) -> None:
        super().__init__(message)
        self.line = line
        self.message = message
        self.column = column  # 1-based; 0 when not known


def parse_mapping(text: str, first_line: int = 1) -> YamlMapping:
    """Parse ``text`` (which starts at ``first_line`` of its file) as a YAML mapping.

    Front matter is mostly ``key: word words`` and ``tags: [a, b]`` lines, which ``_simple``
    reads without PyYAML (a tenth of the time), exactly as PyYAML would; anything else goes
    to PyYAML.
    """
    simple = _simple(text, first_line)
    return simple if simple is not None else _parse_yaml(text, first_line)


# A line ``key: value`` whose value is plain text that YAML cannot read as anything else
# (a number, a date, a bool, null: ``_is_text`` asks YAML's own resolver), or a flow list
# of such words; no quotes, comments, colons or other YAML syntax.
SIMPLE_LINE = re.compile(
    r"([A-Za-z_][A-Za-z0-9_]*): +"  # the key
    r"(?:(\[[^\[\]]*\])|([^\W\d_][\w .,'()/+-]*?)) *"  # a flow list, or words
)
LIST_ITEM = re.compile(r"[^\W\d_][\w.+-]*")
_RESOLVER = yaml.resolver.Resolver()  # the one SafeLoader uses


def _is_text(value: str) -> bool:
    resolved = _RESOLVER.resolve(yaml.ScalarNode, value, (True, False))
    return bool(resolved == "tag:yaml.org,2002:str")


def _simple(text: str, first_line: int) -> YamlMapping | None:
    """The mapping of ``text`` when every line is blank or a simple ``key: value`` line; else
    ``None`` (PyYAML reads it)."""
    values: dict[str, Any] = {}
    key_lines: dict[str, int] = {}
    for number, line in enumerate(text.split("\n")):
        if not line.strip():
            if line:  # spaces alone: leave what they mean to YAML
                return None
            continue
        match = SIMPLE_LINE.fullmatch(line)
        if match is None:
            return None
        key, flow, scalar = match.groups()
        if key in values or not _is_text(key):
            return None
        if flow is not None:
            items = [item.strip() for item in flow[1:-1].split(",")]
            if items == [""]:
                items = []
            if not all(LIST_ITEM.fullmatch(item) and _is_text(item) for item in items):
                return None
            values[key] = items
        elif _is_text(scalar):
            values[key] = scalar
        else:
            return None
        key_lines[key] = first_line + number
    return YamlMapping(values, key_lines, first_line) if values else None


def _parse_yaml(text: str, first_line: int) -> YamlMapping:
    """``parse_mapping`` by PyYAML."""
    loader = SafeLoader(text)
    try:  # one parse: the node tree gives the keys' lines, and the values are built from it
        if "&" in text or "*" in text:
            _refuse_aliases(text, first_line)
        node = loader.get_single_node()
        if node is not None:
            _refuse_duplicate_keys(node, first_line)
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = first_line + (mark.line if mark else 0)
        reason = exc.problem or "invalid YAML"
        plain = explain(reason, text, mark.line, mark.column) if mark else None
        if plain:
            raise YamlSyntaxError(line, plain, mark.column + 1 if mark else 0) from None
        if exc.context:
            reason = f"{exc.context}: {reason}" if "while" not in exc.context else reason
        raise YamlSyntaxError(line, f"invalid YAML: {reason}") from None
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(first_line, f"invalid YAML: {exc}") from None
    finally:
        loader.dispose()
    if data is None:
        return YamlMapping({}, {}, first_line)
    if not isinstance(node, yaml.MappingNode) or not isinstance(data, dict):
        raise YamlSyntaxError(first_line, "expected a YAML mapping of `key: value` lines")
    key_lines: dict[str, int] = {}
    _key_lines(node, "", first_line, key_lines, 0)
    values = {str(k): v for k, v in data.items()}
    return YamlMapping(values, key_lines, first_line)


def _key_lines(node: Any, prefix: str, first_line: int, lines: dict[str, int], depth: int) -> None:
    """The line of each key of the mapping ``node``; a nested mapping's keys under their
    dotted path (``note_types.reversed.fields``), a few levels deep."""
    for key_node, value_node in node.value:
        key = f"{prefix}{key_node.value}"
        lines.setdefault(key, first_line + key_node.start_mark.line)
        if isinstance(value_node, yaml.MappingNode) and depth < 3:
            _key_lines(value_node, f"{key}.", first_line, lines, depth + 1)


ALIASES = (
    "YAML anchors and aliases (`&name`, `*name`, `<<: *name`) are not allowed: write the "
    "value out in full"
)


def _refuse_aliases(text: str, first_line: int) -> None:
    """Raise at the first anchor or alias: an alias repeats a value without copying it, so
    a few lines of them can stand for billions of values ("billion laughs")."""
    for event in yaml.parse(text, Loader=SafeLoader):
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            mark = event.start_mark
            line, column = (mark.line, mark.column + 1) if mark is not None else (0, 0)
            raise YamlSyntaxError(first_line + line, ALIASES, column)


def _refuse_duplicate_keys(root: Any, first_line: int) -> None:
    """Raise at a key given twice in one mapping (YAML would keep the last one silently)."""
    pending = [root]
    while pending:
        node = pending.pop()
        if isinstance(node, yaml.MappingNode):
            seen: dict[tuple[str, str], int] = {}
            for key_node, value_node in node.value:
                if isinstance(key_node, yaml.ScalarNode):
                    key = (key_node.tag, key_node.value)
                    line = first_line + key_node.start_mark.line
                    if key in seen:
                        raise YamlSyntaxError(
                            line,
                            f"`{shorten(key_node.value)}:` is given twice, on lines {seen[key]} "
                            f"and {line} (YAML would keep the last silently): keep one",
                        )
                    seen[key] = line
                pending.append(value_node)
        elif isinstance(node, yaml.SequenceNode):
            pending.extend(node.value)
