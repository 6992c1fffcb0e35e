"""``ankigen adopt`` against the real Anki engine: a deck made and exported by Anki itself
(and one written by genanki), studied by a learner, adopted, built and imported again with
the default options: nothing new, nothing updated, no new note type, reviews kept. Then
one card edited and released: exactly that note updated. And bad input: messages."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import pytest
import yaml

from ankigen.cli import main
from ankigen.commands.build import build
from ankigen.commands.release import release
from tests.adoptdeck import DECK, PNG, export, learner, make_author_collection
from tests.ankihelpers import import_package, review_log, scheduling

T1, T2 = 1_900_000_000, 1_900_500_000


def type_names(col) -> list[str]:
    return sorted(m["name"] for m in col.models.all())


def note_state(col) -> dict[str, tuple]:
    return {
        col.get_note(nid).guid: (col.get_note(nid).mod, tuple(col.get_note(nid).fields))
        for nid in col.find_notes("")
    }


def _adopt_build_import(tmp_path, runner, package: Path, col, deck: str = DECK):
    cards = tmp_path / "cards"
    done = runner.invoke(main, ["adopt", str(package), "--cards", str(cards)])
    assert done.exit_code == 0, done.output
    before = (type_names(col), scheduling(col), review_log(col), note_state(col))
    built = build(cards, tmp_path / "out", now=T1, use_cache=False)
    log = import_package(col, built.output)
    assert (len(log.new), len(log.updated), len(log.conflicting)) == (0, 0, 0)
    after = (type_names(col), scheduling(col), review_log(col), note_state(col))
    # the same note types (no copy named `…+` added), cards, reviews and notes; a fresh
    # learner's own stock types already made the first import name the author's `Basic+`
    assert after == before
    return cards, done


@pytest.mark.parametrize("legacy", [False, True], ids=["anki21b", "legacy-anki21"])
def test_an_anki_export_adopted_builds_to_nothing_new_and_a_release_updates_one_note(
    tmp_path, runner, legacy
):
    author = make_author_collection(tmp_path / "author")
    package = export(author, tmp_path / "physics.apkg", legacy=legacy)
    author.close()
    (tmp_path / "learner").mkdir()
    col = learner(tmp_path / "learner", package, studied=4)
    try:
        assert len(review_log(col)) == 4
        cards, done = _adopt_build_import(tmp_path, runner, package, col)
        assert "round trip:" in done.output and "Back: the sanitizer removes" in done.output
        # the edited card: exactly that note is updated, by the release
        edited = cards / "AD" / "AD0001.md"
        edited.write_text(edited.read_text().replace("second law", "2nd law"), encoding="utf-8")
        before, types = note_state(col), type_names(col)
        released = release(cards, tmp_path / "out", "patch", now=T2)
        log = import_package(col, released.build.output)
        assert (len(log.new), len(log.updated), len(log.conflicting)) == (0, 1, 0)
        changed = [g for g, state in note_state(col).items() if before[g] != state]
        assert len(changed) == 1 and "2nd law" in note_state(col)[changed[0]][1][0]
        assert len(review_log(col)) == 4 and type_names(col) == types
    finally:
        col.close()


def test_an_adopted_deck_reaches_a_new_learner_whole(tmp_path, runner, collection):
    author = make_author_collection(tmp_path / "author")
    package = export(author, tmp_path / "physics.apkg")
    author.close()
    cards = tmp_path / "cards"
    done = runner.invoke(main, ["adopt", str(package), "--cards", str(cards)])
    assert done.exit_code == 0, done.output
    built = build(cards, tmp_path / "out", now=T1, use_cache=False)
    log = import_package(collection, built.output)
    assert len(log.new) == 10
    names = type_names(collection)
    assert "Vocabulary" in names and not any("ankigen" in name for name in names)
    assert collection.decks.id_for_name(f"{DECK}::Waves")
    assert collection.card_count() == 12  # a reversed note makes 2, the 2-deletion cloze 2
    media = set((Path(collection.media.dir())).iterdir())
    assert any(p.suffix == ".wav" for p in media) and any(p.suffix == ".png" for p in media)
    # an inline field stays inline: no <p> around a word a template may use in a sentence
    fronts = {collection.get_note(n).fields[0] for n in collection.find_notes("")}
    assert "What is Newton's second law?" in fronts


def test_bad_input_is_a_message(tmp_path, runner):
    not_apkg = tmp_path / "notes.apkg"
    not_apkg.write_text("hello")
    done = runner.invoke(main, ["adopt", str(not_apkg), "--cards", str(tmp_path / "c1")])
    assert done.exit_code == 1 and "not an Anki package" in done.output
    assert "Traceback" not in done.output

    from anki.collection import Collection

    empty_col = Collection(str(tmp_path / "empty.anki2"))
    empty = export_all(empty_col, tmp_path / "empty.apkg")
    empty_col.close()
    done = runner.invoke(main, ["adopt", str(empty), "--cards", str(tmp_path / "c2")])
    assert done.exit_code == 1 and "holds no notes" in done.output

    author = make_author_collection(tmp_path / "author")
    package = export(author, tmp_path / "physics.apkg")
    author.close()
    existing = tmp_path / "c3"
    existing.mkdir()
    (existing / "notes.txt").write_text("mine")
    done = runner.invoke(main, ["adopt", str(package), "--cards", str(existing)])
    assert done.exit_code == 1 and "--force" in done.output
    assert (existing / "notes.txt").read_text() == "mine"
    done = runner.invoke(main, ["adopt", str(package), "--cards", str(existing), "--force"])
    assert done.exit_code == 0, done.output
    # the unsafe field: a warning per note and field, kept as HTML in the card file
    assert "AD0010 Back: removed onclick=" in done.output
    assert 'onclick="x()"' in (existing / "AD" / "AD0010.md").read_text()


def export_all(col, target: Path) -> Path:
    from anki.collection import ExportAnkiPackageOptions

    options = ExportAnkiPackageOptions(with_scheduling=False, with_media=True, legacy=True)
    col.export_anki_package(out_path=str(target), options=options, limit=None)
    assert zipfile.is_zipfile(target)
    return target


def _genanki_package(target: Path) -> Path:
    """A deck another tool wrote: genanki's legacy ``collection.anki2``, fields without ids."""
    import genanki

    model = genanki.Model(
        1607392319,
        "Simple Model",
        fields=[{"name": "Question"}, {"name": "Answer"}],
        templates=[
            {
                "name": "Card 1",
                "qfmt": "{{Question}}",
                "afmt": "{{FrontSide}}<hr id=answer>{{Answer}}",
            }
        ],
    )
    deck = genanki.Deck(2059400110, "Capitals")
    for number, (question, answer) in enumerate(
        [
            ("Capital of France?", "Paris"),
            ("Capital of <i>Peru</i>?", "Lima"),
            ("Capital of Japan?", r"\(\text{Tokyo}\)"),
        ]
    ):
        deck.add_note(genanki.Note(model=model, fields=[question, answer], tags=[f"geo{number}"]))
    genanki.Package(deck).write_to_file(str(target))
    return target


