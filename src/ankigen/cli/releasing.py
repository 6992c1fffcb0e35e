"""The command line: ``release``."""

from __future__ import annotations

import time
from pathlib import Path

import click

from ankigen.cli.base import (
    CARDS_OPTION,
    CONTEXT,
    FORCE_NOTE,
    FORCE_OPTION,
    QUIET_OPTION,
    main,
    out_option,
    progress_bar,
    reports_problems,
)


@main.command("release", context_settings=CONTEXT)
@click.argument("part", type=click.Choice(["major", "minor", "patch"]), required=False)
@CARDS_OPTION
@out_option("Folder for the .apkg.")
@click.option(
    "--changelog",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Changelog to update. Default: CHANGELOG.md beside a folder named cards, else "
    "CHANGELOG-<folder>.md beside the cards folder.",
)
@FORCE_OPTION
@click.option(
    "--allow-empty", is_flag=True, help="Release even when no card changed since the last release."
)
@click.option(
    "--message",
    "-m",
    default="",
    metavar="TEXT",
    help="Your words for this release, in the changelog and the deck description.",
)
@click.option(
    "--dry-run",
    is_flag=True,
    help="Print the changelog entry and what learners would see; write nothing.",
)
@QUIET_OPTION
@reports_problems
def release_command(
    part: str | None,
    cards_dir: Path,
    out_dir: Path,
    changelog: Path | None,
    force: bool,
    allow_empty: bool,
    message: str,
    dry_run: bool,
    quiet: bool,
) -> None:
    """Release the last release raised by PART, or without PART the version in deck.yaml.

    Raises `version` in deck.yaml, builds OUT/<deck>-<version>.apkg with every note it
    changes stamped now, and records the changes. Without PART it releases the version you
    raised in deck.yaml by hand. Refuses when the check fails, when no card changed (unless
    --allow-empty), a patch that adds cards (a minor release), and a minor that retires
    cards or changes the note type's fields (a major one). Cards added,
    changed (by field) and retired since the last release, and your --message, go to
    CHANGELOG.md (newest first) and to the deck description learners see in Anki.

    Example: ankigen release minor -m "Twelve new cards on attention."
    """
    from ankigen.commands.release import dry_run as try_release
    from ankigen.commands.release import release
    from ankigen.source.controls import CONTROL, describe_control

    control = CONTROL.search(message)
    if control:
        raise click.UsageError(f"--message holds a {describe_control(control.group())}")
    now, words = int(time.time()), message.strip()
    if force:
        click.echo(FORCE_NOTE, err=True)
    with progress_bar(quiet) as progress:
        if dry_run:
            trial = try_release(
                cards_dir,
                out_dir,
                part,
                now=now,
                allow_empty=allow_empty,
                message=words,
                progress=progress,
            )
        else:
            result = release(
                cards_dir,
                out_dir,
                part,
                now=now,
                changelog=changelog,
                progress=progress,
                allow_empty=allow_empty,
                message=words,
            )
    if dry_run:
        click.echo("Dry run: nothing was written. The changelog entry would be:\n")
        click.echo(trial.changelog_entry)
        click.echo("What a learner who has the last package would see on importing it:\n")
        click.echo(trial.learners)
        return
    for warning in result.build.warnings:
        click.echo(str(warning), err=True)
    click.echo(result.summary())
