"""Cloze cards: deletions read as Anki reads them, formulas that survive, and the real import."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from ankigen.anki import notetype
from ankigen.anki.lock import NOTE_ID_STEP
from ankigen.anki.lockfile import read_lock
from ankigen.anki.notetype import basic_note_type, cloze_note_type
from ankigen.cache import render_cache as rendercache
from ankigen.cli import main
from ankigen.commands.build import build, check, render_cards
from ankigen.commands.cardfaces import card_faces
from ankigen.commands.release import release
from ankigen.errors import AnkigenError
from ankigen.render.card import Renderer
from ankigen.render.cloze import protect_tex, reveal
from ankigen.source.validate import Section
from tests.ankihelpers import import_package, notes_by_id_field
from tests.clozedeck import CLOZE_CARDS, CLOZE_NOTE_TYPE_ID, add_cloze_cards

T0 = 1_800_000_000
DECK = "ML and DL Interview Questions"
SOFTMAX_TEX = r"\frac{e^{z_i} }{\sum_{j} e^{z_j} }"  # as the author wrote it, `}}` spaced


def set_version(cards: Path, version: str) -> None:
    deck = cards / "deck.yaml"
    deck.write_text(re.sub(r"(?m)^version: .*$", f"version: {version}", deck.read_text()))


def card_file(cards: Path, card_id: str) -> Path:
    return next(cards.rglob(f"{card_id}-*.md"))


def render_cloze(markdown: str) -> tuple[str, tuple[int, ...], list[str]]:
    result = Renderer().section(Section(markdown, 3), "c.md", None, cloze=True)
    return result.html, result.clozes, [str(p) for p in result.problems]


# -- reading deletions ----------------------------------------------------------------------


def test_a_formula_inside_a_deletion_has_its_closing_braces_spaced():
    html, numbers, problems = render_cloze(r"It is {{c1::$\frac{a}{b^{2}}$}} or $x^{y^{2}}$.")
    assert html == r"<p>It is {{c1::\(\frac{a}{b^{2} }\)}} or \(x^{y^{2}}\).</p>"
    assert (numbers, problems) == ((1,), [])


@pytest.mark.parametrize(
    ("tex", "inside", "expected"),
    [
        ("a::b", True, "a: :b"),  # `::` would start Anki's hint
        (":::", True, ": : :"),
        ("a::b", False, "a::b"),  # outside any deletion the TeX stays as written
        (r"\{a\}}", True, r"\{a\} }"),
        ("E = {{c1::mc^{2}}}", False, "E = {{c1::mc^{2} }}"),  # its own `}}` stays
        ("{{c1::x::hint}} {y}}", False, "{{c1::x::hint}} {y}}"),
        ("{{c1::a::b::c}}", False, "{{c1::a::b::c}}"),  # the first `::` is the hint
        ("{{c1::{a::b}::h}}", False, "{{c1::{a: :b}::h}}"),  # inside braces it is TeX
        ("{{c1::a{{c2::b}}}}", False, "{{c1::a{{c2::b}}}}"),  # nested closers stay
    ],
)
def test_tex_is_rewritten_only_where_anki_would_misread_it(tex, inside, expected):
    assert protect_tex(tex, inside=inside)[0] == expected


def test_deletions_inside_formulas_count_and_must_close_there():
    _, numbers, problems = render_cloze(r"$$E = {{c2::mc^2}}$$ and {{c1::a}}")
    assert (numbers, problems) == ((1, 2), [])
    _, _, problems = render_cloze(r"$a {{c1::b$ c}}")
    assert problems == [
        "c.md:3: `{{c1::` opens inside a formula but does not close in it: a deletion is "
        "either inside one formula or around whole formulas"
    ]


def test_deletion_numbers_are_bounded_by_the_card_ids_of_a_note():
    assert NOTE_ID_STEP == 100  # card id = note id + number - 1: at most c100
    _, _, problems = render_cloze("{{c100::fine}}\n\n{{c101::too far}}")
    assert problems == ["c.md:5: deletion c101: deletions are numbered c1 to c100"]


# -- rendering as Anki does (the preview) -----------------------------------------------------

ANKI_CASES = [
    r"A {{c1::cat::animal}} sat on {{c2::\(\frac{a}{b^{2} }\)}} and {{c1::again}}.",
    "x {{c1::outer {{c2::inner}} end}} y",
    r"\(2^{{c1::2::exp}}\) and \[ {{c2::y}} \] {{c3::\(z\)::h}}",
    '{{c1::é&lt;b "q" \'s → 😀 &amp;}} stray }} here',
]


def test_reveal_renders_deletions_exactly_as_anki_does(collection):
    model = collection.models.by_name("Cloze")  # Anki's stock note type: {{cloze:Text}}
    for text in ANKI_CASES:
        note = collection.new_note(model)
        note["Text"] = text
        collection.add_note(note, collection.decks.id("Default"))
        cards = sorted(note.cards(), key=lambda c: c.ord)
        assert len(cards) == len(set(re.findall(r"\{\{c(\d+)::", text)))
        for card in cards:
            shown = card.render_output()
            assert shown.question_text == reveal(text, card.ord + 1, question=True), text
            assert shown.answer_text == reveal(text, card.ord + 1, question=False) + "<br>\n"


# -- the real import ----------------------------------------------------------------------------


@pytest.fixture
def cloze_cards(cards: Path) -> Path:
    add_cloze_cards(cards)
    return cards


def test_cloze_notes_import_with_one_card_per_deletion(cloze_cards, tmp_path, collection):
    result = build(cloze_cards, tmp_path / "out", now=T0)
    log = import_package(collection, result.output)
    assert len(log.new) == 12 and not log.conflicting
    notes = notes_by_id_field(collection)
    assert {card_id: len(notes[card_id].cards()) for card_id in CLOZE_CARDS} == {
        card_id: len(numbers) for card_id, numbers in CLOZE_CARDS.items()
    }
    assert {notes[card_id].mid for card_id in CLOZE_CARDS} == {CLOZE_NOTE_TYPE_ID}
    assert notes["DL0001"].mid == 1843956107
    (ours,) = [m for m in collection.models.all() if m["id"] == CLOZE_NOTE_TYPE_ID]
    assert ours["type"] == 1 and [f["name"] for f in ours["flds"]] == [
        "ID",
        "Title",
        "Text",
        "Extra",
    ]

    first, second = sorted(notes["DL0005"].cards(), key=lambda c: c.ord)
    asked = first.render_output()
    assert 'data-ordinal="1">[a formula]</span>' in asked.question_text
    assert "e^{z_i}" not in re.sub(r'data-cloze="[^"]*"', "", asked.question_text)
    formula = f"\\({SOFTMAX_TEX}\\)"
    assert f'<span class="cloze" data-ordinal="1">{formula}</span>' in asked.answer_text
    other = second.render_output()
    assert f'<span class="cloze-inactive" data-ordinal="1">{formula}</span>' in other.question_text
    assert '<span class="cloze" data-cloze="one" data-ordinal="2">[...]</span>' in (
        other.question_text
    )
    assert "The denominator normalises" in other.answer_text  # the Extra field

    chain = sorted(notes["ML0032"].cards(), key=lambda c: c.ord)
    assert r"\[\frac{dy}{dx} = [...]\]" in chain[0].render_output().question_text
    assert (
        r"\[\frac{dy}{dx} = \frac{dy}{du}\frac{du}{dx} \]" in chain[0].render_output().answer_text
    )
    assert (
        '<span class="cloze-inactive" data-ordinal="2">multiplies the <span class="cloze" '
        'data-cloze="local" data-ordinal="3">[...]</span> derivatives</span>'
    ) in chain[2].render_output().question_text
    for card in [first, second, *chain]:  # no deletion ended early: no markup left over
        shown = card.render_output()
        for side in (shown.question_text, shown.answer_text):
            assert "{{c" not in side and "}}" not in side and "::" not in side
        assert "<hr" not in chain[0].render_output().answer_text  # no Extra, no rule


def test_the_preview_shows_every_card_as_anki_renders_it(cloze_cards, tmp_path, collection):
    import_package(collection, build(cloze_cards, tmp_path / "out", now=T0).output)
    config, cards = render_cards(cloze_cards)
    types = {
        "basic": basic_note_type(config.note_type_id, config.name),
        "cloze": cloze_note_type(CLOZE_NOTE_TYPE_ID, config.name),
    }
    notes = notes_by_id_field(collection)
    compared = 0
    for card in cards:
        faces = card_faces(card, types[card.kind])
        anki_cards = sorted(notes[card.id].cards(), key=lambda c: c.ord)
        assert [face.ordinal for face in faces] == [c.ord for c in anki_cards]
        for face, anki_card in zip(faces, anki_cards, strict=True):
            shown = anki_card.render_output()
            assert (face.front, face.back) == (shown.question_text, shown.answer_text)
            compared += 1
    assert compared == 15


# -- the lock and update safety -----------------------------------------------------------------


def test_the_lock_records_the_cloze_note_type_and_each_cards_deletions(cloze_cards, tmp_path):
    first = build(cloze_cards, tmp_path / "a", now=T0)
    text = (cloze_cards / "ankigen.lock").read_text()
    lines = text.splitlines()
    assert lines[3].startswith('  "cloze_note_type": {"hash": ')
    assert json.loads(text)["cards"]["ML0032"]["clozes"] == [1, 2, 3]
    assert "clozes" not in json.loads(text)["cards"]["DL0001"]
    lock = read_lock(cloze_cards / "ankigen.lock")
    assert lock.cloze_schema == cloze_note_type(1, "x").schema_hash()
    again = build(cloze_cards, tmp_path / "b", now=T0 + 999, use_cache=False)
    assert (cloze_cards / "ankigen.lock").read_text() == text
    assert again.output.read_bytes() == first.output.read_bytes()


def test_a_deck_with_cloze_cards_needs_a_cloze_note_type_id(cards, tmp_path, runner, monkeypatch):
    shutil.copytree(Path(__file__).parent / "fixtures" / "cloze", cards, dirs_exist_ok=True)
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(main, ["check", "--cards", "cards"])
    assert result.exit_code == 1
    assert re.fullmatch(
        r"cards/deck\.yaml:10: the deck has cloze cards \(DL0005, ML0032\) but no "
        r"cloze_note_type_id: add a line `cloze_note_type_id: (\d+)` \(a random id; keep it "
        r"forever, learners' Anki matches the cloze note type by it\)",
        next(line for line in result.stderr.splitlines() if line.startswith("cards/deck.yaml")),
    )
    suggested = re.search(r"cloze_note_type_id: (\d+)`", result.stderr).group(1)
    with (cards / "deck.yaml").open("a") as deck:
        deck.write(f"cloze_note_type_id: {suggested}\n")
    assert runner.invoke(main, ["check", "--cards", "cards"]).exit_code == 0


def test_a_built_card_cannot_change_its_type(cloze_cards, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    build(cloze_cards, tmp_path / "out", now=T0)
    path = card_file(cloze_cards, "DL0001")
    text = path.read_text().replace("tags:", "type: cloze\ntags:")
    text = text.replace("## Question\n\n", "## Text\n\n{{c1::Why}} ")
    path.write_text(text.replace("## Answer", "## Extra"))
    set_version(cloze_cards, "2.0.0")  # even a major version cannot convert learners' notes
    with pytest.raises(AnkigenError) as failure:
        check(cloze_cards, now=T0 + 60)
    assert [str(p) for p in failure.value.problems if p.is_error] == [
        "cards/DL/DL0001-residual-connection.md:1: card DL0001 was built as a basic card "
        "(cards/ankigen.lock:6): learners' Anki cannot turn its note into a cloze note and would "
        "stop updating it; keep `type: basic`, or give the cloze card a new id"
    ]


def test_a_nested_deletion_is_a_warning_for_older_anki(cloze_cards, tmp_path):
    """Nested deletions work on today's Anki, but garble the whole note before 2.1.56."""
    warnings = [str(p) for p in build(cloze_cards, tmp_path / "out", now=T0).warnings]
    nested = [w for w in warnings if "inside another deletion" in w]
    assert nested == [
        f"{card_file(cloze_cards, 'ML0032')}:13: warning: deletion c3 stands inside another deletion: "
        "Anki before 2.1.56 (and AnkiDroid 2.15 and older) shows the whole note garbled; if "
        "your learners may use those, write the deletions one after the other"
    ]
    path = card_file(cloze_cards, "ML0032")
    path.write_text(path.read_text().replace("{{c3::local}}", "local"))
    again = [str(p) for p in build(cloze_cards, tmp_path / "again", now=T0).warnings]
    assert not [w for w in again if "inside another deletion" in w]


