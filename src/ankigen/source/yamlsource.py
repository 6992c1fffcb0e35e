"""YAML parsing that keeps line numbers, shared by deck.yaml and card front matter."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

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

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


def parse_mapping(text: str, first_line: int = 1) -> YamlMapping:
    """Parse ``text`` (which starts at ``first_line`` of its file) as a YAML mapping."""
    loader = SafeLoader(text)
    try:  # one parse: the node tree gives the keys' lines, and the values are built from it
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = first_line + (mark.line if mark else 0)
        reason = exc.problem or "invalid YAML"
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
    for key_node, _ in node.value:
        key_lines[str(key_node.value)] = first_line + key_node.start_mark.line
    values = {str(k): v for k, v in data.items()}
    return YamlMapping(values, key_lines, first_line)
