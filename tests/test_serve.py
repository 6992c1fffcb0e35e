"""`ankigen serve`, run as a real process and looked at in a real Chromium.

The server is started as a user starts it (`python -m ankigen serve …`), on a copy of the
shipped deck; the page is watched while card files are edited, broken and fixed, without
ever reloading it by hand.
"""

from __future__ import annotations

import http.client
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from ankigen.cli import main
from ankigen.commands.serve import LivePreview, problem_list
from ankigen.errors import Problem
from tests.browser import MATHJAX_DIR, chromium_page, require, wait_for_mathjax

SRC = Path(__file__).resolve().parents[1] / "src"
ENTRIES = "document.querySelectorAll('article.entry').length"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Server:
    process: subprocess.Popen[str]
    url: str
    port: int
    lines: queue.Queue[str] = field(default_factory=queue.Queue)

    def stop(self, sig: int = signal.SIGINT) -> tuple[int, str, str]:
        """Send ``sig``; the exit status, the rest of standard output, and standard error."""
        self.process.send_signal(sig)
        out, err = self.process.communicate(timeout=10)
        return self.process.returncode, out, err


def start(cwd: Path, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(SRC), "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "ankigen", "serve", *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@contextmanager
def serving(cards: Path, *extra: str) -> Iterator[Server]:
    """``ankigen serve --cards CARDS --port <free> EXTRA…`` until its URL is printed."""
    port = free_port()
    process = start(cards.parent, "--cards", str(cards), "--port", str(port), *extra)
    first: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: first.put(process.stdout.readline()), daemon=True).start()
    try:
        line = first.get(timeout=60)
    except queue.Empty:
        process.kill()
        pytest.fail(f"no URL printed; stderr: {process.communicate()[1]}")
    assert line == (
        f"Serving ML and DL Interview Questions at http://127.0.0.1:{port}/ (Ctrl-C to stop)\n"
    ), (line, process.stderr.read() if process.poll() is not None else "")
    server = Server(process, f"http://127.0.0.1:{port}/", port)
    try:
        yield server
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate(timeout=10)


def local_mathjax() -> str:
    require(MATHJAX_DIR / "es5" / "tex-chtml-full.js", "MathJax (tests/js, npm ci)")
    return str(MATHJAX_DIR)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_the_page_follows_every_save_by_itself(cards):
    card = next(cards.rglob("DL0001-*.md"))
    with serving(cards, "--mathjax", local_mathjax()) as server, chromium_page() as page:
        page.goto(server.url)
        assert page.evaluate(ENTRIES) == 10
        assert wait_for_mathjax(page)  # served by the server from the local copy
        assert page.is_hidden("#mathjax-missing")
        assert "Why are residual connections important" in page.inner_text("main")
        page.fill("#search", "residual")
        page.evaluate("window.scrollTo(0, 0); window.notReloaded = true")

        edit(card, "Why are residual connections important", "Why do zebras ride bicycles")
        page.wait_for_function(
            "document.querySelector('main').innerText.includes('Why do zebras ride bicycles')",
            timeout=5000,
        )
        assert page.evaluate("window.notReloaded === undefined")  # the page reloaded itself
        assert "Why are residual connections important" not in page.inner_text("main")
        assert page.input_value("#search") == "residual"  # the filter survived the reload
        assert page.inner_text("#count") == "1 of 10 cards"
        assert page.is_hidden("#problems")
        assert page.errors == []
    assert server.process.returncode is not None