def test_a_deletion_nested_in_a_formula_inside_a_deletion_is_seen(cloze_cards, tmp_path):
    path = card_file(cloze_cards, "ML0032")
    text = path.read_text().replace("{{c3::local}}", "local")
    path.write_text(text.replace("along the path.", "along {{c1::the path $x = {{c4::y}}$}}."))
    warnings = [str(p) for p in build(cloze_cards, tmp_path / "out", now=T0).warnings]
    nested = [w.split(": warning: ")[1] for w in warnings if "inside another" in w]
    assert [w.split(":")[0] for w in nested] == ["deletion c4 stands inside another deletion"]


def test_dropping_a_deletion_warns_that_learners_keep_an_empty_card(cloze_cards, tmp_path):
    build(cloze_cards, tmp_path / "out", now=T0)
    path = card_file(cloze_cards, "DL0005")
    path.write_text(path.read_text().replace("{{c2::one}}", "one"))
    set_version(cloze_cards, "1.1.0")
    warnings = [str(p) for p in check(cloze_cards, now=T0 + 60).warnings]
    assert [w for w in warnings if "deletion c2" in w] == [
        f"{path}:1: warning: card DL0005 no longer has deletion c2: learners keep that "
        "card, which Anki shows as empty until they use Tools → Empty Cards"
    ]


