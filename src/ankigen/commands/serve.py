"""``ankigen serve``: the preview page kept up to date while the author edits the cards.

``LivePreview`` renders the page (the preview's own, ``commands.preview``) and renders it
again whenever a file below the cards folder changes (``watched_files``, polled). Only
changed cards are rendered again: unchanged ones come from the render cache. Unlike
``preview``, problems do not stop it: the cards that render are shown, with every error
and warning listed above them; when deck.yaml is broken, the page lists its problems
instead of cards. Nothing is written into the cards folder, and no package is built.

The page asks ``/version`` every second (``RELOAD_JS``) and reloads itself when the version,
a digest of the page, has changed, keeping its scroll position and filters.
"""

from __future__ import annotations

import hashlib
import html
import os
import threading
from collections.abc import Callable
from pathlib import Path

from ankigen.anki.notes import unsafe_cards
from ankigen.anki.notetype import cloze_note_type
from ankigen.checks.notetypes import deck_types
from ankigen.commands.build import render_deck
from ankigen.commands.preview import PAGE_CSS, preview_html
from ankigen.errors import AnkigenError, Problem, display_path
from ankigen.render.card import RenderedDeck

VERSION_MARK = "@@ankigen-serve-version@@"  # replaced by the page's digest
POLL_SECONDS = 0.4  # how often the cards folder is looked at

SERVE_CSS = """\
.problems { margin: 0; padding: 0.6em 1em; background: #fdecea; color: #611a15;
  border-bottom: 1px solid #f5c2c0; }
.problems h2, .warnings summary { font-size: 0.95em; margin: 0 0 0.3em; }
.problems ul, .warnings ul { margin: 0; padding-left: 1.2em; }
.problems li, .warnings li { font-family: ui-monospace, monospace; font-size: 0.85em;
  white-space: pre-wrap; overflow-wrap: anywhere; }
.warnings { margin: 0; padding: 0.4em 1em; color: #5f4b00; background: #fffbe6;
  border-bottom: 1px solid #eee3b0; font-size: 0.9em; }
.dark .problems { background: #3b1412; color: #f8c9c5; }
.dark .warnings { background: #2e2a14; color: #e8dca0; }
.live-status { margin: 0; padding: 0.3em 1em; font-size: 0.8em; opacity: 0.8; }
"""

# Asks /version every second; a new version reloads the page, which then restores what the
# author had: scroll position, search, tag filter, night mode and phone width.
RELOAD_JS = """\
(function () {
  const version = document.documentElement.dataset.version;
  const key = "ankigen-serve-state";
  const status = document.getElementById("live-status");
  const byId = id => document.getElementById(id);
  function save() {
    const state = { y: window.scrollY };
    for (const id of ["search", "tag"]) if (byId(id)) state[id] = byId(id).value;
    for (const id of ["night", "phone"]) if (byId(id)) state[id] = byId(id).checked;
    sessionStorage.setItem(key, JSON.stringify(state));
  }
  function restore() {
    let state = null;
    try { state = JSON.parse(sessionStorage.getItem(key) || "null"); } catch (e) {}
    sessionStorage.removeItem(key);
    if (!state) return;
    for (const id of ["search", "tag"]) {
      const box = byId(id);
      if (box && state[id] !== undefined) {
        box.value = state[id];
        box.dispatchEvent(new Event(id === "tag" ? "change" : "input"));
      }
    }
    for (const id of ["night", "phone"]) {
      const box = byId(id);
      if (box && state[id] && !box.checked) box.click();
    }
    const scroll = () => window.scrollTo(0, state.y || 0);
    scroll();
    window.addEventListener("load", () => {
      scroll();
      const mathjax = window.MathJax;
      if (mathjax && mathjax.startup && mathjax.startup.promise) {
        mathjax.startup.promise.then(scroll);  // typeset formulas change the heights
      }
    });
  }
  async function poll() {
    try {
      const answer = await fetch("/version", { cache: "no-store" });
      const now = (await answer.text()).trim();
      if (answer.ok && now !== version) {
        save();
        location.reload();
        return;
      }
      if (status) status.textContent = "live: reloads on every save";
    } catch (e) {
      if (status) status.textContent = "the server has stopped: run ankigen serve again";
    }
    setTimeout(poll, 1000);
  }
  restore();
  setTimeout(poll, 1000);
})();
"""


def watched_files(cards_dir: Path) -> dict[str, tuple[int, int, int]]:
    """Each file below ``cards_dir`` (hidden files and folders skipped) with its size, change
    time and inode: what changes when a file is saved."""
    found: dict[str, tuple[int, int, int]] = {}
    for folder, folders, files in os.walk(cards_dir):
        folders[:] = sorted(name for name in folders if not name.startswith("."))
        for name in files:
            if name.startswith("."):
                continue
            path = os.path.join(folder, name)
            try:
                status = os.stat(path)
            except OSError:  # removed while we looked
                continue
            found[path] = (status.st_size, status.st_mtime_ns, status.st_ino)
    return found