def test_a_broken_card_is_listed_on_the_page_and_the_server_goes_on(cards):
    card = next(cards.rglob("ML0030-*.md"))
    deck = cards / "deck.yaml"
    with serving(cards, "--mathjax", local_mathjax()) as server, chromium_page() as page:
        page.goto(server.url)
        assert page.evaluate(ENTRIES) == 10
        page.evaluate("window.scrollTo(0, 400)")

        edit(card, "## Answer", "## Answr <b>")
        page.wait_for_function("document.getElementById('problems') !== null", timeout=5000)
        shown = card.relative_to(cards.parent).as_posix()
        assert page.evaluate(
            "Array.from(document.querySelectorAll('#problems li'), li => li.textContent)"
        ) == [
            f"{shown}:10: unknown section `## Answr <b>` (a card has `## Question` and "
            "`## Answer`; use ### for headings inside them)"
        ]
        assert page.evaluate(ENTRIES) == 9  # the other cards are still there
        assert page.evaluate("document.querySelectorAll('#problems b').length") == 0
        assert page.evaluate("window.scrollY") > 300  # the place kept over the reload
        assert server.process.poll() is None

        edit(card, "## Answr <b>", "## Answer")
        page.wait_for_function("document.getElementById('problems') === null", timeout=5000)
        assert page.evaluate(ENTRIES) == 10

        good = deck.read_text(encoding="utf-8")
        deck.write_text(good.replace("version:", "version: [", 1), encoding="utf-8")
        page.wait_for_function("document.getElementById('problems') !== null", timeout=5000)
        assert "deck.yaml:" in page.inner_text("#problems")
        assert page.evaluate(ENTRIES) == 0  # deck.yaml's errors instead of cards

        deck.write_text(good, encoding="utf-8")
        page.wait_for_function(f"{ENTRIES} === 10", timeout=5000)
        assert page.evaluate("document.getElementById('problems')") is None
        code, _, err = server.stop()
    assert code == 0
    assert (
        f"{card.relative_to(cards.parent).as_posix()}:10: unknown section" in err
    )  # the terminal heard too
    assert "Traceback" not in err


