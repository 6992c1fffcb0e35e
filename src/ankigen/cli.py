"""The command line: thin wrappers that call the library and turn its errors into messages."""

from __future__ import annotations

import gc
import json
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from pathlib import Path
from typing import Any

import click

from ankigen import __version__
from ankigen.commands.build import build, check
from ankigen.errors import AnkigenError, Problem, display_path
from ankigen.util.progress import Progress, worth_showing

CONTEXT = {"help_option_names": ["-h", "--help"]}
CARDS_OPTION = click.option(
    "--cards",
    "cards_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default="cards",
    show_default=True,
    help="Folder of card files with deck.yaml.",
)


def out_option(help_text: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """The ``--out`` folder option (default ``output``) with a help text of its own."""
    return click.option(
        "--out",
        "out_dir",
        type=click.Path(file_okay=False, path_type=Path),
        default="output",
        show_default=True,
        help=help_text,
    )


def reports_problems(command: Callable[..., Any]) -> Callable[..., Any]:
    """Print every problem of an ``AnkigenError`` as ``path:line: message`` and exit 1."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        # A command makes millions of objects that live to its end and almost no reference
        # cycles; the cycle collector would scan them again and again (a third of a large
        # rebuild's time, measured). Reference counting still frees everything else.
        collecting = gc.isenabled()
        gc.disable()
        try:
            return command(*args, **kwargs)
        except AnkigenError as exc:
            for problem in exc.problems:
                click.echo(str(problem), err=True)
            click.echo(f"ankigen: {_count_problems(exc.problems)}; nothing was written.", err=True)
            if kwargs.get("as_json"):  # a script reading standard output learns why, too
                print_json({"ok": False, "problems": [_problem_data(p) for p in exc.problems]})
            sys.exit(1)
        finally:
            if collecting:
                gc.enable()

    return wrapper


def _problem_data(problem: Problem) -> dict[str, object]:
    return {
        "path": problem.path,
        "line": problem.line,
        "severity": problem.severity,
        "message": problem.message,
    }


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'s' if count != 1 else ''}"


def _count_problems(problems: list[Problem]) -> str:
    """``3 problems found``, or with warnings ``1 error and 2 warnings found``."""
    warnings = sum(not p.is_error for p in problems)
    errors = len(problems) - warnings
    if not warnings:
        return f"{_plural(errors, 'problem')} found"
    if not errors:
        return f"{_plural(warnings, 'warning')} found and --strict is on"
    return f"{_plural(errors, 'error')} and {_plural(warnings, 'warning')} found"


STRICT_OPTION = click.option(
    "--strict", is_flag=True, help="Treat warnings as errors: fail instead of going on."
)
QUIET_OPTION = click.option(
    "-q", "--quiet", is_flag=True, help="Show no progress bar, even for a large deck."
)
JSON_OPTION = click.option(
    "--json", "as_json", is_flag=True, help="Print JSON for scripts instead of text."
)


@contextmanager
def progress_bar(quiet: bool) -> Iterator[Progress]:
    """A ``progress(done, total)`` that shows click's bar on standard error, but only on a
    terminal, for enough cards to render (``util.progress.worth_showing``), and not ``quiet``."""
    shown = not quiet and sys.stderr.isatty()
    bars: list[Any] = []
    reached = [0]

    def progress(done: int, total: int) -> None:
        if not bars:
            if not shown or not worth_showing(total):
                return
            bars.append(click.progressbar(length=total, label="Rendering cards", file=sys.stderr))
            bars[0].__enter__()
        bars[0].update(done - reached[0])
        reached[0] = done

    try:
        yield progress
    finally:
        if bars:
            bars[0].__exit__(None, None, None)


def print_json(data: object) -> None:
    """``data`` as indented JSON on standard output."""
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


# --force once let a build overwrite a built version; now a build of unreleased cards is a
# development build, and a release's package is never overwritten: the flag does nothing
FORCE_OPTION = click.option("--force", is_flag=True, hidden=True)
FORCE_NOTE = (
    "note: --force is no longer needed and does nothing: a build of unreleased cards is a "
    "development build (<deck>-<version>-dev.apkg), and a released package is never "
    "overwritten"
)


@click.group(context_settings=CONTEXT)
@click.version_option(__version__, "-V", "--version", prog_name="ankigen")
def main() -> None:
    """Build a versioned Anki deck from a folder of Markdown cards.

    Example: ankigen build
    """


@main.command("build", context_settings=CONTEXT)
@CARDS_OPTION
@out_option("Folder for the .apkg.")
@click.option(
    "--frozen",
    is_flag=True,
    help="Fail when ankigen.lock does not match the cards instead of updating it (CI, releases).",
)
@STRICT_OPTION
@QUIET_OPTION
@JSON_OPTION
@click.option(
    "--no-cache",
    is_flag=True,
    help="Render every card afresh, without reading or writing the render cache "
    "($XDG_CACHE_HOME/ankigen).",
)
@FORCE_OPTION
@reports_problems
def build_command(
    cards_dir: Path,
    out_dir: Path,
    frozen: bool,
    strict: bool,
    quiet: bool,
    as_json: bool,
    no_cache: bool,
    force: bool,
) -> None:
    """Check CARDS, then build them into OUT/<deck>-<version>-dev.apkg and update the lock.

    VERSION is deck.yaml's, the last release. A build of other cards than that release is
    a development build (-dev), to import and try, rebuilt at will; a build of exactly the
    release's cards rebuilds OUT/<deck>-<version>.apkg, which never changes.

    With --json, prints the output path, the cards per category, the ids changed since the
    lock and the warnings as JSON.

    Example: ankigen build --cards cards --out output --strict
    """
    started = time.perf_counter()
    if force:
        click.echo(FORCE_NOTE, err=True)
    with progress_bar(quiet) as progress:
        result = build(
            cards_dir,
            out_dir,
            now=int(time.time()),
            frozen=frozen,
            strict=strict,
            use_cache=not no_cache,
            progress=progress,
        )
    for warning in result.warnings:
        click.echo(str(warning), err=True)
    if as_json:
        print_json(result.report())
    else:
        click.echo(result.summary(time.perf_counter() - started))


@main.command("check", context_settings=CONTEXT)
@CARDS_OPTION
@STRICT_OPTION
@QUIET_OPTION
@reports_problems
def check_command(cards_dir: Path, strict: bool, quiet: bool) -> None:
    """Check CARDS as build would (formulas, HTML, images, the lock) and write nothing.

    Example: ankigen check --strict
    """
    with progress_bar(quiet) as progress:
        checked = check(cards_dir, now=int(time.time()), strict=strict, progress=progress)
    for warning in checked.warnings:
        click.echo(str(warning), err=True)
    found = _plural(len(checked.warnings), "warning") if checked.warnings else "no problems"
    cards = _plural(len(checked.cards), "card")
    click.echo(f"Checked {display_path(cards_dir)}: {cards}, {found}.")


@main.command("preview", context_settings=CONTEXT)
@CARDS_OPTION
@out_option("Folder for the preview page.")
@click.option(
    "--mathjax",
    metavar="PATH_OR_URL",
    help="MathJax 3 to load: a local copy (folder or tex-chtml-full.js) or a URL. "
    "Default: a pinned CDN copy.",
)
@QUIET_OPTION
@reports_problems
def preview_command(cards_dir: Path, out_dir: Path, mathjax: str | None, quiet: bool) -> None:
    """Write an HTML page showing every card's front and back as Anki shows them.

    A cloze card shows once per deletion: the deletion hidden on the front, revealed on
    the back.

    Example: ankigen preview --mathjax node_modules/mathjax
    """
    from ankigen.commands.preview import (
        write_preview,  # imported when used: a build need not load it
    )

    with progress_bar(quiet) as progress:
        page = write_preview(cards_dir, out_dir, mathjax, progress=progress)
    click.echo(f"Wrote {display_path(page)}: open it in a browser.")


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


@main.command("new", context_settings=CONTEXT)
@click.argument("id_or_title", metavar="[ID] TITLE")
@click.argument("title", required=False, metavar="")
@CARDS_OPTION
@click.option(
    "--category", metavar="PREFIX", help="Category of the new card (needed without an ID)."
)
@click.option("--cloze", is_flag=True, help="A cloze card (## Text with deletions, ## Extra).")
@reports_problems
def new_command(
    id_or_title: str, title: str | None, cards_dir: Path, category: str | None, cloze: bool
) -> None:
    """Write a card skeleton cards/<PREFIX>/<ID>-<title>.md and print its path.

    Without an ID the card takes the next free id of its category; ids of retired cards
    are never reused. Refuses to overwrite a file. Fill in its sections, then build.

    Example: ankigen new "Batch Normalization" --category DL
    """
    from ankigen.commands.new import UsageProblem, plan_new_card, write_new_card

    card_id, title = (id_or_title, title) if title is not None else (None, id_or_title)
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
