"""The everyday loop, edit → build → release, as a new author meets it: no step needs a flag
or a version edit, and every refusal names the way out. Each trap from the release-loop
issue is played through the CLI and ends in a good state using only what the messages say:
the test runs the command a refusal names (or makes the one edit it names), nothing else.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
import shlex
import sqlite3
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from ankigen.cli import main
from tests.test_release import NEW_CARD, PACKAGE, edit

COMMAND = re.compile(r"`(ankigen [^`]+)`")
VERSION_EDIT = re.compile(r"`version: ([^`]+)`")


@pytest.fixture
def workdir(cards: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(cards.parent)
    return cards.parent


def run(runner: CliRunner, command: str) -> Result:
    """``command`` (``ankigen …``) through click's runner."""
    words = shlex.split(command)
    assert words[0] == "ankigen", command
    return runner.invoke(main, words[1:])


def refused(result: Result) -> str:
    """The one problem of a refused command, after checking it was refused cleanly."""
    assert result.exit_code == 1, result.output
    lines = result.stderr.splitlines()
    assert lines[-1] == "ankigen: 1 problem found; nothing was written.", lines
    return lines[0]


def named_command(message: str) -> str:
    """The last ``ankigen …`` command a message names: the way out it ends with."""
    commands = COMMAND.findall(message)
    assert commands, f"the message names no command: {message}"
    return commands[-1]


def tree(folder: Path) -> dict[str, str]:
    """Every file below ``folder`` (the cache aside) by its digest: to see nothing changed."""
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def set_version(cards: Path, version: str) -> None:
    deck = cards / "deck.yaml"
    text = deck.read_text(encoding="utf-8")
    deck.write_text(re.sub(r"(?m)^version: .*$", f"version: {version}", text), encoding="utf-8")


def released_version(cards: Path) -> str:
    return json.loads((cards / "ankigen.release.json").read_text(encoding="utf-8"))["version"]


def test_edit_build_edit_build_then_release_and_the_release_never_changes(workdir, runner):
    cards, out = workdir / "cards", workdir / "output"
    first = runner.invoke(main, ["build"])
    assert first.exit_code == 0 and first.stderr == ""
    assert first.stdout.startswith(f"Built output/{PACKAGE.format('1.0.1')}: 10 cards")
    released = (out / PACKAGE.format("1.0.1")).read_bytes()
    for old, new in [("In machine learning", "In ML"), ("In ML", "In statistics")]:
        edit(cards, "ML0029", old, new)
        built = runner.invoke(main, ["build"])
        assert built.exit_code == 0 and built.stderr == "", built.output
        assert (out / PACKAGE.format("1.0.1")).read_bytes() == released
    assert (out / PACKAGE.format("1.0.1-dev")).is_file()

    made = runner.invoke(main, ["release", "minor"])
    assert made.exit_code == 0, made.output
    assert made.stdout.startswith("Released 1.1.0 (was 1.0.1): 0 added, 1 changed, 0 retired")
    v110 = (out / PACKAGE.format("1.1.0")).read_bytes()
    again = runner.invoke(main, ["build"])  # the release's sources: its package, unchanged
    assert again.exit_code == 0 and "development" not in again.stdout
    assert (out / PACKAGE.format("1.1.0")).read_bytes() == v110

    edit(cards, "ML0029", "In statistics", "In machine learning")
    built = runner.invoke(main, ["build", "--no-cache"])
    assert built.exit_code == 0 and built.stderr == ""
    assert built.stdout.startswith(f"Built output/{PACKAGE.format('1.1.0-dev')} (a development")
    assert (out / PACKAGE.format("1.1.0")).read_bytes() == v110
    assert (out / PACKAGE.format("1.0.1")).read_bytes() == released


