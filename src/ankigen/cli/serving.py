"""The command line: ``serve``, the preview page served live while the cards are edited."""

from __future__ import annotations

import gc
import signal
import sys
import threading
import webbrowser
from pathlib import Path
from types import FrameType

import click

from ankigen.cli.base import CARDS_OPTION, CONTEXT, main, plural, reports_problems
from ankigen.errors import Problem


def _report(problems: list[Problem]) -> None:
    """After each rendering but the first: what is wrong now, on standard error."""
    errors = [p for p in problems if p.is_error]
    for problem in problems:
        click.echo(str(problem), err=True)
    found = f"{plural(len(errors), 'error')}, {plural(len(problems) - len(errors), 'warning')}"
    click.echo(f"Rebuilt the preview: {found}.", err=True)


def _stop_on_term(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # SIGTERM stops as Ctrl-C does


@main.command("serve", context_settings=CONTEXT)
@CARDS_OPTION
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8000,
    show_default=True,
    help="Port on 127.0.0.1 to serve on (0: any free port).",
)
@click.option("--open", "open_browser", is_flag=True, help="Open the page in the web browser.")
@click.option(
    "--mathjax",
    metavar="PATH_OR_URL",
    help="MathJax 3 to load: a local copy (folder or tex-chtml-full.js, served by the "
    "server) or a URL. Default: a pinned CDN copy.",
)
@reports_problems
def serve_command(cards_dir: Path, port: int, open_browser: bool, mathjax: str | None) -> None:
    """Serve the preview page on http://127.0.0.1:PORT/ and update it on every save.

    Every file below CARDS is watched; a change renders the changed cards again and the
    page reloads itself. Cards with errors are left out and their errors listed on the
    page; the server goes on. Writes nothing into CARDS and builds no package.

    Example: ankigen serve --open --mathjax node_modules/mathjax
    """
    from ankigen.commands.serve import LivePreview
    from ankigen.commands.serve_http import PortProblem, open_server, served_mathjax

    gc.enable()  # a long-running server: reports_problems's pause of the collector is not for it
    script_url, mathjax_root = served_mathjax(mathjax)
    live = LivePreview(cards_dir, script_url, report=_report)
    try:
        server = open_server(port, live, mathjax_root)
    except PortProblem as exc:
        click.echo(str(exc), err=True)
        sys.exit(1)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, _stop_on_term)
    try:
        live.refresh()
        for problem in live.problems:
            click.echo(str(problem), err=True)
        click.echo(f"Serving {live.deck_name} at {server.url} (Ctrl-C to stop)")
        threading.Thread(target=live.watch, args=(stop,), daemon=True).start()
        if open_browser:
            webbrowser.open(server.url)
        server.serve_forever(poll_interval=0.25)
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        server.server_close()
    click.echo("Stopped.")
