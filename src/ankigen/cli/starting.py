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


@main.command("adopt", context_settings=CONTEXT)
@click.argument("package", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--cards",
    "cards_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("cards"),
    show_default=True,
    help="The cards folder to write.",
)
@click.option("--deck", help="The deck to adopt, by name. Default: the one with most cards.")
@click.option(
    "--categories",
    type=click.Choice(["ids", "tags"]),
    default="ids",
    show_default=True,
    help="ids: from a field holding card ids like DL0001 (else all in AD); tags: by tag.",
)
@click.option("--force", is_flag=True, help="Replace everything in an existing cards folder.")
@reports_problems
def adopt_command(
    package: Path, cards_dir: Path, deck: str | None, categories: str, force: bool
) -> None:
    """Bring the deck in PACKAGE (any .apkg) under ankigen, costing its learners nothing:
    writes a cards folder whose `ankigen build` is an update of that very deck (same
    note types, GUIDs and note times: a learner who imports it sees 0 new and 0 updated
    notes). Prints every field that will not come back byte for byte, and why.

    Refuses a cards folder that is not empty unless --force. Reads no scheduling.

    Example: ankigen adopt "Physics Basics.apkg" --cards cards
    """
    import time

    from ankigen.commands.adopt import adopt

    done = adopt(
        package, cards_dir, now=int(time.time()), deck=deck, categories=categories, force=force
    )
    for warning in done.warnings:
        click.echo(str(warning), err=True)
    for line in done.report:
        click.echo(f"round trip: {line}")
    click.echo(
        f"Adopted {done.deck!r} into {display_path(done.cards_dir)}: {done.notes} notes of "
        f"{len(done.types)} note types ({', '.join(done.types)}); {len(done.report)} "
        "fields differ from the package as built (listed above: learners keep theirs until "
        "you edit the card). Next: ankigen build"
    )