def listening_addresses(port: int) -> set[str]:
    """The local addresses of the sockets listening on ``port`` (Linux's /proc/net/tcp*)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not Path(table).exists():
            continue
        for row in Path(table).read_text().splitlines()[1:]:
            local, state = row.split()[1], row.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                if len(address) == 8:
                    found.add(socket.inet_ntoa(bytes.fromhex(address)[::-1]))
                else:
                    found.add(f"ipv6:{address}")
    return found


def get(port: int, path: str, host: str | None = None) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        headers = {"Host": host} if host else {}
        connection.request("GET", path, headers=headers)
        answer = connection.getresponse()
        return answer.status, answer.read()
    finally:
        connection.close()


def test_it_listens_on_127_0_0_1_only_and_serves_nothing_else(cards):
    if not Path("/proc/net/tcp").exists():
        pytest.skip("needs Linux's /proc/net/tcp")
    with serving(cards, "--mathjax", local_mathjax()) as server:
        port = server.port
        assert listening_addresses(port) == {"127.0.0.1"}
        with pytest.raises(ConnectionRefusedError):  # 127.0.0.2 is this machine too
            socket.create_connection(("127.0.0.2", port), timeout=5).close()
        status, page = get(port, "/")
        assert status == 200 and b"ML and DL Interview Questions" in page
        status, version = get(port, "/version")
        assert status == 200 and version.decode() in page.decode()
        assert get(port, "/mathjax/es5/tex-chtml-full.js")[0] == 200
        for path in (
            "/mathjax/../../../../../../etc/passwd",
            "/mathjax/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
            "/mathjax//etc/passwd",
            "/mathjax/es5",
            "/deck.yaml",
            "/cards/deck.yaml",
            "/../cards/deck.yaml",
            "/etc/passwd",
        ):
            assert get(port, path)[0] == 404, path
        assert get(port, "/", host="attacker.example:80")[0] == 421  # DNS rebinding
        code, out, err = server.stop()
    assert code == 0
    assert out == "Stopped.\n"
    assert err == ""  # no request is logged, and none failed


def test_ctrl_c_stops_cleanly_and_frees_the_port(cards):
    with serving(cards) as server:
        status, page = get(server.port, "/")
        assert status == 200
        # without a local MathJax the page names the way to get one, for serve
        assert b"npm install mathjax@3" in page
        assert b"ankigen serve --mathjax node_modules/mathjax" in page
        started = time.monotonic()
        code, out, err = server.stop(signal.SIGINT)
    assert time.monotonic() - started < 5
    assert (code, out) == (0, "Stopped.\n")
    assert "Traceback" not in err and "Aborted" not in err
    assert err == ""
    with socket.socket() as again:  # nothing listens there any more (as a restart would)
        again.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        again.bind(("127.0.0.1", server.port))
        again.listen()


def test_a_port_in_use_is_a_clear_message(cards):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process = start(cards.parent, "--cards", str(cards), "--port", str(port))
        out, err = process.communicate(timeout=60)
    assert process.returncode == 1
    assert out == ""
    assert f"port {port} is in use" in err
    assert "--port" in err
    assert "Traceback" not in err


def test_open_starts_the_browser_on_the_page(cards, tmp_path):
    opened = tmp_path / "opened.txt"
    browser = tmp_path / "browser.sh"
    browser.write_text(f'#!/bin/sh\necho "$1" > {opened}\n')
    browser.chmod(0o755)
    os.environ["BROWSER"] = str(browser)
    try:
        with serving(cards, "--open") as server:
            deadline = time.monotonic() + 10
            while not (opened.exists() and opened.read_text()) and time.monotonic() < deadline:
                time.sleep(0.1)
            assert opened.read_text() == server.url + "\n"
    finally:
        del os.environ["BROWSER"]


def test_serve_writes_nothing_into_the_cards_folder(cards):
    before = {p: p.read_bytes() for p in sorted(cards.rglob("*")) if p.is_file()}
    card = next(cards.rglob("DL0002-*.md"))
    with serving(cards) as server:
        edit(card, "## Question", "## Question\n\nAn edit.")
        time.sleep(1.5)
        assert server.stop()[0] == 0
    after = {p: p.read_bytes() for p in sorted(cards.rglob("*")) if p.is_file() and p != card}
    assert after == {p: data for p, data in before.items() if p != card}
    assert not (cards.parent / "output").exists()


@pytest.mark.parametrize("how", ["refused", "throws"])
def test_the_static_preview_says_when_mathjax_did_not_load(runner, cards, tmp_path, how):
    if how == "refused":
        mathjax = "https://127.0.0.1:9/mathjax/tex-chtml-full.js"  # nothing listens there
    else:
        broken = tmp_path / "broken" / "tex-chtml-full.js"
        broken.parent.mkdir()
        broken.write_text('throw new Error("not MathJax");\n')
        mathjax = str(broken)
    out = tmp_path / "out"
    result = runner.invoke(
        main, ["preview", "--cards", str(cards), "--out", str(out), "--mathjax", mathjax]
    )
    assert result.exit_code == 0, result.output
    (page_file,) = out.glob("*-preview.html")
    with chromium_page() as page:
        page.goto(page_file.as_uri())
        page.wait_for_selector("#mathjax-missing", state="visible", timeout=10_000)
        banner = page.inner_text("#mathjax-missing")
    assert "formulas are shown as raw TeX" in banner
    assert "npm install mathjax@3" in banner
    assert "ankigen preview --mathjax node_modules/mathjax" in banner


def test_the_static_preview_shows_no_banner_when_mathjax_loads(runner, cards, tmp_path):
    out = tmp_path / "out"
    args = ["preview", "--cards", str(cards), "--out", str(out), "--mathjax", local_mathjax()]
    assert runner.invoke(main, args).exit_code == 0
    (page_file,) = out.glob("*-preview.html")
    with chromium_page() as page:
        page.goto(page_file.as_uri())
        wait_for_mathjax(page)
        page.wait_for_load_state("load")
        page.evaluate("MathJax.startup.promise")
        assert page.is_hidden("#mathjax-missing")
        assert page.errors == []


def test_errors_stand_out_warnings_fold_and_both_are_escaped():
    listed = problem_list(
        [Problem("cards/A.md", 3, "bad <b>"), Problem.warning("cards/B.md", 7, "odd & <i>")],
        cards_shown=True,
    )
    assert '<li class="error">cards/A.md:3: bad &lt;b&gt;</li>' in listed
    assert "1 error (the other cards are shown)" in listed
    assert '<details id="warnings" class="warnings"><summary>1 warning</summary>' in listed
    assert '<li class="warning">cards/B.md:7: warning: odd &amp; &lt;i&gt;</li>' in listed
    assert problem_list([], cards_shown=True) == ""


def test_the_page_is_rendered_again_only_when_a_file_changed(cards):
    live = LivePreview(cards, "mathjax.js")
    assert live.refresh()
    page, version = live.current()
    assert f'data-version="{version}"' in page and live.problems == []
    assert not live.refresh()  # nothing changed: nothing done
    card = next(cards.rglob("DL0003-*.md"))
    edit(card, "## Question", "## Question\n\nSomething new.")
    assert live.refresh()
    assert live.current()[1] != version and "Something new." in live.current()[0]
    (cards / ".hidden.swp").write_text("an editor's file")
    assert not live.refresh()  # hidden files are not watched
