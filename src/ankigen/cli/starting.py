"""The command line: ``init``, a new deck from nothing."""

from __future__ import annotations

from pathlib import Path

import click

from ankigen.cli.base import CONTEXT, main, reports_problems
from ankigen.errors import display_path


@main.command("init", context_settings=CONTEXT)
@click.argument(
    "directory", type=click.Path(file_okay=False, path_type=Path), default=".", required=False
)
@click.option("--name", help="The deck's name, as learners see it. Default: DIR's name.")
@click.option(
    "--category",
    "categories",
    multiple=True,
    metavar="PREFIX=Name",
    help="A category: card ids start with PREFIX (1-10 capital letters). Repeat for more. "
    "Default: GEN=General.",
)
@reports_problems
def init_command(directory: Path, name: str | None, categories: tuple[str, ...]) -> None:
    """Start a deck in DIR (default: here): cards/deck.yaml with random permanent ids,
    an example card, and output/ in .gitignore.

    Refuses when DIR/cards holds a deck.yaml or cards already; then writes nothing.

    Example: ankigen init linear-algebra --name "Linear Algebra" --category "LA=Linear Algebra"
    """
    from ankigen.commands.init import InitUsage, next_steps, parse_categories, plan_init, write_init

    try:
        deck = plan_init(directory, name, parse_categories(categories))
    except InitUsage as exc:
        raise click.UsageError(str(exc)) from None
    write_init(deck)
    for line in next_steps(deck, display_path(directory)):
        click.echo(line)