def test_changing_the_cloze_note_types_fields_needs_a_major_release(
    cloze_cards, tmp_path, monkeypatch
):
    release(cloze_cards, tmp_path / "out", "minor", now=T0)  # 1.1.0 ships the cloze type
    monkeypatch.setattr(notetype, "CLOZE_FIELDS", (*notetype.CLOZE_FIELDS, ("More", 42)))
    check(cloze_cards, now=T0 + 60, use_cache=False)  # a development build may
    with pytest.raises(AnkigenError) as failure:
        release(cloze_cards, tmp_path / "out", "minor", now=T0 + 60, allow_empty=True)
    assert str(failure.value.problems[0]).endswith(
        "the cloze note type's fields or templates changed, which needs a major release: run "
        "`ankigen release major` (releases 2.0.0)"
    )
    release(cloze_cards, tmp_path / "out", "major", now=T0 + 60, allow_empty=True)


def test_a_retired_cloze_card_stays_a_cloze_note_whose_cards_say_so(
    cloze_cards, tmp_path, collection
):
    import_package(collection, build(cloze_cards, tmp_path / "v1", now=T0).output)
    card_file(cloze_cards, "ML0032").unlink()
    set_version(cloze_cards, "2.0.0")
    log = import_package(collection, build(cloze_cards, tmp_path / "v2", now=T0 + 60).output)
    assert len(log.updated) == 1 and not log.conflicting
    note = notes_by_id_field(collection)["ML0032"]
    assert note.mid == CLOZE_NOTE_TYPE_ID and "ankigen::retired" in note.tags
    lock = json.loads((cloze_cards / "ankigen.lock").read_text())
    assert lock["retired"]["ML0032"]["clozes"] == [1, 2, 3]
    for card in note.cards():
        shown = card.render_output()
        assert "Retired in version 2.0.0" in shown.question_text
        assert "Retired in version 2.0.0" in shown.answer_text