def test_a_version_raised_by_hand_is_released_by_release_alone(workdir, runner):
    cards, out = workdir / "cards", workdir / "output"
    (next(cards.rglob("ML0027-*.md")).parent / "ML0099-new.md").write_text(
        NEW_CARD.replace("DL0005", "ML0099"), encoding="utf-8"
    )
    set_version(cards, "1.1.0")
    built = runner.invoke(main, ["build"])  # no warning asks for anything
    assert built.exit_code == 0 and built.stderr == "", built.output
    assert (out / PACKAGE.format("1.1.0-dev")).is_file()
    deck_before = (cards / "deck.yaml").read_bytes()

    made = runner.invoke(main, ["release"])
    assert made.exit_code == 0, made.output
    assert made.stdout.startswith("Released 1.1.0 (was 1.0.1): 1 added, 0 changed, 0 retired")
    assert (cards / "deck.yaml").read_bytes() == deck_before  # it already said 1.1.0
    assert released_version(cards) == "1.1.0" and (out / PACKAGE.format("1.1.0")).is_file()

    message = refused(runner.invoke(main, ["release"]))  # 1.1.0 is out, nothing changed since
    assert message.startswith("cards/deck.yaml:4: no card changed since version 1.1.0")
    assert named_command(message) == "ankigen release --allow-empty"
    edit(cards, "ML0029", "In machine learning", "In ML")
    message = refused(runner.invoke(main, ["release"]))
    assert message == (
        "cards/deck.yaml:4: version 1.1.0 is already released (ankigen.release.json): "
        "`ankigen release` with no part releases a version raised by hand in deck.yaml; to "
        "release what changed since (ML0029 changed), run `ankigen release patch` (releases "
        "1.1.1)"
    )
    made = run(runner, named_command(message))
    assert made.exit_code == 0, made.output
    assert released_version(cards) == "1.1.1"


def test_a_hand_raised_version_put_back_traps_no_one(workdir, runner):
    """The old trap: raised by hand, built, then put back, every command refused."""
    cards = workdir / "cards"
    edit(cards, "ML0029", "In machine learning", "In ML")
    set_version(cards, "1.1.0")
    assert runner.invoke(main, ["build"]).exit_code == 0
    set_version(cards, "1.0.1")
    for command in (["check"], ["build"]):
        result = runner.invoke(main, command)
        assert result.exit_code == 0 and result.stderr == "", result.output
    made = runner.invoke(main, ["release", "patch"])
    assert made.exit_code == 0, made.output
    assert released_version(cards) == "1.0.2"


def test_a_hand_raised_version_too_small_for_the_changes_names_both_ways_out(workdir, runner):
    cards = workdir / "cards"
    (next(cards.rglob("ML0027-*.md")).parent / "ML0099-new.md").write_text(
        NEW_CARD.replace("DL0005", "ML0099"), encoding="utf-8"
    )
    set_version(cards, "1.0.2")
    message = refused(runner.invoke(main, ["release"]))
    assert message == (
        "cards/deck.yaml:4: 1.0.2 would be a patch release after 1.0.1, but ML0099 is new, "
        "which needs a minor release: put `version: 1.1.0` in deck.yaml and run `ankigen "
        "release`, or run `ankigen release minor` (releases 1.1.0)"
    )
    (wanted,) = VERSION_EDIT.findall(message)
    set_version(cards, wanted)  # the first way out: the edit it names, then `ankigen release`
    made = run(runner, COMMAND.findall(message)[0])
    assert made.exit_code == 0, made.output
    assert released_version(cards) == "1.1.0"


def test_a_version_below_the_last_release_names_the_version_to_put_back(workdir, runner):
    cards = workdir / "cards"
    set_version(cards, "0.9.0")
    for command in (["check"], ["build"]):
        message = refused(runner.invoke(main, command))
        assert message == (
            "cards/deck.yaml:4: version 0.9.0 is lower than 1.0.1, the last release "
            "(ankigen.release.json): `version` is the last release, and `ankigen release` "
            "raises it; put `version: 1.0.1` back"
        )
    (wanted,) = VERSION_EDIT.findall(message)
    set_version(cards, wanted)
    assert runner.invoke(main, ["build"]).exit_code == 0


@pytest.mark.parametrize(
    ("change", "asked", "needed"),
    [
        ("nothing", "patch", "ankigen release patch --allow-empty"),
        ("add", "patch", "ankigen release minor"),
        ("remove", "minor", "ankigen release major"),
        ("remove", "patch", "ankigen release major"),
    ],
)
def test_a_refused_release_names_the_command_that_gets_out(workdir, runner, change, asked, needed):
    cards = workdir / "cards"
    if change == "add":
        (next(cards.rglob("ML0027-*.md")).parent / "ML0099-new.md").write_text(
            NEW_CARD.replace("DL0005", "ML0099"), encoding="utf-8"
        )
    elif change == "remove":
        next(cards.rglob("ML0027-*.md")).unlink()
    before = tree(workdir)
    message = refused(runner.invoke(main, ["release", asked]))
    assert tree(workdir) == before  # nothing written: not deck.yaml, the lock, the record
    assert named_command(message) == needed
    made = run(runner, needed)
    assert made.exit_code == 0, made.output
    assert made.stdout.startswith("Released ")
    assert runner.invoke(main, ["build"]).exit_code == 0  # and the loop goes on


