"""`ankigen release` across three versions, checked against what real Anki then holds."""

from __future__ import annotations

import io
import json
import re
import shutil
import sqlite3
import tempfile
import zipfile
from pathlib import Path

import pytest

from ankigen.cli import main
from tests.ankihelpers import import_package, notes_by_id_field, review_log, scheduling, study_all

DECK_NAME = "ML and DL Interview Questions"
PACKAGE = "ml-and-dl-interview-questions-{}.apkg"
NEW_CARD = """---
id: DL0005
title: Batch Normalization
tags: [training]
---
## Question

What does batch normalization compute for each feature?

## Answer

$$\\hat{x} = \\frac{x - \\mu_B}{\\sqrt{\\sigma_B^2 + \\epsilon}}$$
"""


@pytest.fixture
def workdir(cards: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(cards.parent)
    return cards.parent


def edit(cards: Path, card_id: str, old: str, new: str) -> None:
    path = next(cards.rglob(f"{card_id}-*.md"))
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def newest_section(changelog: Path) -> str:
    return changelog.read_text(encoding="utf-8").split("\n## ")[1]


def test_three_releases_reach_learners_exactly_as_the_changelog_says(workdir, runner, collection):
    cards, out = workdir / "cards", workdir / "output"
    assert runner.invoke(main, ["build"]).exit_code == 0
    log = import_package(collection, out / PACKAGE.format("1.0.1"))
    assert len(log.new) == 10 and not log.updated and not log.conflicting
    assert sorted(notes_by_id_field(collection)) == [
        *(f"DL000{n}" for n in range(1, 5)),
        *(f"ML00{n}" for n in range(26, 32)),
    ]
    assert "Version 1.0.1" in collection.decks.by_name(DECK_NAME)["desc"]
    study_all(collection, DECK_NAME)
    reviews, schedule = review_log(collection), scheduling(collection)

    # v2: one card edited, one removed (a major release, since learners keep the removed one)
    edit(cards, "DL0003", "1×1 conv first reduces", "1×1 convolution first reduces")
    next(cards.rglob("ML0027-*.md")).unlink()
    result = runner.invoke(main, ["release", "major"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Released 2.0.0 (was 1.0.1): 0 added, 1 changed, 1 retired;")
    assert "\nversion: 2.0.0\n" in (cards / "deck.yaml").read_text()
    assert newest_section(workdir / "CHANGELOG.md").splitlines()[:9] == [
        f"{DECK_NAME} 2.0.0 — "
        f"{newest_section(workdir / 'CHANGELOG.md').split(' — ')[1].splitlines()[0]}",
        "",
        "### Changed",
        "",
        "- DL0003 1×1 Convolution (Answer)",
        "",
        "### Retired",
        "",
        "- ML0027 Leaky ReLU",
    ]
    diff = runner.invoke(
        main, ["diff", f"output/{PACKAGE.format('1.0.1')}", f"output/{PACKAGE.format('2.0.0')}"]
    )
    assert diff.stdout.splitlines() == [
        "updated notes (1):",
        "  DL0003: Answer",
        "newly retired notes (1):",
        "  ML0027",
        "untouched notes: 8",
    ]

    log = import_package(collection, out / PACKAGE.format("2.0.0"))
    assert sorted(n.fields[0] for n in log.updated) == ["DL0003", "ML0027"]
    assert not log.new and not log.conflicting
    notes = notes_by_id_field(collection)
    assert len(notes) == 10
    assert "1×1 convolution first reduces" in notes["DL0003"]["Answer"]
    tomb = notes["ML0027"]
    assert "ankigen::retired" in tomb.tags and tomb["Title"] == "Leaky ReLU (retired)"
    assert "Retired in version 2.0.0" in tomb["Question"]
    assert collection.find_notes("tag:ankigen::retired") == [tomb.id]
    assert review_log(collection) == reviews and scheduling(collection) == schedule
    description = collection.decks.by_name(DECK_NAME)["desc"]
    assert "Version 2.0.0" in description and "<b>Retired:</b> ML0027 Leaky ReLU" in description
    assert "Import only the newest version of this deck." in description  # and how to recover
    assert "<i>Update notes: Always</i>" in description

    # v3: one card added
    (cards / "DL" / "DL0005-batch-normalization.md").write_text(NEW_CARD)
    result = runner.invoke(main, ["release", "minor"])
    assert result.exit_code == 0, result.output
    assert newest_section(workdir / "CHANGELOG.md").splitlines()[2:5] == [
        "### Added",
        "",
        "- DL0005 Batch Normalization",
    ]
    diff = runner.invoke(
        main, ["diff", f"output/{PACKAGE.format('2.0.0')}", f"output/{PACKAGE.format('2.1.0')}"]
    )
    assert diff.stdout.splitlines() == ["new notes (1):", "  DL0005", "untouched notes: 10"]
    log = import_package(collection, out / PACKAGE.format("2.1.0"))
    assert [n.fields[0] for n in log.new] == ["DL0005"] and not log.updated
    notes = notes_by_id_field(collection)
    assert len(notes) == 11 and "ankigen::retired" in notes["ML0027"].tags
    assert review_log(collection) == reviews
    assert {cid: s for cid, s in scheduling(collection).items() if cid in schedule} == schedule


def test_only_releases_are_immutable_and_building_needs_no_flag(workdir, runner):
    """Edit → build → edit → build with no flag and no version edit: development builds;
    the released package stays byte-identical, even under the old --force."""
    assert runner.invoke(main, ["build"]).exit_code == 0
    package = workdir / "output" / PACKAGE.format("1.0.1")
    dev = workdir / "output" / PACKAGE.format("1.0.1-dev")
    released = package.read_bytes()
    for step, (old, new) in enumerate([("In machine learning", "In ML"), ("In ML", "In AI")]):
        edit(workdir / "cards", "ML0029", old, new)
        result = runner.invoke(main, ["build"])
        assert result.exit_code == 0, result.output
        assert result.stderr == ""
        assert result.stdout.startswith(
            f"Built output/{dev.name} (a development build, not a release): 10 cards"
        ), step
        assert package.read_bytes() == released
    with zipfile.ZipFile(dev) as archive, tempfile.TemporaryDirectory() as work:
        archive.extract("collection.anki2", work)
        with sqlite3.connect(Path(work) / "collection.anki2") as db:
            (decks,) = db.execute("select decks from col").fetchone()
        db.close()
    assert "Version 1.0.1 with unreleased changes: a development build" in decks
    forced = runner.invoke(main, ["build", "--force"])
    assert forced.exit_code == 0 and forced.stderr.startswith("note: --force is no longer needed")
    assert package.read_bytes() == released
    made = runner.invoke(main, ["release", "patch"])
    assert made.exit_code == 0, made.output
    assert (workdir / "output" / PACKAGE.format("1.0.2")).is_file()
    assert package.read_bytes() == released
    edit(workdir / "cards", "ML0029", "In AI", "In machine learning")
    assert runner.invoke(main, ["build"]).exit_code == 0  # a development build after 1.0.2
    assert (workdir / "output" / PACKAGE.format("1.0.2-dev")).is_file()
    assert package.read_bytes() == released


def test_the_same_content_in_other_bytes_is_the_same_version(workdir, runner):
    """A package an older ankigen wrote (other compression, other row order) is no conflict."""
    assert runner.invoke(main, ["build"]).exit_code == 0
    package = workdir / "output" / PACKAGE.format("1.0.1")
    built = package.read_bytes()
    with zipfile.ZipFile(io.BytesIO(built)) as archive:
        entries = {name: archive.read(name) for name in archive.namelist()}
    with tempfile.TemporaryDirectory() as work:  # the same rows, inserted in another order
        db_path = Path(work) / "collection.anki2"
        db_path.write_bytes(entries["collection.anki2"])
        with sqlite3.connect(db_path) as db:
            rows = db.execute("select * from notes order by id desc").fetchall()
            db.execute("delete from notes")
            db.executemany(f"insert into notes values ({','.join('?' * 11)})", rows)
        db.close()
        entries["collection.anki2"] = db_path.read_bytes()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name in reversed(sorted(entries)):
            archive.writestr(name, entries[name])
    package.write_bytes(buffer.getvalue())
    assert package.read_bytes() != built

    result = runner.invoke(main, ["build", "--no-cache"])
    assert result.exit_code == 0, result.output
    assert package.read_bytes() == built

    db_path = workdir / "changed.anki2"  # a changed row is another version, though
    db_path.write_bytes(entries["collection.anki2"])
    with sqlite3.connect(db_path) as db:
        db.execute("update notes set tags = ' changed ' where id = (select min(id) from notes)")
    db.close()
    entries["collection.anki2"] = db_path.read_bytes()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(entries):
            archive.writestr(name, entries[name])
    package.write_bytes(buffer.getvalue())
    result = runner.invoke(main, ["build", "--no-cache"])
    assert result.exit_code == 1
    assert "holds other content (DL0001 changed) than release 1.0.1" in result.stderr


def test_a_release_that_fails_its_check_changes_nothing(workdir, runner):
    cards = workdir / "cards"
    deck_before = (cards / "deck.yaml").read_bytes()
    next(cards.rglob("ML0027-*.md")).unlink()  # a removal needs a major release
    result = runner.invoke(main, ["release", "minor"])
    assert result.exit_code == 1
    assert "ML0027 retired, which needs a major release: run `ankigen release major`" in (
        result.stderr
    )
    assert (cards / "deck.yaml").read_bytes() == deck_before
    assert not (workdir / "CHANGELOG.md").exists()
    assert (cards / "ankigen.release.json").read_text().count('"version": "1.0.1"') == 1
    assert not (workdir / "output").exists()


def test_a_release_without_the_lock_of_the_last_one_is_refused(workdir, runner):
    cards = workdir / "cards"
    lock = cards / "ankigen.lock"
    text = lock.read_text(encoding="utf-8")
    deck_before = (cards / "deck.yaml").read_bytes()
    lock.unlink()
    result = runner.invoke(main, ["release", "patch"])
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "cards/ankigen.lock:1: cards/ankigen.lock is missing or empty, but version 1.0.1 was "
        "released: a build would stamp every card as new, and learners' own edits to them "
        "would be overwritten; restore ankigen.lock from version control (`git checkout -- "
        "cards/ankigen.lock`)"
    )
    lock.write_text(re.sub(r'(?m)^    "ML0027": .*\n', "", text), encoding="utf-8")
    result = runner.invoke(main, ["release", "patch"])
    assert result.exit_code == 1
    assert "cards/ankigen.lock does not know ML0027, released in version 1.0.1" in result.stderr
    assert (cards / "deck.yaml").read_bytes() == deck_before
    assert not (workdir / "output").exists()
    lock.unlink()
    result = runner.invoke(main, ["build"])  # a plain build stops too
    assert result.exit_code == 1
    assert "cards/ankigen.lock is missing or empty, but version 1.0.1" in result.stderr


def test_release_bumps_only_the_version_line(workdir, runner):
    deck = workdir / "cards" / "deck.yaml"
    before = deck.read_text()
    assert runner.invoke(main, ["release", "patch", "--allow-empty"]).exit_code == 0
    after = deck.read_text()
    assert after == re.sub(r"(?m)^version: 1\.0\.1", "version: 1.0.2", before)
    assert "# The deck's identity." in after


def test_the_tool_reports_its_version(runner):
    result = runner.invoke(main, ["--version"])
    assert result.exit_code == 0
    assert re.fullmatch(r"ankigen, version \d+\.\d+\.\d+\S*\n", result.stdout)


def test_a_broken_package_of_the_same_version_is_simply_rebuilt(workdir, runner):
    assert runner.invoke(main, ["build"]).exit_code == 0
    package = workdir / "output" / PACKAGE.format("1.0.1")
    good = package.read_bytes()
    package.write_bytes(good[: len(good) // 2])  # a copy cut short
    result = runner.invoke(main, ["build", "--no-cache"])
    assert result.exit_code == 0, result.output
    assert package.read_bytes() == good


def test_a_restored_card_counts_as_a_change_in_the_summary(workdir, runner):
    cards = workdir / "cards"
    card = next(cards.rglob("ML0027-*.md"))
    text = card.read_bytes()
    card.unlink()
    assert runner.invoke(main, ["release", "major"]).exit_code == 0
    card.write_bytes(text)
    deck = cards / "deck.yaml"
    deck.write_text(re.sub(r"(?m)^version: .*$", "version: 2.1.0", deck.read_text()))
    result = runner.invoke(main, ["build"])
    assert result.exit_code == 0, result.output
    assert "10 cards (DL 4, ML 6); 1 changed since the lock (ML0027 restored" in result.stdout


def test_a_release_with_no_change_is_refused_unless_allowed(workdir, runner):
    deck = workdir / "cards" / "deck.yaml"
    before = deck.read_bytes()
    result = runner.invoke(main, ["release", "patch"])
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "cards/deck.yaml:4: no card changed since version 1.0.1: there is nothing to release; "
        "edit the cards first, or run `ankigen release patch --allow-empty` to publish the "
        "same cards under a new version"
    )
    assert deck.read_bytes() == before and not (workdir / "output").exists()
    result = runner.invoke(main, ["release", "patch", "--allow-empty"])  # the way out it names
    assert result.exit_code == 0, result.output
    assert "Released 1.0.2 (was 1.0.1): 0 added, 0 changed, 0 retired" in result.stdout


def test_a_patch_that_adds_a_card_is_refused_and_minor_is_named(workdir, runner):
    cards = workdir / "cards"
    source = next(cards.rglob("ML0027-*.md"))
    added = source.with_name("ML0099-new.md")
    added.write_text(source.read_text().replace("ML0027", "ML0099"), encoding="utf-8")
    lock_before = (cards / "ankigen.lock").read_bytes()
    result = runner.invoke(main, ["release", "patch"])
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "cards/deck.yaml:4: 1.0.2 would be a patch release after 1.0.1, but ML0099 is new, "
        "which needs a minor release: run `ankigen release minor` (releases 1.1.0)"
    )
    assert (cards / "ankigen.lock").read_bytes() == lock_before
    result = runner.invoke(main, ["release", "minor"])
    assert result.exit_code == 0, result.output
    assert "Released 1.1.0 (was 1.0.1): 1 added" in result.stdout


def test_a_release_message_reaches_the_changelog_and_the_deck_description(workdir, runner):
    cards = workdir / "cards"
    card = next(cards.rglob("ML0027-*.md"))
    card.write_text(card.read_text() + "\nOne more sentence.\n", encoding="utf-8")
    message = "Clearer answers <b>& fewer typos</b>."
    result = runner.invoke(main, ["release", "patch", "-m", message])
    assert result.exit_code == 0, result.output
    assert f"## {DECK_NAME} 1.0.2 — " in (workdir / "CHANGELOG.md").read_text()
    assert f"\n{message}\n" in (workdir / "CHANGELOG.md").read_text()
    notes = json.loads((cards / "ankigen.release.json").read_text())["notes"]
    assert notes.startswith("<p>Clearer answers &lt;b&gt;&amp; fewer typos&lt;/b&gt;.</p>")
    result = runner.invoke(main, ["release", "patch", "--allow-empty", "-m", "bad\x1fword"])
    assert result.exit_code == 2 and "control character U+001F" in result.stderr


def test_two_decks_in_one_repository_keep_their_changelogs_apart(workdir, runner):
    cards = workdir / "cards"
    other = workdir / "stats"
    shutil.copytree(cards, other)
    deck = other / "deck.yaml"
    deck.write_text(deck.read_text().replace(f"name: {DECK_NAME}", "name: Statistics"))
    for folder in (cards, other):
        card = next(folder.rglob("ML0027-*.md"))
        card.write_text(card.read_text() + "\nOne more line.\n", encoding="utf-8")
        result = runner.invoke(main, ["release", "minor", "--cards", str(folder)])
        assert result.exit_code == 0, result.output
    mine = (workdir / "CHANGELOG.md").read_text()
    theirs = (workdir / "CHANGELOG-stats.md").read_text()
    assert f"## {DECK_NAME} 1.1.0 — " in mine and "Statistics" not in mine
    assert theirs.startswith("# Changelog\n\n## Statistics 1.1.0 — ")
    assert DECK_NAME not in theirs


def _every_file(*roots: Path) -> dict[str, bytes]:
    return {
        str(p): p.read_bytes() for root in roots for p in sorted(root.rglob("*")) if p.is_file()
    }


def test_a_dry_run_says_what_a_release_would_do_and_writes_nothing(
    workdir, runner, private_cache_home
):
    assert runner.invoke(main, ["build"]).exit_code == 0
    card = next((workdir / "cards").rglob("ML0027-*.md"))
    card.write_text(card.read_text() + "\nOne more sentence.\n", encoding="utf-8")
    before = _every_file(workdir, private_cache_home)
    result = runner.invoke(main, ["release", "patch", "--dry-run", "-m", "Typos fixed."])
    assert result.exit_code == 0, result.output
    assert _every_file(workdir, private_cache_home) == before
    lines = result.stdout.splitlines()
    assert lines[0] == "Dry run: nothing was written. The changelog entry would be:"
    assert lines[2].startswith(f"## {DECK_NAME} 1.0.2 — ")
    assert lines[4:9] == ["Typos fixed.", "", "### Changed", "", "- ML0027 Leaky ReLU (Answer)"]
    assert result.stdout.endswith("updated notes (1):\n  ML0027: Answer\nuntouched notes: 9\n")
    released = runner.invoke(main, ["release", "patch", "-m", "Typos fixed."])
    assert released.exit_code == 0, released.output
    entry = (workdir / "CHANGELOG.md").read_text().split("\n\n", 1)[1]
    assert entry.startswith("\n".join(lines[2:9])[: len(lines[2]) - 10])  # the same heading
    assert "\n".join(lines[4:9]) in entry
    refused = runner.invoke(main, ["release", "patch", "--dry-run"])  # the same refusals
    assert refused.exit_code == 1 and "no card changed since version 1.0.2" in refused.stderr


def test_a_release_stamps_what_it_releases_at_its_own_time(workdir):
    """Anki 2.1.55 to 24.11 give an updated note the time of its import: a change that a
    development build stamped days before the release would be older than a learner's import
    of the last release, and skipped. So the release stamps it anew."""
    from ankigen.anki.lockfile import read_lock
    from ankigen.commands.build import build
    from ankigen.commands.release import release

    cards = workdir / "cards"
    before = read_lock(cards / "ankigen.lock")
    card = next(cards.rglob("ML0027-*.md"))
    card.write_text(card.read_text() + "\nA dev build's edit.\n", encoding="utf-8")
    dev_time, release_time = 1_900_000_000, 1_900_086_400  # a day apart
    build(cards, workdir / "dev", now=dev_time)
    assert read_lock(cards / "ankigen.lock").cards["ML0027"].mod == dev_time
    result = release(cards, workdir / "output", "patch", now=release_time)
    after = read_lock(cards / "ankigen.lock")
    assert after.cards["ML0027"].mod == release_time  # stamped by the release, not the build
    assert after.cards["ML0028"] == before.cards["ML0028"]  # untouched cards keep theirs
    assert after.note_type == before.note_type
    assert result.changes.changed[0][0] == "ML0027"
    record = json.loads((cards / "ankigen.release.json").read_text())
    assert record["time"] == release_time
    again = build(cards, workdir / "again", now=release_time + 999, use_cache=False)
    assert again.output.read_bytes() == result.build.output.read_bytes()  # rebuilt byte for byte


def test_an_edit_built_and_undone_before_the_release_overwrites_no_learners_edit(
    workdir, collection
):
    """A development build stamps an edit of ML0029; the author undoes it and releases
    another change. The changelog says ML0029 did not change, so a learner's own edit of it
    must stay: the release gives it back the last release's time."""
    from ankigen.anki.lockfile import read_lock
    from ankigen.commands.build import build
    from ankigen.commands.release import release

    cards = workdir / "cards"
    before = read_lock(cards / "ankigen.lock").cards["ML0029"]
    v1 = build(cards, workdir / "output", now=1_900_000_000).output
    import_package(collection, v1)
    note = notes_by_id_field(collection)["ML0029"]
    note["Answer"] = "My own mnemonic."
    collection.update_note(note)

    edit(cards, "ML0029", "In machine learning", "In ML")
    build(cards, workdir / "dev", now=1_900_000_100)
    assert read_lock(cards / "ankigen.lock").cards["ML0029"].mod == 1_900_000_100
    edit(cards, "ML0029", "In ML", "In machine learning")
    edit(cards, "ML0028", "Softmax", "The softmax")
    result = release(cards, workdir / "output", "patch", now=1_900_000_200)
    assert [i for i, _, _ in result.changes.changed] == ["ML0028"]
    assert read_lock(cards / "ankigen.lock").cards["ML0029"] == before  # as released in 1.0.1
    log = import_package(collection, result.build.output)
    assert [n.fields[0] for n in log.updated] == ["ML0028"]
    assert notes_by_id_field(collection)["ML0029"]["Answer"] == "My own mnemonic."


def test_a_development_build_imported_by_its_author_is_updated_by_the_next_release(
    workdir, collection
):
    from ankigen.commands.build import build
    from ankigen.commands.release import release

    cards = workdir / "cards"
    import_package(collection, build(cards, workdir / "output", now=1_900_000_000).output)
    edit(cards, "ML0029", "In machine learning", "In ML")
    dev = build(cards, workdir / "output", now=1_900_000_100)
    assert dev.development and dev.output.name == PACKAGE.format("1.0.1-dev")
    log = import_package(collection, dev.output)
    assert [n.fields[0] for n in log.updated] == ["ML0029"]
    deck = collection.decks.by_name(DECK_NAME)
    assert "development build" in deck["desc"]
    edit(cards, "ML0029", "In ML", "In statistics")
    made = release(cards, workdir / "output", "patch", now=1_900_000_200)
    log = import_package(collection, made.build.output)
    assert [n.fields[0] for n in log.updated] == ["ML0029"] and not log.new
    notes = notes_by_id_field(collection)
    assert len(notes) == 10 and "In statistics" in notes["ML0029"]["Answer"]
    desc = collection.decks.by_name(DECK_NAME)["desc"]
    assert "development build" not in desc and "Version 1.0.2" in desc
