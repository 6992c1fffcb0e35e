"""A rebuild from the last build's rows (``ankigen.rebuild``) gives what a full build gives.

The property test edits twin copies of a deck in the same random ways, builds one with
the cache (so rebuilds happen) and the other with ``use_cache=False`` (always a full build,
nothing saved), and compares package bytes, lock bytes, reports and errors after each step.
The other tests pin down when a rebuild happens and when it must not.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ankigen.buildrecord
import ankigen.rebuild
import ankigen.savedrows
from ankigen.build import BuildResult, build
from ankigen.errors import AnkigenError
from ankigen.load import discover
from ankigen.savedrows import CARDS, NOTES, ROWS_FILE, RowsWriter, read_rows
from tests.ankihelpers import (
    import_package,
    notes_by_id_field,
    review_log,
    scheduling,
    study_all,
)
from tests.clozedeck import add_cloze_cards
from tests.conftest import SHIPPED_CARDS
from tests.test_render_cache import tiny_png

T0 = 1_800_000_000
SUBDECKS = "subdecks: true\nsubdeck_ids: {DL: 1843956110, ML: 1843956111}\n"


def card_file(cards: Path, card_id: str) -> Path:
    return next(cards.rglob(f"{card_id}-*.md"))


def append(path: Path, text: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


def replace_in(path: Path, pattern: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    path.write_text(re.sub(pattern, new, text, count=1, flags=re.MULTILINE), encoding="utf-8")


def set_line(path: Path, pattern: str, line: str) -> None:
    """Replace the first line matching ``pattern`` with ``line``, taken as it is."""
    text = path.read_text(encoding="utf-8")
    path.write_text(
        re.sub(pattern, lambda _: line, text, count=1, flags=re.MULTILINE), encoding="utf-8"
    )


def set_tags(path: Path, tags: str) -> None:
    """Give the card in ``path`` these tags (YAML flow list), in place of any it had."""
    text = path.read_text(encoding="utf-8")
    if re.search(r"(?m)^tags:", text):
        set_line(path, "^tags: .*$", f"tags: {tags}")
    else:
        set_line(path, "^id: .*$", re.search(r"(?m)^id: .*$", text)[0] + f"\ntags: {tags}")


def saved_rows(home: Path) -> list[Path]:
    return sorted(home.glob(f"ankigen/*/{ROWS_FILE}"))


def settle(cards: Path, out: Path) -> BuildResult:
    """A full build that writes the lock, then one with the cache that saves the rows."""
    build(cards, out, now=T0, use_cache=False)
    return build(cards, out, now=T0, force=True)


def reference(cards: Path, now: int) -> tuple[bytes, bytes]:
    """What a full build without any cache makes of ``cards`` now: package and lock bytes.

    It runs on a copy, so that the lock it writes does not touch ``cards``.
    """
    with tempfile.TemporaryDirectory() as work:
        copy = Path(work) / "cards"
        shutil.copytree(cards, copy)
        result = build(copy, Path(work) / "out", now=now, use_cache=False)
        return result.output.read_bytes(), (copy / "ankigen.lock").read_bytes()


def test_a_one_card_edit_is_rebuilt_from_the_saved_rows_with_a_full_builds_bytes(
    cards, tmp_path, private_cache_home
):
    out = tmp_path / "out"
    settle(cards, out)
    assert len(saved_rows(private_cache_home)) == 1
    path = card_file(cards, "DL0003")
    append(path, "\nOne more line, with $x^2$.\n")
    expected_package, expected_lock = reference(cards, T0 + 60)
    result = build(cards, out, now=T0 + 60, force=True)
    assert result.rebuilt == ("DL/" + path.name,)
    assert result.changes.changed == ("DL0003",)
    assert result.output.read_bytes() == expected_package
    assert (cards / "ankigen.lock").read_bytes() == expected_lock
    again = build(cards, out, now=T0 + 120, force=True)
    assert again.unchanged  # the rebuild recorded its inputs like any build
    append(path, "\nAnd another.\n")  # a rebuild starts from a rebuild's rows too
    expected_package, expected_lock = reference(cards, T0 + 180)
    third = build(cards, out, now=T0 + 180, force=True)
    assert third.rebuilt == result.rebuilt
    assert third.output.read_bytes() == expected_package
    assert (cards / "ankigen.lock").read_bytes() == expected_lock


def test_a_rebuilt_package_updates_the_card_in_anki_and_keeps_its_reviews(
    cards, tmp_path, collection
):
    out = tmp_path / "out"
    first = settle(cards, out)
    import_package(collection, first.output)
    assert study_all(collection, "ML and DL Interview Questions") > 0
    before, history = scheduling(collection), review_log(collection)
    append(card_file(cards, "ML0026"), "\nA sentence added in the rebuild.\n")
    result = build(cards, out, now=T0 + 60, force=True)
    assert result.rebuilt is not None
    log = import_package(collection, result.output)
    assert len(log.new) == 0 and len(collection.find_notes("")) == 10
    assert [entry.fields[0] for entry in log.updated] == ["ML0026"]  # the others: unchanged
    assert "A sentence added in the rebuild." in notes_by_id_field(collection)["ML0026"]["Answer"]
    assert scheduling(collection) == before and review_log(collection) == history


@pytest.mark.parametrize(
    "edit", ["answer", "title", "tags", "tags equal but for case", "odd title", "line endings"]
)
def test_each_kind_of_content_edit_is_rebuilt_with_a_full_builds_bytes(cards, tmp_path, edit):
    out = tmp_path / "out"
    settle(cards, out)
    for number, card_id in enumerate(("DL0004", "ML0028"), start=1):  # two cards at once
        EDITS[edit](cards, card_id, number)
    expected = reference(cards, T0 + 60)
    result = build(cards, out, now=T0 + 60, force=True)
    assert result.rebuilt is not None
    assert (result.output.read_bytes(), (cards / "ankigen.lock").read_bytes()) == expected


def test_a_rebuild_reports_what_a_full_build_reports(cards, tmp_path):
    out = tmp_path / "out"
    settle(cards, out)
    append(card_file(cards, "ML0027"), "\nEdited.\n")
    lock = (cards / "ankigen.lock").read_bytes()
    full = build(cards, tmp_path / "full", now=T0 + 60, use_cache=False, force=True)
    (cards / "ankigen.lock").write_bytes(lock)  # as it was before the full build
    quick = build(cards, out, now=T0 + 60, force=True)
    assert quick.rebuilt is not None
    assert quick.report() | {"output": ""} == full.report() | {"output": ""}
    assert quick.warnings and "still 1.0.0" in quick.warnings[0].message  # no version bump


def test_a_rebuild_still_refuses_to_change_a_built_version(cards, tmp_path):
    out = tmp_path / "out"
    settle(cards, out)
    package = (out / "ml-and-dl-interview-questions-1.0.0.apkg").read_bytes()
    append(card_file(cards, "ML0027"), "\nEdited.\n")
    with pytest.raises(AnkigenError) as raised:
        build(cards, out, now=T0 + 60)
    assert "was already built with other content (ML0027 changed)" in str(raised.value.problems)
    assert (out / "ml-and-dl-interview-questions-1.0.0.apkg").read_bytes() == package


EDITS_FOR_A_FULL_BUILD: dict[str, Callable[[Path], None]] = {
    "a card added": lambda cards: (cards / "DL" / "DL0009-new.md").write_text(
        "---\nid: DL0009\ntitle: New\n---\n## Question\n\nQ?\n\n## Answer\n\nA.\n",
        encoding="utf-8",
    ),
    "another id": lambda cards: [  # the old id is retired: a new major version
        replace_in(card_file(cards, "DL0002"), "^id: DL0002", "id: DL0008"),
        replace_in(cards / "deck.yaml", "^version: .*$", "version: 2.0.0"),
    ],
    "a warning of its own": lambda cards: append(
        card_file(cards, "DL0002"), '\n<b onclick="alert(1)">Bold</b>\n'
    ),
    "deck.yaml": lambda cards: append(cards / "deck.yaml", "# a comment\n"),
    "the lock": lambda cards: append(cards / "ankigen.lock", "\n"),
    "many cards": lambda cards: [
        append(card_file(cards, card_id), "\nEdited.\n")
        for card_id in ("DL0001", "DL0002", "DL0003", "DL0004")
    ],
}


@pytest.mark.parametrize("edit", sorted(EDITS_FOR_A_FULL_BUILD))
def test_anything_but_a_few_edited_cards_is_a_full_build(cards, tmp_path, edit):
    out = tmp_path / "out"
    settle(cards, out)
    EDITS_FOR_A_FULL_BUILD[edit](cards)
    expected = reference(cards, T0 + 60)
    result = build(cards, out, now=T0 + 60, force=True)
    assert result.rebuilt is None
    assert (result.output.read_bytes(), (cards / "ankigen.lock").read_bytes()) == expected


def test_a_card_with_an_error_fails_as_in_a_full_build(cards, tmp_path):
    out = tmp_path / "out"
    settle(cards, out)
    package = (out / "ml-and-dl-interview-questions-1.0.0.apkg").read_bytes()
    path = card_file(cards, "DL0002")
    replace_in(path, "^## Answer", "## Answr")
    with pytest.raises(AnkigenError) as raised:
        build(cards, out, now=T0 + 60, force=True)
    assert any(p.path.endswith(path.name) for p in raised.value.problems)
    assert (out / "ml-and-dl-interview-questions-1.0.0.apkg").read_bytes() == package


def test_cloze_cards_are_rebuilt_until_their_number_of_cards_changes(cards, tmp_path):
    add_cloze_cards(cards)
    out = tmp_path / "out"
    settle(cards, out)
    path = card_file(cards, "DL0005")
    for number, (edit, quick) in enumerate(
        [
            (lambda: append(path, "\nThe text changes, the deletions do not.\n"), True),
            (lambda: replace_in(path, r"\{\{c2::", "{{c3::"), True),  # c1 and c3: two cards
            (lambda: append(path, "\nAnd {{c2::one more}}.\n"), False),  # three cards
        ],
        start=1,
    ):
        edit()
        expected = reference(cards, T0 + 60 * number)
        result = build(cards, out, now=T0 + 60 * number, force=True)
        assert (result.rebuilt is not None) == quick
        assert (result.output.read_bytes(), (cards / "ankigen.lock").read_bytes()) == expected


def test_a_deck_showing_an_image_saves_no_rows(cards, tmp_path, private_cache_home):
    (cards / "DL" / "images").mkdir()
    (cards / "DL" / "images" / "figure.png").write_bytes(tiny_png(7))
    append(card_file(cards, "DL0001"), "\n![a figure](images/figure.png)\n")
    settle(cards, tmp_path / "out")
    assert saved_rows(private_cache_home) == []  # the rows would not carry the image


def test_a_deck_with_a_linked_card_file_saves_no_rows(cards, tmp_path, private_cache_home):
    elsewhere = tmp_path / "elsewhere.md"
    elsewhere.write_text(
        "---\nid: ML0099\ntitle: Linked\n---\n## Question\n\nQ?\n\n## Answer\n\nA.\n",
        encoding="utf-8",
    )
    (cards / "ML" / "ML0099-linked.md").symlink_to(elsewhere)
    settle(cards, tmp_path / "out")
    assert saved_rows(private_cache_home) == []  # the snapshot sees the link, not the card


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("deck.yaml", True),
        ("ankigen.lock", True),
        ("ankigen.release.json", True),
        ("DL/DL0001-x.md", True),
        ("a/b/c.md", True),
        ("x./a.md", True),
        ("DL/.DL0001-x.md.swp", False),
        ("DL/.hidden.md", False),
        (".drafts/DL0009.md", False),
        ("DL/DL0001-x.md~", False),
        ("4913", False),
        ("DL/deck.yaml", False),
        ("DL/figure.png", False),
    ],
)
def test_the_files_that_matter_to_a_deck_without_images(name, expected):
    assert ankigen.rebuild.matters(name) is expected
    if name.endswith(".md"):  # a card file exactly when discover would take it for one
        with tempfile.TemporaryDirectory() as work:
            path = Path(work, name)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("x", encoding="utf-8")
            assert (path in discover(Path(work))) is expected


def test_an_editors_own_files_do_not_stop_a_rebuild(cards, tmp_path):
    out = tmp_path / "out"
    settle(cards, out)
    path = card_file(cards, "DL0003")
    append(path, "\nEdited in an editor.\n")
    (path.parent / f".{path.name}.swp").write_bytes(b"vim swap")
    (path.parent / f"{path.name}~").write_text("a backup", encoding="utf-8")
    (cards / "4913").write_text("", encoding="utf-8")  # vim's test of the folder
    (cards / "notes.txt").write_text("the author's own notes", encoding="utf-8")
    expected = reference(cards, T0 + 60)
    result = build(cards, out, now=T0 + 60, force=True)
    assert result.rebuilt == ("DL/" + path.name,)
    assert (result.output.read_bytes(), (cards / "ankigen.lock").read_bytes()) == expected


def test_a_linked_deck_yaml_is_followed(cards, tmp_path):
    shared = tmp_path / "shared-deck.yaml"
    shutil.move(cards / "deck.yaml", shared)
    (cards / "deck.yaml").symlink_to(shared)
    out = tmp_path / "out"
    settle(cards, out)
    append(shared, SUBDECKS)  # the link stays as it was; what it leads to changes
    assert not build(cards, out, now=T0 + 60, force=True).unchanged
    append(shared, "# and again\n")
    append(card_file(cards, "ML0026"), "\nEdited.\n")
    expected = reference(cards, T0 + 120)
    result = build(cards, out, now=T0 + 120, force=True)
    assert result.rebuilt is None
    assert (result.output.read_bytes(), (cards / "ankigen.lock").read_bytes()) == expected


def test_a_lock_changed_after_the_snapshot_is_not_spliced(cards, tmp_path, monkeypatch):
    out = tmp_path / "out"
    settle(cards, out)
    append(card_file(cards, "ML0026"), "\nEdited.\n")
    real = ankigen.rebuild.read_rows

    def checkout_meanwhile(*args, **kwargs):  # after the snapshot: `git checkout`, say
        append(cards / "ankigen.lock", "\n")
        return real(*args, **kwargs)

    monkeypatch.setattr(ankigen.rebuild, "read_rows", checkout_meanwhile)
    result = build(cards, out, now=T0 + 60, force=True)
    monkeypatch.setattr(ankigen.rebuild, "read_rows", real)
    assert result.rebuilt is None  # a full build, from the lock as it is now
    expected = reference(cards, T0 + 60)
    assert (result.output.read_bytes(), (cards / "ankigen.lock").read_bytes()) == expected


def test_a_cache_folder_that_cannot_be_written_costs_only_time(
    cards, tmp_path, private_cache_home, monkeypatch
):
    out = tmp_path / "out"
    settle(cards, out)
    (rows,) = saved_rows(private_cache_home)
    rows.unlink()
    rows.mkdir()  # in its place, a folder: nothing can be saved or read there
    append(card_file(cards, "ML0026"), "\nEdited.\n")
    expected = reference(cards, T0 + 60)
    result = build(cards, out, now=T0 + 60, force=True)
    assert result.rebuilt is None
    assert (result.output.read_bytes(), (cards / "ankigen.lock").read_bytes()) == expected

    real_mkstemp = tempfile.mkstemp

    def full_disk(*args, **kwargs):  # no room for the rows; the package is written first
        if kwargs.get("prefix") == ".rows.":
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_mkstemp(*args, **kwargs)

    rows.rmdir()
    monkeypatch.setattr(ankigen.savedrows.tempfile, "mkstemp", full_disk)
    append(card_file(cards, "ML0026"), "\nAgain.\n")
    expected = reference(cards, T0 + 120)
    result = build(cards, out, now=T0 + 120, force=True)
    assert (result.output.read_bytes(), (cards / "ankigen.lock").read_bytes()) == expected
    assert saved_rows(private_cache_home) == []


def test_a_saved_entry_that_makes_no_sense_means_a_full_build(cards, tmp_path, private_cache_home):
    out = tmp_path / "out"
    settle(cards, out)
    (rows,) = saved_rows(private_cache_home)
    saved = read_rows(rows.parent)
    assert saved is not None
    tables = saved.rows()
    saved.close()
    assert tables is not None
    path = card_file(cards, "DL0003")
    name = "DL/" + path.name
    damaged = replace(saved.build, cards={**saved.build.cards, name: ("DL0003", 1, "x")})
    writer = RowsWriter(rows.parent)
    writer.write(NOTES, tables[0])
    writer.write(CARDS, tables[1])
    writer.commit(damaged)  # a whole file, every checksum right, one entry wrong
    append(path, "\nEdited.\n")
    expected = reference(cards, T0 + 60)
    result = build(cards, out, now=T0 + 60, force=True)
    assert result.rebuilt is None
    assert (result.output.read_bytes(), (cards / "ankigen.lock").read_bytes()) == expected


@pytest.mark.parametrize("how", ["foreign", "truncated", "altered", "empty"])
def test_damaged_saved_rows_are_ignored_with_a_warning(
    cards, tmp_path, private_cache_home, caplog, how
):
    out = tmp_path / "out"
    settle(cards, out)
    (rows,) = saved_rows(private_cache_home)
    data = rows.read_bytes()
    middle = len(data) // 2
    rows.write_bytes(
        {
            "foreign": b"PK\x03\x04 not ours",
            "truncated": data[:middle],
            "altered": data[:middle] + bytes([data[middle] ^ 0x01]) + data[middle + 1 :],
            "empty": b"",
        }[how]
    )
    append(card_file(cards, "ML0028"), "\nEdited.\n")
    expected = reference(cards, T0 + 60)
    with caplog.at_level(logging.WARNING, logger="ankigen.savedrows"):
        result = build(cards, out, now=T0 + 60, force=True)
    assert result.rebuilt is None
    assert (result.output.read_bytes(), (cards / "ankigen.lock").read_bytes()) == expected
    (warning,) = [r.getMessage() for r in caplog.records if r.name == "ankigen.savedrows"]
    assert f"ignored saved rows {rows}" in warning and warning.endswith("done in full")
    append(card_file(cards, "ML0028"), "\nAgain.\n")  # the full build saved them anew
    assert build(cards, out, now=T0 + 120, force=True).rebuilt is not None


# ---------------------------------------------------------------- the property test

CARD_IDS = ("DL0001", "DL0002", "DL0003", "DL0004", "ML0026", "ML0027", "ML0028", "DL0005")


def _new_card(cards: Path, n: int) -> None:
    (cards / "ML" / f"ML{90 + n:04d}-new.md").write_text(
        f"---\nid: ML{90 + n:04d}\ntitle: New {n}\n---\n## Question\n\nNew {n}?\n\n"
        f"## Answer\n\n$y = {n}x$\n",
        encoding="utf-8",
    )


def _remove(cards: Path, card_id: str) -> None:
    for path in cards.rglob(f"{card_id}-*.md"):
        path.unlink()


EDITS: dict[str, Callable[[Path, str, int], None]] = {
    "answer": lambda cards, card_id, n: append(card_file(cards, card_id), f"\nEdit {n}: $a_{n}$\n"),
    "title": lambda cards, card_id, n: replace_in(
        card_file(cards, card_id), "^title: .*$", f"title: Title {n}"
    ),
    "tags": lambda cards, card_id, n: set_tags(card_file(cards, card_id), f"[t{n % 3}]"),
    "same text": lambda cards, card_id, n: card_file(cards, card_id).write_bytes(
        card_file(cards, card_id).read_bytes()
    ),
    "warning": lambda cards, card_id, n: append(
        card_file(cards, card_id), f'\n<i onclick="f({n})">x</i>\n'
    ),
    "error": lambda cards, card_id, n: replace_in(
        card_file(cards, card_id), "^## Question", "## Q"
    ),
    "fix": lambda cards, card_id, n: replace_in(card_file(cards, card_id), "^## Q$", "## Question"),
    "new id": lambda cards, card_id, n: replace_in(
        card_file(cards, card_id), "^id: .*$", f"id: {card_id[:2]}{70 + n:04d}"
    ),
    "tags equal but for case": lambda cards, card_id, n: set_tags(
        card_file(cards, card_id), f"[Foo{n % 2}, foo{n % 2}, {card_id[:2].lower()}]"
    ),
    "odd title": lambda cards, card_id, n: set_line(
        card_file(cards, card_id),
        "^title: .*$",
        f'title: "Q\\u2028 \\"{n}\\" back\\\\slash <b>&amp;</b> \\u00e9\\u200b"',
    ),
    "line endings": lambda cards, card_id, n: card_file(cards, card_id).write_bytes(
        card_file(cards, card_id).read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    ),
    "add card": lambda cards, card_id, n: _new_card(cards, n % 4),
    "remove card": lambda cards, card_id, n: _remove(cards, card_id),
    "minor version": lambda cards, card_id, n: replace_in(
        cards / "deck.yaml", "^version: .*$", f"version: 1.{n + 1}.0"
    ),
    "major version": lambda cards, card_id, n: replace_in(
        cards / "deck.yaml", "^version: .*$", f"version: {n + 2}.0.0"
    ),
    "editor files": lambda cards, card_id, n: [
        (card_file(cards, card_id).parent / f".{card_id}.md.swp").write_text(f"swap {n}"),
        (cards / "4913").write_text(f"{n}"),
        (cards / ".hidden.md").write_text(f"not a card {n}"),
    ],
    "deletions": lambda cards, card_id, n: replace_in(
        card_file(cards, "DL0005"), r"\{\{c\d::", f"{{{{c{n % 3 + 1}::"
    ),
}

step = st.tuples(
    st.sampled_from(sorted(EDITS)),
    st.sampled_from(CARD_IDS),
    st.booleans(),  # --force
    st.booleans(),  # --strict
    st.booleans(),  # the clock behind the last build's
)
# mostly the edits a rebuild takes, so that most steps compare a rebuild with a full build
common = st.tuples(
    st.just("answer"), st.sampled_from(CARD_IDS), st.just(True), st.just(False), st.just(False)
)


def _outcome(cards_parent: Path, **options: object) -> tuple[tuple[object, ...], bool]:
    """Build ``cards`` in ``cards_parent`` (as the working folder, so that messages match):
    everything a user sees of the build, and whether it was a rebuild."""
    os.chdir(cards_parent)
    try:
        result = build(Path("cards"), Path("out"), **options)  # type: ignore[arg-type]
    except AnkigenError as exc:
        return ("error", tuple(map(str, exc.problems)), _lock(cards_parent)), False
    # a build that found nothing changed says so: the rest of its report is a full build's
    report = result.report() | {"unchanged": None}
    summary = "(no changes)" if result.unchanged else result.summary()
    seen = (result.output.read_bytes(), _lock(cards_parent), report, summary)
    return ("built", *seen), result.rebuilt is not None


def _lock(cards_parent: Path) -> bytes | None:
    lock = cards_parent / "cards" / "ankigen.lock"
    return lock.read_bytes() if lock.exists() else None


@pytest.mark.parametrize(
    ("deck", "statuses"),
    [("plain", "read"), ("plain", "trusted"), ("cloze and subdecks", "trusted")],
)
def test_rebuilds_and_full_builds_agree_over_random_edit_histories(deck, statuses, monkeypatch):
    home = os.getcwd()
    rebuilds: list[int] = []
    if statuses == "trusted":  # files older than the newest one are not read again
        monkeypatch.setattr(ankigen.buildrecord, "RACY_SECONDS", 0)

    @settings(
        max_examples=12,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(steps=st.lists(st.one_of(common, step), min_size=1, max_size=8))
    def histories(steps: list[tuple[str, str, bool, bool, bool]]) -> None:
        with tempfile.TemporaryDirectory() as work:
            monkeypatch.setenv("XDG_CACHE_HOME", str(Path(work) / "cache"))
            twins = [Path(work) / "quick", Path(work) / "full"]
            for twin in twins:
                shutil.copytree(SHIPPED_CARDS, twin / "cards")
                if deck != "plain":
                    add_cloze_cards(twin / "cards")
                    append(twin / "cards" / "deck.yaml", SUBDECKS)
            try:
                first, _ = _outcome(twins[0], now=T0, force=True)
                assert first == _outcome(twins[1], now=T0, force=True, use_cache=False)[0]
                for number, (edit, card_id, force, strict, behind) in enumerate(steps, start=1):
                    for twin in twins:
                        # StopIteration: that card is gone (removed, or its id changed)
                        with contextlib.suppress(StopIteration, FileNotFoundError):
                            EDITS[edit](twin / "cards", card_id, number)
                    now = T0 + 60 * number - (90 if behind else 0)
                    options = {"now": now, "force": force, "strict": strict}
                    quick, was_rebuilt = _outcome(twins[0], **options)
                    full, _ = _outcome(twins[1], use_cache=False, **options)
                    if quick[-1] == "(no changes)":
                        full = (*full[:-1], "(no changes)")
                    assert quick == full, (edit, card_id, number)
                    rebuilds.append(was_rebuilt)
            finally:
                os.chdir(home)

    histories()
    assert sum(rebuilds) >= 5  # the comparisons did include rebuilds
