"""The whole "new deck from nothing" path as an author walks it, with the live preview in
the loop: ``init`` → ``new`` (a draft) → ``serve`` shows it → the author fills it while the
page follows → ``build`` → ``release`` → a learner's real Anki imports both cards."""

from __future__ import annotations

import queue
import re
import threading

from tests.ankihelpers import import_package, notes_by_id_field
from tests.browser import chromium_page
from tests.test_init_drafts import finish, run
from tests.test_serve import free_port, local_mathjax, start

TEXT = "document.querySelector('main').innerText"


def test_init_new_serve_fill_build_release_import(tmp_path, runner, monkeypatch, collection):
    monkeypatch.chdir(tmp_path)
    run(runner, "init", "stats", "--name", "Statistics", "--category", "ST=Statistics")
    deck = tmp_path / "stats"
    monkeypatch.chdir(deck)
    made = run(runner, "new", "ST", "What", "is", "a", "median?")
    (draft,) = [p for p in (deck / "cards" / "ST").glob("ST0002-*.md")]
    assert "draft: true" in draft.read_text() and "ST0002" in made.stdout

    port = free_port()
    server = start(deck, "--port", str(port), "--mathjax", local_mathjax())
    first: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: first.put(server.stdout.readline()), daemon=True).start()
    try:
        assert first.get(timeout=60).startswith(f"Serving Statistics at http://127.0.0.1:{port}/")
        with chromium_page() as page:
            page.goto(f"http://127.0.0.1:{port}/")
            assert "What is a median?" in page.evaluate(TEXT)  # the draft is on the page
            finish(draft, "What is the median of 1, 2 and 9?", "2, the middle value.")
            page.wait_for_function(f"{TEXT}.includes('the middle value')", timeout=5000)
    finally:
        server.terminate()
        server.communicate(timeout=10)

    built = run(runner, "build")
    assert re.search(r"2 cards \(ST 2\)", built.stdout), built.stdout
    released = run(runner, "release")
    assert released.stdout.startswith("Released 0.1.0"), released.stdout
    (package,) = (deck / "output").glob("statistics-0.1.0.apkg")
    log = import_package(collection, package)
    assert len(log.new) == 2
    notes = notes_by_id_field(collection)
    assert sorted(notes) == ["ST0001", "ST0002"]
    assert "the middle value" in notes["ST0002"]["Answer"]
    assert "Statistics 0.1.0" in (deck / "CHANGELOG.md").read_text()
