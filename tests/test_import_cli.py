"""`ankigen import` through click's runner: statuses, --dry-run, --force, and bad input."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from ankigen.cli import main
from tests.conftest import SHIPPED_CARDS

SEED = Path(__file__).resolve().parent / "fixtures" / "seed_listing.txt"
SEED_IDS = [
    "DL0004",
    "DL0003",
    "DL0002",
    "DL0001",
    "ML0031",
    "ML0030",
    "ML0029",
    "ML0028",
    "ML0027",
    "ML0026",
]
LOST_IMAGE = "DL0002: points at an image the listing does not contain; the card says it was lost"


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder with ``listing.txt`` (the seed) and ``cards/`` holding only deck.yaml."""
    (tmp_path / "cards").mkdir()
    shutil.copy(SHIPPED_CARDS / "deck.yaml", tmp_path / "cards" / "deck.yaml")
    shutil.copy(SEED, tmp_path / "listing.txt")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def snapshot(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


def seed_path(card_id: str) -> str:
    return next(SHIPPED_CARDS.rglob(f"{card_id}-*.md")).relative_to(SHIPPED_CARDS).as_posix()


def test_import_writes_one_card_file_per_entry_and_reports_each(workdir, runner):
    result = runner.invoke(main, ["import", "listing.txt"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        f"new       {card_id}  cards/{seed_path(card_id)}" for card_id in SEED_IDS
    ] + [
        "listing.txt: 10 entries: 10 new, 0 unchanged, 0 skipped. 1 place to review (listed above)."
    ]
    assert result.stderr.splitlines() == [f"listing.txt:46: {LOST_IMAGE}"]
    written = snapshot(workdir / "cards")
    assert sorted(written) == sorted(["deck.yaml"] + [seed_path(i) for i in SEED_IDS])


def test_a_second_import_finds_every_card_unchanged(workdir, runner):
    assert runner.invoke(main, ["import", "listing.txt"]).exit_code == 0
    before = snapshot(workdir / "cards")
    result = runner.invoke(main, ["import", "listing.txt"])
    assert result.exit_code == 0, result.output
    assert [line.split()[0] for line in result.stdout.splitlines()[:-1]] == ["unchanged"] * 10
    assert "10 entries: 0 new, 10 unchanged, 0 skipped." in result.stdout
    assert snapshot(workdir / "cards") == before


def test_dry_run_prints_the_files_and_writes_nothing(workdir, runner):
    before = snapshot(workdir)
    result = runner.invoke(main, ["import", "listing.txt", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert snapshot(workdir) == before
    out = result.stdout
    assert out.startswith(
        "new       DL0004  cards/DL/DL0004-small-kernels.md\n---\nid: DL0004\n"
        "title: Small Kernels\ntags: []\n---\n## Question\n\n"
    )
    assert "\n$$\\displaystyle h_\\theta(x) = \\theta_0 + \\sum_{j=1}^{p} \\theta_j x_j$$\n" in out
    assert out.count("\n---\nid: ") + out.startswith("---") == 10
    assert out.endswith(
        "10 new, 0 unchanged, 0 skipped. 1 place to review (listed above). "
        "Dry run: nothing was written.\n"
    )


def test_existing_cards_that_differ_are_skipped_unless_forced(cards, runner, monkeypatch, tmp_path):
    # the shipped cards carry topic tags the listing lacks, so every file differs
    monkeypatch.chdir(tmp_path)
    shutil.copy(SEED, tmp_path / "listing.txt")
    before = snapshot(cards)
    result = runner.invoke(main, ["import", "listing.txt"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == (
        "skipped   DL0004  cards/DL/DL0004-small-kernels.md  "
        "(differs from the listing; --force overwrites it)"
    )
    assert lines[-1].startswith("listing.txt: 10 entries: 0 new, 0 unchanged, 10 skipped.")
    assert snapshot(cards) == before

    result = runner.invoke(main, ["import", "listing.txt", "--force"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == "replaced  DL0004  cards/DL/DL0004-small-kernels.md"
    assert "0 new, 0 unchanged, 0 skipped, 10 replaced." in result.stdout
    after = snapshot(cards)
    assert sorted(after) == sorted(before)  # the same files, no new ones
    tags = after["DL/DL0004-small-kernels.md"].decode()
    assert "tags: []\n" in tags and "tags: [cnn]" not in tags


def test_an_existing_card_is_found_by_its_id_under_another_file_name(workdir, runner):
    assert runner.invoke(main, ["import", "listing.txt"]).exit_code == 0
    old = workdir / "cards" / "ML" / "ML0026-relu.md"
    renamed = old.with_name("ML0026-rectified-linear-unit.md")
    old.rename(renamed)
    renamed.write_text(renamed.read_text().replace("tags: []", "tags: [activation]"))
    result = runner.invoke(main, ["import", "listing.txt"])
    assert result.exit_code == 0, result.output
    assert (
        "skipped   ML0026  cards/ML/ML0026-rectified-linear-unit.md  "
        "(differs from the listing; --force overwrites it)"
    ) in result.stdout.splitlines()
    assert not old.exists()


def test_standard_input_is_read_for_a_dash(workdir, runner):
    result = runner.invoke(main, ["import", "-", "--dry-run"], input=SEED.read_bytes())
    assert result.exit_code == 0, result.output
    from_file = runner.invoke(main, ["import", "listing.txt", "--dry-run"])
    assert result.stdout.replace("<stdin>", "listing.txt") == from_file.stdout
    assert result.stderr.splitlines() == [f"<stdin>:46: {LOST_IMAGE}"]


@pytest.mark.parametrize(
    "variant",
    [
        lambda data: data.replace(b"\n", b"\r\n"),
        lambda data: data.replace(b"    Login to view more content", b""),
    ],
    ids=["crlf", "missing-trailer"],
)
def test_crlf_and_missing_trailers_give_the_same_card_files(variant, workdir, runner):
    assert runner.invoke(main, ["import", "listing.txt"]).exit_code == 0
    reference = snapshot(workdir / "cards")
    shutil.rmtree(workdir / "cards" / "DL")
    shutil.rmtree(workdir / "cards" / "ML")
    (workdir / "variant.txt").write_bytes(variant(SEED.read_bytes()))
    result = runner.invoke(main, ["import", "variant.txt"])
    assert result.exit_code == 0, result.output
    assert snapshot(workdir / "cards") == reference


def test_a_duplicate_id_names_both_places_and_nothing_is_written(workdir, runner):
    text = SEED.read_text(encoding="utf-8").replace(
        "• DL0002 All Ones Init", "• DL0001 All Ones Init"
    )
    (workdir / "listing.txt").write_text(text, encoding="utf-8")
    before = snapshot(workdir)
    result = runner.invoke(main, ["import", "listing.txt"])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "listing.txt:52: duplicate id DL0001: also at listing.txt:37",
        "ankigen: 1 problem found; nothing was written.",
    ]
    assert result.stdout == ""
    assert snapshot(workdir) == before


def test_a_listing_that_is_not_utf8_is_reported_with_its_line(workdir, runner):
    data = SEED.read_bytes().replace("×".encode(), b"\xd7", 1)
    (workdir / "listing.txt").write_bytes(data)
    result = runner.invoke(main, ["import", "listing.txt"])
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "listing.txt:5: not valid UTF-8 (byte 0xd7); save the listing as UTF-8"
    )
    assert "Traceback" not in result.output
    assert snapshot(workdir / "cards") == {"deck.yaml": (SHIPPED_CARDS / "deck.yaml").read_bytes()}


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their permissions")
def test_a_listing_without_read_permission_is_reported(workdir, runner):
    (workdir / "listing.txt").chmod(0)
    result = runner.invoke(main, ["import", "listing.txt"])
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == "listing.txt:1: cannot read listing: Permission denied"


@pytest.mark.skipif(not Path("/proc/self/mem").exists(), reason="needs Linux /proc")
def test_a_listing_that_fails_to_read_is_reported(workdir, runner):
    # /proc/self/mem exists and looks readable, but reading it from the start fails (EIO),
    # even as root: an unreadable file that CI can reproduce
    result = runner.invoke(main, ["import", "/proc/self/mem"])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "/proc/self/mem:1: cannot read listing: Input/output error",
        "ankigen: 1 problem found; nothing was written.",
    ]


@pytest.mark.parametrize(
    ("argument", "message"), [("nowhere.txt", "does not exist"), ("cards", "is a directory")]
)
def test_a_missing_listing_or_a_folder_is_a_usage_error(argument, message, workdir, runner):
    result = runner.invoke(main, ["import", argument])
    assert result.exit_code == 2
    assert message in result.stderr


@pytest.mark.parametrize("content", [b"", b"Author: admin\n\n\n"])
def test_an_empty_listing_is_an_error(content, workdir, runner):
    (workdir / "listing.txt").write_bytes(content)
    result = runner.invoke(main, ["import", "listing.txt"])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "listing.txt:1: no entries found: an entry starts with a line like `• DL0001 Title`",
        "ankigen: 1 problem found; nothing was written.",
    ]


def test_an_id_whose_category_the_deck_lacks_is_an_error(workdir, runner):
    text = SEED.read_text(encoding="utf-8").replace("• ML0029 Tanh", "• XY0029 Tanh")
    (workdir / "listing.txt").write_text(text, encoding="utf-8")
    result = runner.invoke(main, ["import", "listing.txt"])
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "listing.txt:123: XY0029: unknown category 'XY' (deck.yaml has DL, ML)"
    )
    assert snapshot(workdir / "cards") == {"deck.yaml": (SHIPPED_CARDS / "deck.yaml").read_bytes()}


def test_a_cards_folder_without_deck_yaml_is_an_error(workdir, runner):
    (workdir / "cards" / "deck.yaml").unlink()
    result = runner.invoke(main, ["import", "listing.txt"])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "cards/deck.yaml:1: missing deck.yaml: every cards folder needs one",
        "ankigen: 1 problem found; nothing was written.",
    ]
    assert list((workdir / "cards").iterdir()) == []


def test_import_has_help(runner):
    result = runner.invoke(main, ["import", "--help"])
    assert result.exit_code == 0
    assert "Usage: main import [OPTIONS] LISTING" in result.stdout
    assert "--dry-run" in result.stdout and "--force" in result.stdout


def test_a_card_file_that_cannot_be_written_is_reported_without_a_traceback(workdir, runner):
    (workdir / "cards" / "ML").write_text("a file where the ML folder should be")
    result = runner.invoke(main, ["import", "listing.txt"])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    problem = result.stderr.splitlines()[-2]
    assert problem.startswith("cards/ML/ML0031-linear-regression.md:1: cannot write card file: ")
    # the DL cards before it were written whole, and a re-run reports them unchanged
    assert len(list((workdir / "cards" / "DL").glob("*.md"))) == 4
