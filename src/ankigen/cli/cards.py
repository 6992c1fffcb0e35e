"""The command line: ``import``, ``diff``, ``new``, ``list`` and ``stats``."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import click

from ankigen.cli.base import (
    CARDS_OPTION,
    CONTEXT,
    JSON_OPTION,
    QUIET_OPTION,
    main,
    print_json,
    progress_bar,
    reports_problems,
)
from ankigen.errors import AnkigenError, display_path

LOOKS_LIKE_ID = re.compile(r"[A-Za-z]+[0-9]+$")  # DL0005; checked properly by `new` itself


@main.command("import", context_settings=CONTEXT)
@click.argument(
    "listing", type=click.Path(exists=True, dir_okay=False, readable=False, allow_dash=True)
)
@CARDS_OPTION
@click.option("--force", is_flag=True, help="Overwrite card files that differ from the listing.")
@click.option("--dry-run", is_flag=True, help="Print the card files instead of writing them.")
@reports_problems
def import_command(listing: str, cards_dir: Path, force: bool, dry_run: bool) -> None:
    """Turn a scraped Q&A LISTING page (- for standard input) into card files in CARDS.

    Reports each card as new, unchanged or skipped (an existing file that differs), and
    every judgement call as `listing:line: ID: message` on standard error.

    Example: ankigen import listing.txt --dry-run
    """
    from ankigen.scrape.importer import plan_import, read_listing, write_import

    text, shown = read_listing(listing, sys.stdin.buffer)
    plan = plan_import(text, shown, cards_dir, force=force)
    if not dry_run:
        write_import(plan)
    for line in plan.doubt_lines():
        click.echo(line, err=True)
    for card in plan.cards:
        click.echo(card.status_line())
        if dry_run and card.writes:
            click.echo(card.text, nl=False)
    click.echo(plan.summary(dry_run))


@main.command("diff", context_settings=CONTEXT)
@click.argument("old", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("new", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@reports_problems
def diff_command(old: Path, new: Path) -> None:
    """Show what a learner who imported OLD.apkg sees on importing NEW.apkg.

    New, updated (with the changed fields), untouched and newly retired notes, and any
    note type change that would stop updates. Reads any .apkg, not only ankigen's.

    Example: ankigen diff output/deck-1.0.0.apkg output/deck-1.1.0.apkg
    """
    from ankigen.anki.apkg import read_package
    from ankigen.anki.diff import diff_packages, format_diff

    click.echo(format_diff(diff_packages(read_package(old), read_package(new))))


@main.command("new", context_settings=CONTEXT)
@click.argument("words", nargs=-1, required=True, metavar="[ID] TITLE…")
@CARDS_OPTION
@click.option(
    "--category", metavar="PREFIX", help="Category of the new card (needed without an ID)."
)
@click.option("--cloze", is_flag=True, help="A cloze card (## Text with deletions, ## Extra).")
@reports_problems
def new_command(
    words: tuple[str, ...], cards_dir: Path, category: str | None, cloze: bool
) -> None:
    """Write a card skeleton cards/<PREFIX>/<ID>-<title>.md and print its path.

    Without an ID the card takes the next free id of its category; ids of retired cards
    are never reused. Refuses to overwrite a file. Fill in its sections, then build.

    The title may be quoted or not: the words after the id are the title.

    Example: ankigen new DL "Batch Normalization" (or --category DL)
    """
    from ankigen.commands.new import UsageProblem, plan_new_card, write_new_card

    if category is None and len(words) > 1 and words[0].isupper() and words[0].isalpha():
        from ankigen.source.config import load_config

        try:
            if words[0] in load_config(cards_dir).categories:  # `new ST What is a median?`
                category, words = words[0], words[1:]
        except AnkigenError:
            pass  # plan_new_card reports what is wrong with deck.yaml
    card_id, title = split_id_and_title(words)
    try:
        card = plan_new_card(cards_dir, title, card_id, category, cloze=cloze)
    except UsageProblem as exc:
        raise click.UsageError(str(exc)) from None
    write_new_card(card)
    click.echo(display_path(card.path))


@main.command("list", context_settings=CONTEXT)
@CARDS_OPTION
@click.option("--category", metavar="PREFIX", help="Only the cards of this category.")
@click.option("--tag", help="Only the cards with this tag.")
@click.option("--changed", is_flag=True, help="Only cards added or changed since the release.")
@JSON_OPTION
@QUIET_OPTION
@reports_problems
def list_command(
    cards_dir: Path,
    category: str | None,
    tag: str | None,
    changed: bool,
    as_json: bool,
    quiet: bool,
) -> None:
    """List the cards: id, type, change since the last release, title and tags.

    Example: ankigen list --changed --json
    """
    from ankigen.commands.inventory import list_data, list_lines, select, take_inventory

    with progress_bar(quiet) as progress:
        inventory = take_inventory(cards_dir, progress=progress)
    known = inventory.config.categories
    if category is not None and category not in known:
        listed = ", ".join(sorted(known))
        message = f"{category!r} is not a category of this deck ({listed})"
        raise click.BadParameter(message, param_hint="'--category'")
    cards = select(inventory, category=category, tag=tag, changed=changed)
    if as_json:
        print_json(list_data(inventory, cards))
    else:
        for line in list_lines(cards):
            click.echo(line)


@main.command("stats", context_settings=CONTEXT)
@CARDS_OPTION
@JSON_OPTION
@QUIET_OPTION
@reports_problems
def stats_command(cards_dir: Path, as_json: bool, quiet: bool) -> None:
    """Count the cards per category, type and tag, the formulas, and the cards changed
    since the last release.

    Example: ankigen stats --json
    """
    from ankigen.commands.inventory import stats_data, stats_lines, take_inventory

    with progress_bar(quiet) as progress:
        inventory = take_inventory(cards_dir, progress=progress)
    if as_json:
        print_json(stats_data(inventory))
    else:
        for line in stats_lines(inventory):
            click.echo(line)


def split_id_and_title(words: tuple[str, ...]) -> tuple[str | None, str]:
    """``ankigen new``'s words as (id, title): the first word is the id when it looks like one
    (``DL0005``) and more words follow; the rest, joined by spaces, is the title, so an
    unquoted title of several words is taken whole."""
    if len(words) > 1 and LOOKS_LIKE_ID.match(words[0]):
        return words[0], " ".join(words[1:])
    return None, " ".join(words)
