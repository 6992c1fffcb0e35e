"""A real headless browser for page tests: Debian's Chromium, driven by Playwright.

Where no ``chromium`` is installed the tests skip with a note, except under CI, where a
missing browser is a failure (``scripts/test`` installs it there).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent
MATHJAX_DIR = REPO / "tests" / "js" / "node_modules" / "mathjax"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# Every typeset formula with what went wrong in it: MathJax errors (merror, kept visible by
# Anki's noerrors package) and undefined macros (shown in red by noundefined).
MATH_PROBLEMS_JS = """() => Array.from(MathJax.startup.document.math).map(item => {
  const bad = [];
  item.root.walkTree(node => {
    const error = node.attributes.get('data-mjx-error');
    if (node.isKind('merror') || error) bad.push('error: ' + (error || 'merror'));
    if (node.attributes.get('mathcolor') === 'red') bad.push('undefined macro');
  });
  return [item.math, item.display, bad];
})"""


def require(path: Path | None, what: str) -> None:
    """Skip (locally) or fail (under CI) when a tool the test needs is missing."""
    if path is not None and path.exists():
        return
    message = f"{what} is not installed; run `bash scripts/test`"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@contextmanager
def chromium_page(viewport: tuple[int, int] = (1200, 900)) -> Iterator[Any]:
    """A fresh page in headless Chromium; console errors collect in ``page.errors``."""
    binary = shutil.which("chromium")
    require(Path(binary) if binary else None, "chromium")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=binary, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
            page.errors = []
            page.on("console", lambda m: page.errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: page.errors.append(str(e)))
            yield page
        finally:
            browser.close()


def wait_for_mathjax(page: Any) -> list[Any]:
    """Wait until MathJax has typeset the page; return each formula with its problems."""
    page.wait_for_function(
        "window.MathJax && MathJax.startup && MathJax.startup.promise", timeout=30_000
    )
    page.evaluate("MathJax.startup.promise")
    return page.evaluate(MATH_PROBLEMS_JS)
