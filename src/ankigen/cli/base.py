"""The command line, shared parts: the ``ankigen`` group, common options, and the wrapper that
turns ``AnkigenError`` into ``path:line`` messages and an exit status."""

from __future__ import annotations

import errno
import gc
import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from pathlib import Path
from typing import Any

import click
from click.core import ParameterSource

from ankigen import __version__
from ankigen.errors import AnkigenError, Problem, display_path
from ankigen.source.locate import beside_cards, find_cards_folder
from ankigen.util.progress import Progress, worth_showing

CONTEXT = {"help_option_names": ["-h", "--help"]}
DEFAULT = ParameterSource.DEFAULT
FOUND_ROOT = "ankigen.cards_found"  # ctx.meta: the cards folder found upward, if one was


def _cards_folder(ctx: click.Context, param: click.Parameter, value: Path) -> Path:
    """The ``--cards`` folder. Left at its default, and with no ``./cards/deck.yaml``, the
    nearest deck upward from here (``source.locate``): commands work from any subfolder."""
    if ctx.get_parameter_source("cards_dir") == DEFAULT:
        found = find_cards_folder(Path.cwd(), str(value))
        if found is not None and found != value:
            ctx.meta[FOUND_ROOT] = found
            value = found
    if not value.is_dir():
        kind = "File" if value.exists() else "Directory"
        what = "is a file" if value.exists() else "does not exist"
        hint = ""
        if ctx.get_parameter_source("cards_dir") == DEFAULT:
            hint = (
                " No deck.yaml here or in a folder above: run this in a deck, give --cards, "
                "or start a deck with `ankigen init`."
            )
        raise click.BadParameter(f"{kind} {str(value)!r} {what}.{hint}", ctx, param)
    return value


CARDS_OPTION = click.option(
    "--cards",
    "cards_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default="cards",
    show_default=True,
    callback=_cards_folder,
    help="Folder of card files with deck.yaml (default: ./cards, else the deck this folder "
    "is in).",
)


def _out_folder(ctx: click.Context, param: click.Parameter, value: Path) -> Path:
    """The ``--out`` folder; left at its default, beside a cards folder found upward."""
    found = ctx.meta.get(FOUND_ROOT)
    if found is not None and ctx.get_parameter_source(param.name or "") == DEFAULT:
        return beside_cards(found, str(value))
    return value


def out_option(help_text: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """The ``--out`` folder option (default ``output``) with a help text of its own."""
    return click.option(
        "--out",
        "out_dir",
        type=click.Path(file_okay=False, path_type=Path),
        default="output",
        show_default=True,
        callback=_out_folder,
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
            click.echo(f"ankigen: {count_problems(exc.problems)}; nothing was written.", err=True)
            if kwargs.get("as_json"):  # a script reading standard output learns why, too
                print_json({"ok": False, "problems": [problem_data(p) for p in exc.problems]})
            sys.exit(1)
        except BrokenPipeError:  # the reader went away (`| head`): nothing more to say
            sys.stderr.close()
            os._exit(0)
        except OSError as exc:  # the file system refused: a message, never a traceback
            problem = os_problem(exc)
            click.echo(str(problem), err=True)
            click.echo(
                "ankigen: stopped; every file is whole (each is written at once): fix the cause "
                "and run the command again",
                err=True,
            )
            if kwargs.get("as_json"):
                print_json({"ok": False, "problems": [problem_data(problem)]})
            sys.exit(1)
        except KeyboardInterrupt:
            click.echo(
                "ankigen: interrupted; every file is whole (each is written at once)", err=True
            )
            sys.exit(130)
        finally:
            if collecting:
                gc.enable()

    return wrapper


# what the file system said, in words that name the way out, by errno
OS_REASONS = {
    errno.EROFS: "the file system is read-only: choose another folder with --out",
    errno.ENOSPC: "no space left on the device: free some space",
    errno.EDQUOT: "the disk quota is used up: free some space",
    errno.EACCES: "permission denied: check the folder's permissions, or choose another one",
    errno.EPERM: "not permitted: check the folder's permissions, or choose another one",
    errno.ENAMETOOLONG: "the file name is too long: shorten the deck name or the title",
    errno.ENOTDIR: "a part of this path is a file, not a folder: choose another path",
    errno.EISDIR: "this is a folder where a file should be: move it away",
    errno.ENOENT: "no such file or folder",
    errno.ELOOP: "a link points to itself: remove it",
}


def os_problem(exc: OSError) -> Problem:
    """A file system error as a problem at the path it names."""
    where = exc.filename if exc.filename is not None else "ankigen"
    if isinstance(where, bytes):
        where = where.decode("utf-8", "replace")
    reason = OS_REASONS.get(exc.errno or 0, exc.strerror or str(exc))
    return Problem(display_path(Path(str(where))), 1, reason)


def problem_data(problem: Problem) -> dict[str, object]:
    return {
        "path": problem.path,
        "line": problem.line,
        "severity": problem.severity,
        "message": problem.message,
    }


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'s' if count != 1 else ''}"


def count_problems(problems: list[Problem]) -> str:
    """``3 problems found``, or with warnings ``1 error and 2 warnings found``."""
    warnings = sum(not p.is_error for p in problems)
    errors = len(problems) - warnings
    if not warnings:
        return f"{plural(errors, 'problem')} found"
    if not errors:
        return f"{plural(warnings, 'warning')} found and --strict is on"
    return f"{plural(errors, 'error')} and {plural(warnings, 'warning')} found"


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
