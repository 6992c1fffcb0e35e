"""The render cache never serves stale HTML, invalidates exactly what it must, and survives damage.

Each test runs with its own ``XDG_CACHE_HOME`` (``conftest.private_cache_home``). A build
"renders" a card when ``Renderer.render_card`` runs for it; tests count those calls.
"""

from __future__ import annotations

import json
import os
import pickle
import re
import shutil
import struct
import subprocess
import sys
import textwrap
import time
import zlib
from pathlib import Path

import pytest

import ankigen.cache.build_record
import ankigen.commands.build
from ankigen.anki import notetype
from ankigen.cache import render_cache as rendercache
from ankigen.cache.build_record import snapshot_inputs, unchanged_result
from ankigen.cli import main
from ankigen.commands.build import build
from ankigen.errors import AnkigenError
from ankigen.render.card import Renderer
from ankigen.source.config import load_config

T0 = 1_800_000_000
ALL_CARDS = [
    "DL0001",
    "DL0002",
    "DL0003",
    "DL0004",
    "ML0026",
    "ML0027",
    "ML0028",
    "ML0029",
    "ML0030",
    "ML0031",
]


@pytest.fixture
def rendered(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The ids of the cards each build renders (instead of taking them from the cache)."""
    seen: list[str] = []
    real = Renderer.render_card

    def counting(self: Renderer, card):
        seen.append(card.id)
        return real(self, card)

    monkeypatch.setattr(Renderer, "render_card", counting)
    return seen


def settled(cards: Path, out: Path) -> None:
    """One build without the cache first, so that the lock is current before comparing."""
    build(cards, out, now=T0, use_cache=False)


def card_file(cards: Path, card_id: str) -> Path:
    return next(cards.rglob(f"{card_id}-*.md"))


def shards(home: Path) -> list[Path]:
    return sorted(home.glob("ankigen/*/*.shard"))


def test_cached_and_uncached_builds_give_identical_packages(
    cards, tmp_path, rendered, private_cache_home
):
    settled(cards, tmp_path / "settle")
    rendered.clear()
    fresh = build(cards, tmp_path / "fresh", now=T0, use_cache=False).output.read_bytes()
    assert sorted(rendered) == ALL_CARDS and not shards(private_cache_home)
    rendered.clear()
    cold = build(cards, tmp_path / "cold", now=T0).output.read_bytes()
    assert sorted(rendered) == ALL_CARDS  # an empty cache: everything rendered, then saved
    assert shards(private_cache_home)
    rendered.clear()
    warm = build(cards, tmp_path / "warm", now=T0).output.read_bytes()
    assert rendered == []  # every card came from the cache
    assert fresh == cold == warm


def test_changing_one_card_renders_exactly_that_card(cards, tmp_path, rendered):
    settled(cards, tmp_path / "settle")
    build(cards, tmp_path / "first", now=T0)
    rendered.clear()
    path = card_file(cards, "DL0003")
    path.write_text(path.read_text(encoding="utf-8") + "\nOne more line.\n", encoding="utf-8")
    result = build(cards, tmp_path / "second", now=T0 + 60)
    assert rendered == ["DL0003"]
    assert result.changes.changed == ("DL0003",)
    uncached = build(cards, tmp_path / "uncached", now=T0 + 60, use_cache=False)
    assert result.output.read_bytes() == uncached.output.read_bytes()


def test_what_no_card_sees_invalidates_nothing(cards, tmp_path, rendered):
    settled(cards, tmp_path / "out")
    build(cards, tmp_path / "out", now=T0)
    rendered.clear()
    deck = cards / "deck.yaml"
    deck.write_text(re.sub(r"(?m)^version: .*$", "version: 1.1.0", deck.read_text()))
    build(cards, tmp_path / "out", now=T0 + 60)
    assert rendered == []


def test_a_new_renderer_version_renders_everything(cards, tmp_path, rendered, monkeypatch):
    settled(cards, tmp_path / "out")
    build(cards, tmp_path / "out", now=T0)
    rendered.clear()
    monkeypatch.setattr(rendercache, "renderer_fingerprint", lambda: "a newer ankigen")
    build(cards, tmp_path / "out", now=T0)
    assert sorted(rendered) == ALL_CARDS


def test_changed_templates_render_everything(cards, tmp_path, rendered, monkeypatch):
    settled(cards, tmp_path / "out")
    build(cards, tmp_path / "out", now=T0)
    rendered.clear()
    monkeypatch.setattr(notetype, "CSS", notetype.CSS + ".card { letter-spacing: 0; }\n")
    # (into another folder: the build record sees template changes only as changed code)
    build(cards, tmp_path / "other", now=T0 + 60)
    assert sorted(rendered) == ALL_CARDS


def test_the_fingerprint_covers_math_rules_code_and_data(tmp_path):
    copy = tmp_path / "ankigen"
    shutil.copytree(rendercache.PACKAGE_DIR, copy, ignore=shutil.ignore_patterns("__pycache__"))
    before = rendercache.package_fingerprint(copy)
    assert rendercache.package_fingerprint(copy) == before  # stable
    mathtex = copy / "render" / "formulas.py"
    mathtex.write_text(mathtex.read_text(encoding="utf-8") + "\n# a changed rule\n")
    after_code = rendercache.package_fingerprint(copy)
    data = sorted((copy / "data").iterdir())[0]
    data.write_bytes(data.read_bytes() + b" ")
    after_data = rendercache.package_fingerprint(copy)
    assert len({before, after_code, after_data}) == 3


def test_a_moved_card_file_is_rendered_again(cards, tmp_path, rendered):
    settled(cards, tmp_path / "out")
    build(cards, tmp_path / "out", now=T0)
    rendered.clear()
    path = card_file(cards, "ML0030")
    path.rename(path.with_name("renamed.md"))  # messages name the file: a new outcome
    build(cards, tmp_path / "out", now=T0)
    assert rendered == ["ML0030"]


def tiny_png(red: int) -> bytes:
    """A valid 1×1 PNG of the given red value."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    pixel = zlib.compress(bytes([0, red, 0, 0]))
    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixel) + chunk(b"IEND", b"")
    )