def test_a_dry_run_writes_nothing_and_says_what_a_release_would(workdir, runner):
    cards = workdir / "cards"
    assert runner.invoke(main, ["build"]).exit_code == 0  # the last release's package
    edit(cards, "ML0029", "In machine learning", "In ML")
    before = tree(workdir)
    trial = runner.invoke(main, ["release", "patch", "--dry-run", "-m", "Shorter wording."])
    assert trial.exit_code == 0, trial.output
    assert tree(workdir) == before
    assert "## ML and DL Interview Questions 1.0.2 — " in trial.stdout
    assert "Shorter wording." in trial.stdout
    assert "updated notes (1):" in trial.stdout and "ML0029" in trial.stdout


def test_a_release_recorded_by_an_older_ankigen_builds_as_development_until_the_next(
    workdir, runner
):
    """A record without the package digest (written before records had one) cannot tell a
    build that it is the release: every build is a development build, and the next release
    records the digest."""
    cards, out = workdir / "cards", workdir / "output"
    text = (cards / "ankigen.release.json").read_text(encoding="utf-8")
    for key in ("package", "schemas", "time"):
        text = re.sub(rf'(?m)^  "{key}": .*,\n', "", text)
    (cards / "ankigen.release.json").write_text(text, encoding="utf-8")
    assert "package" not in json.loads(text)
    first = runner.invoke(main, ["build"])
    assert first.exit_code == 0 and "(a development build, not a release)" in first.stdout
    assert not (out / PACKAGE.format("1.0.1")).exists()
    edit(cards, "ML0029", "In machine learning", "In ML")
    made = runner.invoke(main, ["release", "patch"])
    assert made.exit_code == 0, made.output
    assert json.loads((cards / "ankigen.release.json").read_text())["package"]
    again = runner.invoke(main, ["build", "--no-cache"])
    assert again.exit_code == 0 and "development" not in again.stdout


def test_a_first_release_ships_no_tombstone_of_a_card_no_one_ever_had(workdir, runner):
    cards = workdir / "cards"
    (cards / "ankigen.release.json").unlink()  # a deck never released
    assert runner.invoke(main, ["build"]).exit_code == 0  # a development build with ML0031
    next(cards.rglob("ML0031-*.md")).unlink()
    assert runner.invoke(main, ["build"]).exit_code == 0  # the lock has its tombstone now
    assert "ML0031" in json.loads((cards / "ankigen.lock").read_text())["retired"]
    made = runner.invoke(main, ["release"])
    assert made.exit_code == 0, made.output
    assert "ML0031" not in json.loads((cards / "ankigen.lock").read_text())["retired"]
    with zipfile.ZipFile(workdir / "output" / PACKAGE.format("1.0.1")) as archive:
        archive.extract("collection.anki2", workdir)
    with sqlite3.connect(workdir / "collection.anki2") as db:
        ids = sorted(row[0].split("\x1f")[0] for row in db.execute("select flds from notes"))
    db.close()
    assert len(ids) == 9 and "ML0031" not in ids


def test_a_tombstone_reworded_in_a_development_build_is_stamped_by_the_release(workdir, runner):
    from ankigen.commands.build import build
    from ankigen.commands.release import release

    cards = workdir / "cards"
    next(cards.rglob("ML0031-*.md")).unlink()
    release(cards, workdir / "output", "major", now=1_900_000_000)
    deck = cards / "deck.yaml"
    deck.write_text(deck.read_text() + 'retired: {ML0031: "merged into ML0030"}\n')
    build(cards, workdir / "dev", now=1_900_000_100)
    assert json.loads((cards / "ankigen.lock").read_text())["retired"]["ML0031"]["mod"] == (
        1_900_000_100
    )
    edit(cards, "ML0029", "In machine learning", "In ML")
    release(cards, workdir / "output", "patch", now=1_900_000_200)
    tomb = json.loads((cards / "ankigen.lock").read_text())["retired"]["ML0031"]
    assert tomb["mod"] == 1_900_000_200  # later than any import of 2.0.0


