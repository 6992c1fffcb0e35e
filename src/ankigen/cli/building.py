"""The command line: ``build``, ``check`` and ``preview``."""

from __future__ import annotations

import time
from pathlib import Path

import click

from ankigen.checks.drafts import drafts_line
from ankigen.cli.base import (
    CARDS_OPTION,
    CONTEXT,
    FORCE_NOTE,
    FORCE_OPTION,
    JSON_OPTION,
    QUIET_OPTION,
    STRICT_OPTION,
    main,
    out_option,
    plural,
    print_json,
    progress_bar,
    reports_problems,
)
from ankigen.commands.build import build, check
from ankigen.errors import display_path


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
    found = plural(len(checked.warnings), "warning") if checked.warnings else "no problems"
    cards = plural(len(checked.cards), "card")
    click.echo(f"Checked {display_path(cards_dir)}: {cards}, {found}.")
    if checked.drafts:
        click.echo(drafts_line(checked.drafts))


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