def test_cloze_rendering_is_part_of_the_render_cache_key(tmp_path):
    package = tmp_path / "ankigen"
    shutil.copytree(rendercache.PACKAGE_DIR, package, ignore=shutil.ignore_patterns("__pycache__"))
    before = rendercache.package_fingerprint(package)
    cloze_module = package / "render" / "cloze.py"
    cloze_module.write_text(cloze_module.read_text() + "\n# changed\n")
    assert rendercache.package_fingerprint(package) != before


def test_changing_the_cloze_note_type_id_is_an_error_at_any_version(cloze_cards, tmp_path):
    build(cloze_cards, tmp_path / "out", now=T0)
    assert f'"id": {CLOZE_NOTE_TYPE_ID}' in (cloze_cards / "ankigen.lock").read_text()
    deck = cloze_cards / "deck.yaml"
    deck.write_text(deck.read_text().replace(str(CLOZE_NOTE_TYPE_ID), "1999999999"))
    set_version(cloze_cards, "2.0.0")
    with pytest.raises(AnkigenError) as failure:
        check(cloze_cards, now=T0 + 60)
    (problem,) = [p for p in failure.value.problems if p.is_error]
    assert problem.line == deck.read_text().splitlines().index("cloze_note_type_id: 1999999999") + 1
    assert problem.message.startswith(
        f"cloze_note_type_id is 1999999999, but the deck was built with {CLOZE_NOTE_TYPE_ID}"
    )
