"""The package's layout: one folder per stage, and imports that only run one way.

The direction is declared once, here (docs/layout.md):

    cli → commands → cache → checks, release → render, tex, anki, scrape → source → util, errors

A module may import from its own layer and the layers after it, never from one before. The
check reads every module's imports (those inside functions too) with ``ast``.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "ankigen"
LAYERS: tuple[frozenset[str], ...] = (
    frozenset({"__main__", "__init__"}),
    frozenset({"cli"}),
    frozenset({"commands"}),
    frozenset({"cache"}),
    frozenset({"checks", "release"}),
    frozenset({"render", "tex", "anki", "scrape"}),
    frozenset({"source"}),
    frozenset({"util", "errors", "data"}),
)
MAX_MODULE_LINES = 500


def layer_of(room: str) -> int:
    """The index in ``LAYERS`` of a top-level name of the package (a folder or a module)."""
    for index, rooms in enumerate(LAYERS):
        if room in rooms:
            return index
    raise AssertionError(f"ankigen.{room} is in no layer: add it to LAYERS and the README")


def imported_rooms(source: str) -> list[tuple[int, str]]:
    """(line, top-level name under ``ankigen``) of every ``ankigen`` import in ``source``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.level:
                raise AssertionError(f"line {node.lineno}: a relative import; write ankigen.…")
            parts = node.module.split(".")
            if parts[0] == "ankigen":
                if len(parts) > 1:
                    found.append((node.lineno, parts[1]))
                else:
                    found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "ankigen" and len(parts) > 1:
                    found.append((node.lineno, parts[1]))
    return found


def violations(room: str, source: str) -> list[str]:
    """Each import in a module of ``room`` that points up the layers."""
    own = layer_of(room)
    return [
        f"line {line}: {room} imports ankigen.{target}"
        for line, target in imported_rooms(source)
        if target != "__version__" and layer_of(target) < own
    ]


def modules() -> list[Path]:
    return sorted(SRC.rglob("*.py"))


def room_of(path: Path) -> str:
    relative = path.relative_to(SRC)
    return relative.parts[0] if len(relative.parts) > 1 else relative.stem


def test_every_stage_is_a_folder_and_every_module_is_in_a_layer():
    loose = {p.stem for p in SRC.glob("*.py")}
    assert loose == {"__init__", "__main__", "errors"}
    for path in modules():
        layer_of(room_of(path))


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(SRC)))
def test_imports_point_down_the_layers(path):
    assert violations(room_of(path), path.read_text(encoding="utf-8")) == []


def test_an_import_against_the_direction_is_caught():
    upward = "from ankigen.commands.build import build\n"
    assert violations("anki", upward) == ["line 1: anki imports ankigen.commands"]
    lazy = "def f():\n    from ankigen.cache import render_cache\n"
    assert violations("render", lazy) == ["line 2: render imports ankigen.cache"]
    assert violations("commands", "from ankigen.anki.lock import read_lock\n") == []


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(SRC)))
def test_no_module_is_over_the_size_of_one_job(path):
    lines = path.read_text(encoding="utf-8").count("\n")
    assert lines <= MAX_MODULE_LINES, f"{path.name}: {lines} lines"


def test_the_package_writer_loads_neither_markdown_nor_the_sanitizer():
    code = (
        "import sys, ankigen.anki.package\n"
        "print(sorted(m for m in ('cmarkgfm', 'nh3', 'ankigen.render.card') "
        "if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "[]"


MAX_FUNCTION_LINES = 80


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(SRC)))
def test_no_function_is_over_eighty_lines(path):
    long = [
        f"{node.name}: {node.end_lineno - node.lineno + 1} lines"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno is not None
        and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES
    ]
    assert long == []


def test_a_build_without_the_cache_never_loads_it(tmp_path):
    """``--no-cache`` builds the shipped deck without importing anything of ``ankigen.cache``;
    a build with the cache does import it (so the check can fail)."""
    code = (
        "import sys\n"
        "from ankigen.cli import main\n"
        "try:\n"
        "    main(sys.argv[1:])\n"
        "except SystemExit as done:\n"
        "    assert not done.code, done.code\n"
        "print(sorted({m.split('.')[1] for m in sys.modules if m.startswith('ankigen.')}))"
    )
    cards = SRC.parents[1] / "cards"
    args = ["build", "--cards", str(cards), "--out", str(tmp_path), "--quiet"]
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    without = subprocess.run(
        [sys.executable, "-c", code, *args, "--no-cache"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        env=env,
    )
    assert "'cache'" not in without.stdout.splitlines()[-1]
    with_cache = subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        env=env,
    )
    assert "'cache'" in with_cache.stdout.splitlines()[-1]


def test_only_the_note_kind_module_compares_kinds():
    """Kinds differ in one place (``render.kinds``): nothing else tests ``kind == CLOZE``."""
    found = []
    for path in modules():
        if path.relative_to(SRC).as_posix() == "render/kinds.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Compare):
                names = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
                if "CLOZE" in names:
                    found.append(f"{path.relative_to(SRC)}:{node.lineno}")
    assert found == []