def problem_list(problems: list[Problem], cards_shown: bool) -> str:
    """The errors (prominent) and warnings (folded) as HTML, each ``path:line: message``."""
    errors = [p for p in problems if p.is_error]
    warnings = [p for p in problems if not p.is_error]
    parts = []
    if errors:
        plural = "s" if len(errors) != 1 else ""
        where = "the other cards are shown" if cards_shown else "no cards can be shown"
        items = "".join(f'<li class="error">{html.escape(str(p))}</li>' for p in errors)
        parts.append(
            f'<section id="problems" class="problems" role="alert"><h2>{len(errors)} '
            f"error{plural} ({where})</h2><ul>{items}</ul></section>"
        )
    if warnings:
        plural = "s" if len(warnings) != 1 else ""
        items = "".join(f'<li class="warning">{html.escape(str(p))}</li>' for p in warnings)
        parts.append(
            f'<details id="warnings" class="warnings"><summary>{len(warnings)} '
            f"warning{plural}</summary><ul>{items}</ul></details>"
        )
    return "\n".join(parts) + ("\n" if parts else "")


def _with_version(page: str) -> tuple[str, str]:
    """The page with its version (a digest of the page) filled in, and that version."""
    version = hashlib.sha256(page.encode("utf-8")).hexdigest()[:16]
    return page.replace(VERSION_MARK, version), version


def _extras(problems: list[Problem], cards_shown: bool) -> tuple[str, str]:
    """What ``serve`` adds to the preview page: above the cards, and its script."""
    top = (
        f"<style>\n{SERVE_CSS}</style>\n"
        '<p class="live-status"><span id="live-status">live: reloads on every save</span></p>\n'
        + problem_list(problems, cards_shown)
    )
    return top, RELOAD_JS


def problems_page(cards_dir: Path, problems: list[Problem]) -> str:
    """The page when deck.yaml cannot be read: its problems (and the cards') instead of cards."""
    top, script = _extras(problems, cards_shown=False)
    title = html.escape(f"{display_path(cards_dir)}: deck.yaml has errors")
    return f"""<!DOCTYPE html>
<html lang="en" data-version="{VERSION_MARK}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} — preview</title>
<style>
{PAGE_CSS}</style>
</head>
<body class="preview-page">
<div class="toolbar"><h1>{title}</h1></div>
{top}<main id="cards"></main>
<script>
{script}</script>
</body>
</html>
"""


def deck_page(deck: RenderedDeck, cards_dir: Path, script_url: str) -> tuple[str, str]:
    """The page of a rendered deck, problems listed above the cards that can be shown; and
    the deck's name (the folder's, when deck.yaml is broken)."""
    problems = list(deck.problems) + list(deck.checks) + list(deck.cache_warnings)
    config = deck.config
    if config is None:
        return problems_page(cards_dir, sorted(set(problems))), display_path(cards_dir)
    built, type_problems = deck_types(config)
    problems.extend(type_problems)
    cloze = built.cloze or cloze_note_type(0, config.name)
    types = {"basic": built.basic, cloze.kind: cloze, **built.declared}
    cards = [card for card in deck.cards if card.kind in types]
    unsafe = unsafe_cards(cards, {kind: spec.field_names for kind, spec in types.items()})
    problems.extend(unsafe)
    left_out = {problem.path for problem in unsafe}
    cards = [card for card in cards if card.shown not in left_out]
    top, script = _extras(sorted(set(problems)), cards_shown=True)
    page = preview_html(
        config, types, cards, script_url, built.media, command="serve", top=top, script=script
    )
    page = page.replace('<html lang="en">', f'<html lang="en" data-version="{VERSION_MARK}">', 1)
    return page, config.name


class LivePreview:
    """The current page of a cards folder and its version, rendered again on every change.

    ``refresh`` looks at the folder and renders when something changed since the last look;
    ``watch`` does that every ``POLL_SECONDS`` until told to stop. ``report`` hears, after
    each rendering but the first, the deck's problems.
    """

    def __init__(
        self,
        cards_dir: Path,
        script_url: str,
        report: Callable[[list[Problem]], None] | None = None,
    ) -> None:
        self.cards_dir = cards_dir
        self.script_url = script_url
        self.report = report
        self.deck_name = display_path(cards_dir)
        self.problems: list[Problem] = []
        self._seen: dict[str, tuple[int, int, int]] | None = None
        self._lock = threading.Lock()
        self._page = ""
        self._version = ""

    def current(self) -> tuple[str, str]:
        """The page and its version."""
        with self._lock:
            return self._page, self._version

    def refresh(self) -> bool:
        """Render the page again if a file changed since the last look; whether it did."""
        seen = watched_files(self.cards_dir)  # before rendering: a save meanwhile is seen next
        if seen == self._seen:
            return False
        first = self._seen is None
        self._seen = seen
        try:
            deck = render_deck(self.cards_dir)
            problems = sorted(set(deck.problems + deck.checks + deck.cache_warnings))
            page, name = deck_page(deck, self.cards_dir, self.script_url)
        except AnkigenError as exc:
            problems = list(exc.problems)
            page, name = problems_page(self.cards_dir, problems), self.deck_name
        except OSError as exc:  # the folder removed or unreadable while serving
            problems = [Problem(display_path(self.cards_dir), 1, f"cannot read: {exc}")]
            page, name = problems_page(self.cards_dir, problems), self.deck_name
        page, version = _with_version(page)
        with self._lock:
            self._page, self._version = page, version
        self.deck_name, self.problems = name, problems
        if self.report is not None and not first:
            self.report(problems)
        return True

    def watch(self, stop: threading.Event) -> None:
        """Refresh every ``POLL_SECONDS`` until ``stop`` is set."""
        while not stop.wait(POLL_SECONDS):
            self.refresh()