def test_a_genanki_package_adopted_builds_to_nothing_new_and_a_release_updates_one_note(
    tmp_path, runner
):
    package = _genanki_package(tmp_path / "capitals.apkg")
    assert "collection.anki2" in zipfile.ZipFile(package).namelist()
    (tmp_path / "learner").mkdir()
    from anki.collection import Collection

    col = Collection(str(tmp_path / "learner" / "learner.anki2"))
    try:
        import_package(col, package)
        from tests.ankihelpers import study_all

        assert study_all(col, "Capitals") > 0
        reviews = len(review_log(col))
        cards, _ = _adopt_build_import(tmp_path, runner, package, col)
        assert "field_ids: none" in (cards / "deck.yaml").read_text()
        edited = next(p for p in (cards / "AD").iterdir() if "Peru" in p.read_text())
        edited.write_text(edited.read_text().replace("Lima", "Lima (Perú)"), encoding="utf-8")
        before, types = note_state(col), type_names(col)
        released = release(cards, tmp_path / "out", "patch", now=T2)
        log = import_package(col, released.build.output)
        assert (len(log.new), len(log.updated), len(log.conflicting)) == (0, 1, 0)
        changed = [g for g, state in note_state(col).items() if before[g] != state]
        assert len(changed) == 1 and "Lima (Perú)" in note_state(col)[changed[0]][1][1]
        assert len(review_log(col)) == reviews and type_names(col) == types
    finally:
        col.close()


def test_a_card_removed_from_an_adopted_deck_retires_the_learners_own_note(tmp_path, runner):
    """Its tombstone keeps the note's GUID and note type: the learner's note says it was
    retired, and no new note appears."""
    author = make_author_collection(tmp_path / "author")
    package = export(author, tmp_path / "physics.apkg", legacy=False)
    author.close()
    (tmp_path / "learner").mkdir()
    col = learner(tmp_path / "learner", package, studied=4)
    try:
        cards, _ = _adopt_build_import(tmp_path, runner, package, col)
        gone = cards / "AD" / "AD0001.md"
        guid = yaml.safe_load(gone.read_text().split("---")[1])["guid"]
        gone.unlink()
        before, types = note_state(col), type_names(col)
        released = release(cards, tmp_path / "out", "major", now=T2)
        log = import_package(col, released.build.output)
        assert (len(log.new), len(log.updated), len(log.conflicting)) == (0, 1, 0)
        assert type_names(col) == types and set(note_state(col)) == set(before)
        (nid,) = [n for n in col.find_notes("") if col.get_note(n).guid == guid]
        assert "Retired in version 2.0.0" in " ".join(col.get_note(nid).fields)
    finally:
        col.close()