@pytest.mark.parametrize(
    ("versions", "expected"),
    [
        (["1.1.0-rc.1", "1.1.0-rc.2"], "1.1.0-rc.2"),
        (["1.1.0-rc.1", "1.1.0"], "1.1.0"),
        (["2.0.0-alpha", "2.0.0-alpha.1", "2.0.0-beta"], "2.0.0-beta"),
    ],
)
def test_pre_releases_raised_by_hand_release_in_order(workdir, runner, versions, expected):
    cards = workdir / "cards"
    for number, version in enumerate(versions):
        (cards / "ML" / f"ML009{number}-new.md").write_text(
            NEW_CARD.replace("DL0005", f"ML009{number}"), encoding="utf-8"
        )
        if version.startswith("2."):
            next(cards.rglob(f"ML00{26 + number}-*.md")).unlink()  # a major change
        set_version(cards, version)
        made = runner.invoke(main, ["release"])
        assert made.exit_code == 0, (version, made.output)
    assert released_version(cards) == expected


def test_version_precedence_is_semantic_versioning():
    from ankigen.source.config import version_key

    order = [
        "1.0.0-alpha",
        "1.0.0-alpha.1",
        "1.0.0-alpha.beta",
        "1.0.0-beta",
        "1.0.0-beta.2",
        "1.0.0-beta.11",
        "1.0.0-rc.1",
        "1.0.0",
        "1.0.1",
        "1.1.0",
        "2.0.0",
    ]
    keys = [version_key(v) for v in order]
    assert all(a < b for a, b in itertools.pairwise(keys))  # semver.org, item 11
    assert version_key("1.0.0+build.7") == version_key("1.0.0")


def test_a_version_ending_in_dev_is_refused_with_another_name(workdir, runner):
    set_version(workdir / "cards", "1.1.0-dev")
    message = refused(runner.invoke(main, ["build"]))
    assert message.startswith("cards/deck.yaml:4: version 1.1.0-dev: a version ending in -dev")
    assert message.endswith("like 1.1.0-alpha")


@pytest.mark.parametrize("version", ["1", '"1.0"'])
def test_a_broken_release_record_names_the_way_out(workdir, runner, version):
    record = workdir / "cards" / "ankigen.release.json"
    text = record.read_text(encoding="utf-8")
    record.write_text(text.replace('"version": "1.0.1"', f'"version": {version}'), "utf-8")
    for command in (["build"], ["release", "patch"], ["release"]):
        message = refused(runner.invoke(main, command))
        assert message.startswith("cards/ankigen.release.json:1: corrupt release manifest")
        assert message.endswith("(`git checkout -- cards/ankigen.release.json`)")


def test_a_version_below_the_last_release_is_named_so_by_release(workdir, runner):
    set_version(workdir / "cards", "0.9.0")
    message = refused(runner.invoke(main, ["release"]))
    assert "version 0.9.0 is lower than 1.0.1, the last release" in message
    assert "put `version: 1.0.1` back" in message


def test_a_release_whose_package_file_exists_with_other_content_names_a_way_out(workdir, runner):
    """The release was undone in git (the record says 1.0.1 again) but its package, maybe
    published, is still there: releasing 1.0.2 again must not overwrite it."""
    cards, out = workdir / "cards", workdir / "output"
    edit(cards, "ML0029", "In machine learning", "In ML")
    before = tree(cards)
    record = (cards / "ankigen.release.json").read_bytes()
    deck = (cards / "deck.yaml").read_bytes()
    lock = (cards / "ankigen.lock").read_bytes()
    assert runner.invoke(main, ["release", "patch"]).exit_code == 0
    published = (out / PACKAGE.format("1.0.2")).read_bytes()
    (cards / "ankigen.release.json").write_bytes(record)  # as `git checkout` would
    (cards / "deck.yaml").write_bytes(deck)
    (cards / "ankigen.lock").write_bytes(lock)
    assert tree(cards) == before
    edit(cards, "ML0028", "Softmax", "The softmax")
    message = refused(runner.invoke(main, ["release", "patch"]))
    assert "than the release 1.0.2 about to be made" in message
    assert (out / PACKAGE.format("1.0.2")).read_bytes() == published
    set_version(cards, "1.0.3")  # the way out for a published file: raise it by hand
    made = run(runner, named_command(message))
    assert made.exit_code == 0, made.output
    assert released_version(cards) == "1.0.3"
    assert (out / PACKAGE.format("1.0.2")).read_bytes() == published
