"""``ankigen new``: card skeletons under the next id never used, in the cards layout."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ankigen.cli import main
from ankigen.commands.build import build

T0 = 1_800_000_000


@pytest.fixture
def workdir(cards: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def new(runner, *args: str):
    return runner.invoke(main, ["new", *args])


def test_a_new_card_takes_the_next_id_of_its_category_and_prints_its_path(
    workdir, runner, monkeypatch
):
    marker = workdir / "editor-ran"
    monkeypatch.setenv("EDITOR", f"touch {marker}")  # ankigen new opens nothing
    monkeypatch.setenv("VISUAL", f"touch {marker}")
    result = new(runner, "Batch Normalization", "--category", "DL")
    assert result.exit_code == 0, result.output
    assert result.stdout == "cards/DL/DL0005-batch-normalization.md\n"
    assert (workdir / "cards/DL/DL0005-batch-normalization.md").read_text() == (
        "---\nid: DL0005\ntitle: Batch Normalization\ntags: []\n"
        "draft: true  # delete this line when the card is done: drafts are in no package\n---\n## Question\n\n\n## Answer\n\n"
    )
    assert new(runner, "Adam: the optimiser", "--category", "ML").stdout == (
        "cards/ML/ML0032-adam-the-optimiser.md\n"
    )
    assert (
        "title: 'Adam: the optimiser'"
        in (workdir / "cards/ML/ML0032-adam-the-optimiser.md").read_text()
    )
    assert not marker.exists()


def test_the_skeleton_is_a_draft_that_warns_until_it_is_written(workdir, runner):
    path = workdir / new(runner, "Dropout", "--category", "DL").stdout.strip()
    checked = runner.invoke(main, ["check", "--cards", "cards"])
    assert checked.exit_code == 0, checked.output
    assert checked.stderr.splitlines()[:2] == [
        "cards/DL/DL0005-dropout.md:7: warning: draft: `## Question` is empty",
        "cards/DL/DL0005-dropout.md:10: warning: draft: `## Answer` is empty",
    ]
    assert runner.invoke(main, ["check", "--cards", "cards", "--strict"]).exit_code == 1
    text = path.read_text().replace("## Question\n\n", "## Question\n\nWhat is dropout?")
    text = text.replace("## Answer\n\n", "## Answer\n\nRandom zeroing.")
    path.write_text("".join(line for line in text.splitlines(True) if "draft:" not in line))
    built = runner.invoke(main, ["build", "--cards", "cards"])
    assert built.exit_code == 0 and "DL0005 added" in built.stdout, built.output
    assert "draft" not in built.output


def test_a_cloze_skeleton(workdir, runner):
    result = new(runner, "DL0042", "Softmax", "--cloze")
    assert result.stdout == "cards/DL/DL0042-softmax.md\n"
    text = (workdir / "cards/DL/DL0042-softmax.md").read_text()
    assert (
        text
        == "---\nid: DL0042\ntitle: Softmax\ntype: cloze\ntags: []\n"
        "draft: true  # delete this line when the card is done: drafts are in no package\n---\n## Text\n\n\n## Extra\n\n"
    )
    path = workdir / "cards/DL/DL0042-softmax.md"
    path.write_text(text.replace("## Text\n\n", "## Text\n\nIt sums to {{c1::one}}."))
    with (workdir / "cards/deck.yaml").open("a") as deck:
        deck.write("cloze_note_type_id: 1843956108\n")
    assert runner.invoke(main, ["check", "--cards", "cards"]).exit_code == 0


def test_ids_of_retired_cards_and_unreadable_files_are_never_reused(workdir, runner):
    cards = workdir / "cards"
    extra = cards / "ML" / "ML0040-momentum.md"
    extra.write_text(
        "---\nid: ML0040\ntitle: Momentum\n---\n## Question\n\nQ?\n\n## Answer\n\nA.\n"
    )
    build(cards, workdir / "a", now=T0)
    extra.unlink()
    deck = cards / "deck.yaml"
    deck.write_text(re.sub(r"(?m)^version: .*$", "version: 2.0.0", deck.read_text()))
    build(cards, workdir / "b", now=T0 + 60)
    assert '"ML0040"' in (cards / "ankigen.lock").read_text().split('"retired"')[1]
    assert new(runner, "Nesterov", "--category", "ML").stdout == "cards/ML/ML0041-nesterov.md\n"
    result = new(runner, "ML0040", "Momentum again")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "cards/ankigen.lock (a retired card):1: id ML0040 is taken: ids are never reused"
    )
    (cards / "DL" / "DL0009-broken.md").write_text("no front matter at all\n")
    assert new(runner, "Pooling", "--category", "DL").stdout == "cards/DL/DL0010-pooling.md\n"


def test_it_refuses_to_overwrite_or_to_take_a_used_id(workdir, runner):
    result = new(runner, "DL0001", "Residual Connection")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "cards/DL/DL0001-residual-connection.md:1: id DL0001 is taken: ids are never reused",
        "ankigen: 1 problem found; nothing was written.",
    ]
    taken = workdir / "cards" / "DL" / "DL0077-pooling.md"
    taken.write_text("draft\n")
    result = new(runner, "DL0078", "x")  # a different id: fine
    assert result.exit_code == 0
    assert new(runner, "DL0077", "Pooling").exit_code == 1
    assert taken.read_text() == "draft\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["Batch", "Norm"], "which category? Give an ID or --category (one of DL, ML)"),
        (["batch1", "Norm"], "'batch1' is not an id like DL0005"),
        (["Pooling"], "which category? Give an ID or --category (one of DL, ML)"),
        (["Pooling", "--category", "XX"], "unknown category 'XX' (deck.yaml has DL, ML)"),
        (["ML0050", "x", "--category", "DL"], "id ML0050 is not in category DL"),
        (["QQ0001", "x"], "id QQ0001: unknown category 'QQ' (DL, ML)"),
    ],
)
def test_a_wrong_call_is_a_usage_error(workdir, runner, args, message):
    result = new(runner, *args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert sorted(p.name for p in (workdir / "cards" / "DL").iterdir())[-1].startswith("DL0004")


def test_an_unquoted_title_of_several_words_is_taken_whole(workdir, runner):
    result = new(runner, "Batch", "Normalization", "--category", "DL")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().endswith("-batch-normalization.md")
    with_id = new(runner, "DL0050", "Layer", "Norm")
    assert with_id.exit_code == 0, with_id.output
    assert with_id.stdout.strip() == "cards/DL/DL0050-layer-norm.md"
