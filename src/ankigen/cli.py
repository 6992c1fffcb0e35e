"""The command line: thin wrappers that call the library and turn its errors into messages."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any

import click

from . import __version__
from .build import build
from .errors import AnkigenError, display_path
from .preview import write_preview

CONTEXT = {"help_option_names": ["-h", "--help"]}
CARDS_OPTION = click.option(
    "--cards",
    "cards_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default="cards",
    show_default=True,
    help="Folder of card files with deck.yaml.",
)


def reports_problems(command: Callable[..., Any]) -> Callable[..., Any]:
    """Print every problem of an ``AnkigenError`` as ``path:line: message`` and exit 1."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except AnkigenError as exc:
            for problem in exc.problems:
                click.echo(str(problem), err=True)
            count = len(exc.problems)
            click.echo(
                f"ankigen: {count} problem{'s' if count != 1 else ''} found; nothing was written.",
                err=True,
            )
            sys.exit(1)

    return wrapper


@click.group(context_settings=CONTEXT)
@click.version_option(__version__, "-V", "--version", prog_name="ankigen")
def main() -> None:
    """Build a versioned Anki deck from a folder of Markdown cards.

    Example: ankigen build
    """


@main.command("build", context_settings=CONTEXT)
@CARDS_OPTION
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default="output",
    show_default=True,
    help="Folder for the .apkg.",
)
@click.option(
    "--frozen",
    is_flag=True,
    help="Fail when ankigen.lock does not match the cards instead of updating it (CI, releases).",
)
@reports_problems
def build_command(cards_dir: Path, out_dir: Path, frozen: bool) -> None:
    """Build CARDS into OUT/<deck>-<version>.apkg and update the lock.

    Example: ankigen build --cards cards --out output
    """
    result = build(cards_dir, out_dir, now=int(time.time()), frozen=frozen)
    click.echo(result.summary())


@main.command("preview", context_settings=CONTEXT)
@CARDS_OPTION
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default="output",
    show_default=True,
    help="Folder for the preview page.",
)
@click.option(
    "--mathjax",
    metavar="PATH_OR_URL",
    help="MathJax 3 to load: a local copy (folder or tex-chtml-full.js) or a URL. "
    "Default: a pinned CDN copy.",
)
@reports_problems
def preview_command(cards_dir: Path, out_dir: Path, mathjax: str | None) -> None:
    """Write an HTML page showing every card's front and back as Anki shows them.

    Example: ankigen preview --mathjax node_modules/mathjax
    """
    page = write_preview(cards_dir, out_dir, mathjax)
    click.echo(f"Wrote {display_path(page)}: open it in a browser.")