def test_a_card_showing_an_image_follows_the_image_file(cards, tmp_path):
    image = cards / "DL" / "images" / "figure.png"
    image.parent.mkdir()
    image.write_bytes(tiny_png(10))
    path = card_file(cards, "DL0001")
    path.write_text(
        path.read_text(encoding="utf-8") + "\n![a figure](images/figure.png)\n", encoding="utf-8"
    )
    first = build(cards, tmp_path / "first", now=T0).output.read_bytes()
    image.write_bytes(tiny_png(200))  # the card's text stays as it was
    second = build(cards, tmp_path / "second", now=T0 + 60)
    assert second.changes.changed == ("DL0001",)
    uncached = build(cards, tmp_path / "uncached", now=T0 + 60, use_cache=False)
    assert second.output.read_bytes() == uncached.output.read_bytes()
    assert first != second.output.read_bytes()


def damage(shard: Path, how: str) -> None:
    data = shard.read_bytes()
    if how == "foreign":
        shard.write_bytes(b"PK\x03\x04 not ours at all")
    elif how == "truncated":
        shard.write_bytes(data[: len(data) // 2])
    elif how == "altered":
        middle = len(data) // 2
        shard.write_bytes(data[:middle] + bytes([data[middle] ^ 0xFF]) + data[middle + 1 :])
    elif how == "empty":
        shard.write_bytes(b"")


def cache_warnings(warnings) -> list[str]:
    return [str(w) for w in warnings if "render cache" in w.message]


@pytest.mark.parametrize("how", ["foreign", "truncated", "altered", "empty"])
def test_a_damaged_cache_file_is_ignored_with_a_warning_and_rebuilt(
    cards, tmp_path, rendered, private_cache_home, how
):
    settled(cards, tmp_path / "settle")
    expected = build(cards, tmp_path / "expected", now=T0, use_cache=False).output.read_bytes()
    build(cards, tmp_path / "out", now=T0)
    shard = shards(private_cache_home)[0]
    damage(shard, how)
    rendered.clear()
    result = build(cards, tmp_path / "again", now=T0)
    (warning,) = cache_warnings(result.warnings)
    assert warning.startswith(f"{shard}:1: warning: ignored render cache file: ")
    assert warning.endswith("; it is rebuilt")
    assert 1 <= len(rendered) < len(ALL_CARDS)  # only the cards of the damaged shard
    assert result.output.read_bytes() == expected
    rendered.clear()
    again = build(cards, tmp_path / "once-more", now=T0)
    assert rendered == [] and cache_warnings(again.warnings) == []  # the shard was written anew


def test_a_cache_warning_is_on_stderr_and_in_json_but_never_replayed(
    cards, tmp_path, private_cache_home, runner, monkeypatch
):
    settled(cards, tmp_path / "settle")
    monkeypatch.chdir(tmp_path)
    args = ["build", "--cards", str(cards), "--out", "out"]
    assert runner.invoke(main, args).exit_code == 0
    for shard in shards(private_cache_home):  # every one: which shard a card is in varies
        damage(shard, "altered")
    card = card_file(cards, "ML0026")  # a build that reads the cache, not the no-change one
    card.write_text(card.read_text(encoding="utf-8") + "\nMore.\n", encoding="utf-8")
    result = runner.invoke(main, [*args, "--json"])
    assert result.exit_code == 0, result.output
    assert "warning: ignored render cache file: checksum mismatch" in result.stderr
    report = json.loads(result.stdout)
    assert any("ignored render cache file" in w["message"] for w in report["warnings"])
    replay = runner.invoke(main, [*args, "--json"])  # nothing changed: the last report again
    assert json.loads(replay.stdout)["unchanged"] is True
    assert "render cache" not in replay.stderr


def test_an_unwritable_cache_folder_is_a_warning(cards, tmp_path, private_cache_home):
    settled(cards, tmp_path / "settle")
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the cache folder should be", encoding="utf-8")
    os.environ["XDG_CACHE_HOME"] = str(blocked)  # restored by the fixture's monkeypatch
    result = build(cards, tmp_path / "out", now=T0)
    (warning,) = cache_warnings(result.warnings)
    assert "could not save the render cache" in warning
    assert "the next build renders every card again" in warning


class Exploit:
    """Unpickling this runs a shell command; the cache must refuse it."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_a_cache_file_that_would_run_code_is_refused(cards, tmp_path, private_cache_home):
    settled(cards, tmp_path / "settle")
    build(cards, tmp_path / "out", now=T0)
    shard = shards(private_cache_home)[0]
    generation = json.loads(shard.read_bytes().split(b"\n")[1])["generation"]
    marker = tmp_path / "pwned"
    payload = pickle.dumps({bytes([int(shard.stem, 16)]) * 32: Exploit(marker)})
    header = json.dumps({"format": rendercache.CACHE_FORMAT, "generation": generation})
    shard.write_bytes(
        rendercache.MAGIC
        + header.encode()
        + b"\n"
        + payload
        + rendercache.hashlib.sha256(payload).digest()
    )
    result = build(cards, tmp_path / "again", now=T0)
    assert not marker.exists()
    (warning,) = cache_warnings(result.warnings)
    assert "unexpected class" in warning


def test_no_cache_leaves_the_cache_alone_and_no_change_says_so(
    cards, runner, private_cache_home, monkeypatch
):
    monkeypatch.chdir(cards.parent)
    settled(cards, cards.parent / "settle")
    result = runner.invoke(main, ["build", "--no-cache"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Built output/") and not shards(private_cache_home)
    assert runner.invoke(main, ["build"]).exit_code == 0  # writes the package again, fills
    assert shards(private_cache_home)
    again = runner.invoke(main, ["build"])
    assert again.exit_code == 0, again.output
    assert re.fullmatch(
        r"No changes: output/\S+\.apkg is up to date \(10 cards: DL 4, ML 6\); "
        r"checked in \d+\.\d\d s\.\n",
        again.stdout,
    )


def test_a_package_gone_from_disk_is_written_again(cards, tmp_path):
    settled(cards, tmp_path / "out")
    first = build(cards, tmp_path / "out", now=T0)
    good = first.output.read_bytes()
    assert build(cards, tmp_path / "out", now=T0).unchanged
    first.output.unlink()
    result = build(cards, tmp_path / "out", now=T0)
    assert not result.unchanged
    assert result.output.read_bytes() == good


def test_cache_home_follows_xdg_and_ignores_a_relative_one(tmp_path):
    assert rendercache.cache_root({"XDG_CACHE_HOME": str(tmp_path)}) == tmp_path / "ankigen"
    home_default = Path.home() / ".cache" / "ankigen"
    assert rendercache.cache_root({"XDG_CACHE_HOME": "relative/dir"}) == home_default
    assert rendercache.cache_root({}) == home_default


def test_parallel_rendering_gives_the_serial_result_in_order(cards, tmp_path):
    # In a child process: worker processes are forked, which a test process (with the Anki
    # engine's threads) should not do.
    script = textwrap.dedent(
        f"""
        from pathlib import Path
        from ankigen.source.config import load_config
        from ankigen.checks.outcomes import card_outcomes
        from ankigen.source.load import discover
        cards = Path({str(cards)!r})
        paths, config = discover(cards), load_config(cards)
        serial = card_outcomes(cards, paths, config, workers=1)
        parallel = card_outcomes(cards, paths, config, workers=2, parallel_min=1)
        assert len(serial) == 10 and serial == parallel, "parallel differs"
        print("same", [o.rendered.id for o in parallel])
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"same {sorted(ALL_CARDS)}"


def test_a_build_where_nothing_changed_does_nothing_and_reports_as_a_full_build_would(
    cards, tmp_path, rendered, monkeypatch
):
    settled(cards, tmp_path / "settle")
    path = card_file(cards, "ML0028")
    path.write_text(
        path.read_text(encoding="utf-8") + '\n<span onclick="x()">A new line.</span>\n',
        encoding="utf-8",
    )
    first = build(cards, tmp_path / "out", now=T0 + 60)  # writes the lock, warns (onclick)
    assert first.warnings and not first.unchanged
    rendered.clear()
    real_render = ankigen.commands.build.render_deck
    monkeypatch.setattr(ankigen.commands.build, "render_deck", None)  # would fail if called
    again = build(cards, tmp_path / "out", now=T0 + 120)
    assert again.unchanged and rendered == []
    monkeypatch.setattr(ankigen.commands.build, "render_deck", real_render)
    full = build(cards, tmp_path / "full", now=T0 + 120, use_cache=False)
    assert again.warnings == full.warnings
    assert again.per_category == full.per_category
    assert not full.changes.any and not again.changes.any


def up_to_date(cards: Path, out: Path) -> bool:
    """Whether a build of ``cards`` into ``out`` now would stop early (``buildrecord``)."""
    config = load_config(cards)
    snapshot = snapshot_inputs(cards, out, {"frozen": False, "strict": False})
    targets = (out / config.package_name, out / config.dev_package_name)
    return unchanged_result(snapshot, config, targets) is not None


@pytest.mark.parametrize(
    "edit",
    ["deck description", "an image no card shows yet", "the lock", "a card", "the package"],
)
def test_any_changed_input_means_a_real_build(cards, tmp_path, edit):
    settled(cards, tmp_path / "out")
    first = build(cards, tmp_path / "out", now=T0)
    assert up_to_date(cards, tmp_path / "out")
    assert build(cards, tmp_path / "out", now=T0).unchanged
    if edit == "deck description":
        deck = cards / "deck.yaml"
        deck.write_text(re.sub(r"(?m)^description: ", "description: Now ", deck.read_text()))
    elif edit == "an image no card shows yet":
        (cards / "DL" / "new.png").write_bytes(tiny_png(1))
    elif edit == "the lock":
        lock = cards / "ankigen.lock"
        lock.write_text(lock.read_text() + "\n")
    elif edit == "a card":
        path = card_file(cards, "DL0002")
        path.write_text(path.read_text(encoding="utf-8") + "\nMore.\n", encoding="utf-8")
    else:
        first.output.write_bytes(first.output.read_bytes() + b"\0")
    assert not up_to_date(cards, tmp_path / "out")


def test_an_edit_during_a_build_is_never_taken_as_built(cards, tmp_path, monkeypatch):
    settled(cards, tmp_path / "out")
    path = card_file(cards, "ML0031")
    before = path.read_text(encoding="utf-8")
    real_render = ankigen.commands.build.render_deck

    def edit_then_render(*args, **kwargs):  # the author saves after the build began
        path.write_text(before + "\nSaved meanwhile.\n", encoding="utf-8")
        return real_render(*args, **kwargs)

    monkeypatch.setattr(ankigen.commands.build, "render_deck", edit_then_render)
    built = build(cards, tmp_path / "new", now=T0)  # made from the edited card
    monkeypatch.setattr(ankigen.commands.build, "render_deck", real_render)
    assert built.changes.changed == ("ML0031",)
    assert not up_to_date(cards, tmp_path / "new")
    path.write_text(before, encoding="utf-8")  # as the build started: still not that package
    assert not up_to_date(cards, tmp_path / "new")


def test_strict_is_an_input_too(cards, tmp_path):
    path = card_file(cards, "ML0028")
    text = path.read_text(encoding="utf-8")
    path.write_text(text + '\n<b onclick="alert(1)">Bold</b>\n', encoding="utf-8")
    build(cards, tmp_path / "out", now=T0)  # warns: the sanitizer removes the handler
    again = build(cards, tmp_path / "out", now=T0)
    assert again.unchanged and any("onclick" in w.message for w in again.warnings)
    with pytest.raises(AnkigenError):
        build(cards, tmp_path / "out", now=T0, strict=True)


def clock_ahead(monkeypatch: pytest.MonkeyPatch, seconds: float) -> None:
    """Builds from now on see this machine's clock ``seconds`` ahead."""
    real = ankigen.cache.build_record.time.time_ns
    monkeypatch.setattr(
        ankigen.cache.build_record.time, "time_ns", lambda: real() + int(seconds * 1_000_000_000)
    )


@pytest.fixture
def no_racy_window(monkeypatch: pytest.MonkeyPatch) -> None:
    """Trust any file older than the newest one, instead of 3 s older: tests need not wait."""
    monkeypatch.setattr(ankigen.cache.build_record, "RACY_SECONDS", 0)


def opened_by_snapshot(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the files the input snapshot of each build reads (``buildrecord``)."""
    seen: list[str] = []

    def counting(path, *args, **kwargs):
        seen.append(Path(path).name)
        return open(path, *args, **kwargs)

    monkeypatch.setattr(ankigen.cache.build_record, "open", counting, raising=False)
    return seen


def recorded(cards: Path) -> set[str]:
    """The files whose status the last build's record trusts."""
    record = ankigen.cache.build_record.read_record(cards, load_config(cards))
    return set(ankigen.cache.build_record.known_files(record))


def test_a_rebuild_reads_only_the_files_whose_status_changed(
    cards, tmp_path, monkeypatch, no_racy_window
):
    settled(cards, tmp_path / "out")  # writes the lock: newer than every card file
    build(cards, tmp_path / "out", now=T0)  # records each file's status with its digest
    opened = opened_by_snapshot(monkeypatch)
    path = card_file(cards, "DL0002")
    path.write_text(path.read_text(encoding="utf-8") + "\nMore.\n", encoding="utf-8")
    again = build(cards, tmp_path / "out", now=T0 + 60)
    assert again.changes.changed == ("DL0002",)
    # the edited card, and the lock, which the build itself writes and never records
    assert sorted(opened) == sorted([path.name, "ankigen.lock"])


def test_a_touched_file_is_read_until_a_newer_one_vouches_for_the_clock(
    cards, tmp_path, monkeypatch, no_racy_window
):
    settled(cards, tmp_path / "out")
    build(cards, tmp_path / "out", now=T0)
    first, second = card_file(cards, "ML0029"), card_file(cards, "ML0026")
    first.touch()  # a new status, the same content: nothing to build
    time.sleep(0.05)  # file times tick with the kernel's coarse clock (up to 10 ms)
    second.touch()
    opened = opened_by_snapshot(monkeypatch)
    assert build(cards, tmp_path / "out", now=T0).unchanged
    assert sorted(opened) == sorted([first.name, second.name, "ankigen.lock"])
    opened.clear()
    # the newest file could still change within its clock tick: it alone is read again
    assert build(cards, tmp_path / "out", now=T0).unchanged
    assert sorted(opened) == sorted([second.name, "ankigen.lock"])


def test_an_edit_that_keeps_size_and_date_is_still_seen(
    cards, tmp_path, monkeypatch, no_racy_window
):
    settled(cards, tmp_path / "out")
    build(cards, tmp_path / "out", now=T0)
    path = card_file(cards, "ML0030")
    assert path.relative_to(cards).as_posix() in recorded(cards)
    text = path.read_text(encoding="utf-8")
    before = path.stat()
    head, _, tail = text.rpartition("a")  # a letter of the answer's last words
    swapped = f"{head}e{tail}"
    path.write_text(swapped, encoding="utf-8")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))  # as `cp -p` or an archive
    assert path.stat().st_size == before.st_size and path.stat().st_mtime_ns == before.st_mtime_ns
    again = build(cards, tmp_path / "out", now=T0 + 60)  # the change time tells
    assert not again.unchanged and again.changes.changed == ("ML0030",)


def test_a_file_saved_just_before_a_build_is_not_trusted_even_with_a_fast_clock(
    cards, tmp_path, monkeypatch
):
    settled(cards, tmp_path / "out")
    clock_ahead(monkeypatch, 3600)  # this machine's clock ahead of the files' (a file server)
    path = card_file(cards, "ML0027")
    path.write_text(path.read_text(encoding="utf-8") + "\nJust saved.\n", encoding="utf-8")
    build(cards, tmp_path / "out", now=T0)  # within the clock's tick of that save
    # the files' own clock says it was saved this instant: a second save could hide
    assert path.relative_to(cards).as_posix() not in recorded(cards)
    opened = opened_by_snapshot(monkeypatch)
    assert build(cards, tmp_path / "out", now=T0).unchanged
    assert path.name in opened


def test_frozen_builds_and_releases_trust_no_status(cards, tmp_path, monkeypatch, no_racy_window):
    settled(cards, tmp_path / "out")
    build(cards, tmp_path / "out", now=T0)
    opened = opened_by_snapshot(monkeypatch)
    build(cards, tmp_path / "out", now=T0, read_all=True)
    assert len(opened) > len(ALL_CARDS)
    opened.clear()
    build(cards, tmp_path / "out", now=T0, frozen=True)
    assert len(opened) > len(ALL_CARDS)


def test_a_record_nested_too_deep_is_ignored(cards, tmp_path, private_cache_home):
    settled(cards, tmp_path / "out")
    build(cards, tmp_path / "out", now=T0)
    (record,) = private_cache_home.glob("ankigen/*/build.json")
    record.write_text("[" * 100_000)
    assert not build(cards, tmp_path / "out", now=T0).unchanged


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_a_named_pipe_among_the_cards_is_an_error_not_a_hang(cards, tmp_path):
    os.mkfifo(cards / "DL" / "notes.md")  # opening it would wait for a writer forever
    done = subprocess.run(
        [sys.executable, "-m", "ankigen", "build", "--cards", str(cards), "--out", "out"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    assert "notes.md:1: cannot read file: it is a FIFO (named pipe), not a file" in done.stderr


def test_a_first_build_reads_each_card_once_and_records_what_it_read(
    cards, tmp_path, private_cache_home, monkeypatch
):
    """With no earlier build, the snapshot leaves the card files to the render (read once)
    and the record takes their digests from it: they are the files' own."""
    import hashlib

    from ankigen.cache import build_record

    settled(cards, tmp_path / "settle")  # the lock is current; there is no record yet
    import io

    opened: list[str] = []
    real_open = io.open

    def counting_open(file, *args, **kwargs):
        if str(file).endswith(".md"):
            opened.append(str(file))
        return real_open(file, *args, **kwargs)

    real_os_open = os.open

    def counting_os_open(file, *args, **kwargs):
        if str(file).endswith(".md"):
            opened.append(str(file))
        return real_os_open(file, *args, **kwargs)

    with monkeypatch.context() as patch:  # the fixtures' own patches stay
        patch.setattr(io, "open", counting_open)
        patch.setattr("builtins.open", counting_open)
        patch.setattr(os, "open", counting_os_open)
        first = build(cards, tmp_path / "out", now=T0)
    assert not first.unchanged
    assert len(opened) == len(set(opened)) == len(list(cards.rglob("*.md")))  # each once
    record = json.loads(
        next(private_cache_home.glob(f"ankigen/*/{build_record.RECORD}")).read_text()
    )
    for path in cards.rglob("*.md"):
        name = path.relative_to(cards).as_posix()
        status = record["files"].get(name)
        if status is not None:  # a file saved within the racy window is not recorded
            assert status[-1] == hashlib.sha256(path.read_bytes()).hexdigest(), name
    again = build(cards, tmp_path / "out", now=T0 + 60)
    assert again.unchanged