def test_a_changed_guid_is_refused(tmp_path, runner, monkeypatch):
    author = make_author_collection(tmp_path / "author")
    package = export(author, tmp_path / "physics.apkg", legacy=False)
    author.close()
    monkeypatch.chdir(tmp_path)
    assert runner.invoke(main, ["adopt", str(package), "--cards", "cards"]).exit_code == 0
    card = tmp_path / "cards" / "AD" / "AD0001.md"
    card.write_text(re.sub(r"(?m)^guid: .+$", "guid: abcdef", card.read_text()))
    result = runner.invoke(main, ["check", "--cards", "cards"])
    assert result.exit_code == 1
    assert "card AD0001 was built with `guid: " in result.stderr


def test_a_failed_adoption_leaves_nothing_behind(tmp_path, runner):
    """A note type adopt cannot keep (a template with a script) fails the adoption, and
    no half-written folder is left that would build as new notes."""
    author = make_author_collection(tmp_path / "author")
    basic = author.models.by_name("Basic")
    basic["tmpls"][0]["qfmt"] += "<script>fetch('https://evil.example/')</script>"
    author.models.update_dict(basic)
    package = export(author, tmp_path / "physics.apkg")
    author.close()
    cards = tmp_path / "cards"
    result = runner.invoke(main, ["adopt", str(package), "--cards", str(cards)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "<script> could run a script" in result.stderr
    assert not cards.exists()


def test_a_file_missing_from_the_package_is_kept_as_written(tmp_path, runner):
    """The package lacked it, so learners never had it: the field stays as it was."""
    author = make_author_collection(tmp_path / "author")
    note = author.new_note(author.models.by_name("Basic"))
    note.fields[:] = ["Lost", '<img src="gone.png"> and more']
    author.add_note(note, author.decks.id(DECK))
    package = export(author, tmp_path / "physics.apkg")
    author.close()
    cards = tmp_path / "cards"
    result = runner.invoke(main, ["adopt", str(package), "--cards", str(cards)])
    assert result.exit_code == 0, result.output
    built = build(cards, tmp_path / "out", now=T1)
    assert any("gone.png" in w.message and "kept as written" in w.message for w in built.warnings)


def test_only_the_chosen_decks_notes_are_adopted(tmp_path, runner):
    author = make_author_collection(tmp_path / "author")
    other = author.decks.id("Elsewhere")
    note = author.new_note(author.models.by_name("Basic"))
    note.fields[:] = ["Not physics", "at all"]
    author.add_note(note, other)
    package = tmp_path / "all.apkg"
    from anki.collection import ExportAnkiPackageOptions

    author.export_anki_package(
        out_path=str(package),
        options=ExportAnkiPackageOptions(with_media=True),
        limit=None,
    )
    author.close()
    cards = tmp_path / "cards"
    result = runner.invoke(main, ["adopt", str(package), "--cards", str(cards), "--deck", DECK])
    assert result.exit_code == 0, result.output
    texts = " ".join(p.read_text() for p in cards.rglob("*.md"))
    assert "Not physics" not in texts and "Newton" in texts


def test_a_font_the_note_types_css_names_is_adopted_and_shipped(tmp_path, runner):
    author = make_author_collection(tmp_path / "author")
    (Path(author.media.dir()) / "_deck.ttf").write_bytes(b"\x00\x01\x00\x00font")
    basic = author.models.by_name("Basic")
    basic["css"] += '\n@font-face { font-family: Deck; src: url("_deck.ttf"); }\n'
    author.models.update_dict(basic)
    package = export(author, tmp_path / "physics.apkg")
    author.close()
    cards = tmp_path / "cards"
    result = runner.invoke(main, ["adopt", str(package), "--cards", str(cards)])
    assert result.exit_code == 0, result.output
    built = build(cards, tmp_path / "out", now=T1)
    with zipfile.ZipFile(built.output) as archive:
        names = json.loads(archive.read("media")).values()
    assert any(name.startswith("_ankigen-") and name.endswith(".ttf") for name in names)


def test_an_image_only_a_template_names_is_adopted_and_shipped(tmp_path, runner, collection):
    author = make_author_collection(tmp_path / "author")
    (Path(author.media.dir()) / "_logo.png").write_bytes(PNG)
    basic = author.models.by_name("Basic")
    basic["tmpls"][0]["qfmt"] = '<img src="_logo.png">' + basic["tmpls"][0]["qfmt"]
    author.models.update_dict(basic)
    package = export(author, tmp_path / "physics.apkg")
    author.close()
    cards = tmp_path / "cards"
    assert runner.invoke(main, ["adopt", str(package), "--cards", str(cards)]).exit_code == 0
    built = build(cards, tmp_path / "out", now=T1)
    import_package(collection, built.output)
    shipped = [p.name for p in Path(collection.media.dir()).iterdir() if p.name.startswith("_")]
    (logo,) = [name for name in shipped if name.endswith(".png")]
    assert (Path(collection.media.dir()) / logo).read_bytes() == PNG
    assert any(f'src="{logo}"' in t["qfmt"] for m in collection.models.all() for t in m["tmpls"])
