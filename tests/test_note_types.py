"""Declared note types, audio, a deck stylesheet with a font, code and nested decks, as a
learner's real Anki sees them: imported with the desktop's default options, then updated
by a second release in place; and the schema guard on declared types, against real Anki."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from anki.collection import Collection

from ankigen.cli import main
from ankigen.commands.release import release
from ankigen.errors import AnkigenError
from tests.ankihelpers import import_package, review_log, scheduling, study_all
from tests.modeldeck import FONT, write_model_deck
from tests.test_audio import package_media, wav

T1, T2 = 1_900_000_000, 1_900_500_000
DECK = "Model Deck"


@pytest.fixture
def model_cards(tmp_path: Path) -> Path:
    return write_model_deck(tmp_path)


def notes_by_id(col: Collection) -> dict[str, object]:
    return {col.get_note(nid)["ID"]: col.get_note(nid) for nid in col.find_notes("")}


def type_names(col: Collection) -> list[str]:
    return sorted(m["name"] for m in col.models.all() if m["name"].startswith(DECK))


def add_clozehint_type(cards: Path) -> None:
    """v2: a new note type (cloze with a hint) and a card of it; an edit of a reversed card."""
    yaml = cards / "deck.yaml"
    yaml.write_text(
        yaml.read_text(encoding="utf-8")
        + "  clozehint:\n    id: 1500000005\n    base: cloze\n    fields: [Hint]\n",
        encoding="utf-8",
    )
    (cards / "ML" / "ML0003-split.md").write_text(
        "---\nid: ML0003\ntitle: Splits\ntype: clozehint\n---\n\n## Text\n\n"
        "Data is split into {{c1::training}} and {{c2::test}} sets.\n\n"
        "## Hint\n\nTwo words.\n",
        encoding="utf-8",
    )
    conv = cards / "DL" / "CNN" / "DL0001-conv.md"
    conv.write_text(
        conv.read_text(encoding="utf-8").replace("A convolution.", "A 2-D convolution."),
        encoding="utf-8",
    )


def test_every_part_of_the_deck_model_reaches_anki_and_updates_in_place(
    model_cards, tmp_path, collection
):
    first = release(model_cards, tmp_path / "out", None, now=T1)
    log = import_package(collection, first.build.output)
    assert (len(log.new), len(log.conflicting)) == (4, 0)
    notes = notes_by_id(collection)

    # reversed: two cards per note, the reverse one asking the Answer, the title on its back
    conv = notes["DL0001"]
    cards = sorted(conv.cards(), key=lambda card: card.ord)
    assert [card.ord for card in cards] == [0, 1]
    assert "What slides a small kernel" in cards[0].question()
    assert "A convolution." in cards[1].question() and "What slides" not in cards[1].question()
    assert "Convolution" not in cards[1].question().split("</style>")[1]
    assert "What slides a small kernel" in cards[1].answer()

    # the Hint: Anki's tap-to-reveal hint where filled, nothing where empty
    assert "class=hint" in cards[0].question() and "It starts with" in cards[0].question()
    relu = sorted(notes["DL0002"].cards(), key=lambda card: card.ord)
    assert "class=hint" not in relu[0].question()
    assert "Nair and Hinton" in relu[0].answer()  # another extra field, on the back

    # type-in: Anki's type-the-answer box on the front, no title (show_title: false)
    mean = notes["ML0001"].cards()[0]
    assert "[[type:Answer]]" in mean.question() and "Mean" not in mean.question()

    # audio: in the package's media under its content name, and in the field
    media = package_media(first.build.output)
    (sound,) = [name for name in media if name.endswith(".wav")]
    assert media[sound] == wav(400) and f"[sound:{sound}]" in notes["DL0002"]["Answer"]
    assert [tag.filename for tag in relu[1].question_av_tags()] == [sound]

    # the deck stylesheet with its font, bundled with a leading underscore (Check Media keeps it)
    (font,) = [name for name in media if name.endswith(".woff2")]
    assert font.startswith("_ankigen-") and media[font] == FONT
    assert (Path(collection.media.dir()) / font).read_bytes() == FONT
    assert f'url("{font}")' in conv.note_type()["css"]

    # the code block: highlighted at build time, token classes in the field
    assert re.search(r'<span class="k">def</span>', notes["ML0002"]["Question"])

    # nested decks: by folder (subdecks: folders) and by `deck:`
    def deck_of(card_id: str) -> str:
        return collection.decks.name(notes_by_id(collection)[card_id].cards()[0].did)

    assert deck_of("DL0001") == f"{DECK}::DL::CNN"
    assert deck_of("ML0001") == f"{DECK}::Basics::Statistics"

    # a learner studies everything
    assert study_all(collection, DECK) >= 6
    before_log, before_scheduling = review_log(collection), scheduling(collection)

    # v2: a card of a new note type, and an edit of a reversed card
    add_clozehint_type(model_cards)
    second = release(model_cards, tmp_path / "out", "minor", now=T2)
    log = import_package(collection, second.build.output)
    assert (len(log.new), len(log.updated), len(log.conflicting)) == (1, 1, 0)
    assert [n.fields[0] for n in log.updated] == ["DL0001"]
    notes = notes_by_id(collection)
    assert "A 2-D convolution." in notes["DL0001"]["Answer"]
    assert len(notes) == 5
    assert type_names(collection) == [
        f"{DECK} (ankigen)",
        f"{DECK} clozehint (ankigen)",
        f"{DECK} reversed (ankigen)",
        f"{DECK} typein (ankigen)",
    ]  # no `+` copy
    split = sorted(notes["ML0003"].cards(), key=lambda card: card.ord)
    assert [card.ord for card in split] == [0, 1] and "class=hint" in split[0].question()
    assert review_log(collection) == before_log
    after = scheduling(collection)
    assert {cid: after[cid] for cid in before_scheduling} == before_scheduling


def test_a_declared_types_schema_change_is_guarded_and_anki_does_what_check_says(
    model_cards, tmp_path, collection, runner, monkeypatch
):
    first = release(model_cards, tmp_path / "out", None, now=T1)
    import_package(collection, first.build.output)
    yaml = model_cards / "deck.yaml"
    yaml.write_text(
        yaml.read_text(encoding="utf-8").replace("[Hint, Source]", "[Hint, Source, Note]"),
        encoding="utf-8",
    )
    conv = model_cards / "DL" / "CNN" / "DL0001-conv.md"
    conv.write_text(conv.read_text(encoding="utf-8").replace("A convolution.", "Conv."))

    monkeypatch.chdir(model_cards.parent)
    checked = runner.invoke(main, ["check"])
    assert checked.exit_code == 0, checked.output
    (warning,) = [line for line in checked.stderr.splitlines() if "note type reversed" in line]
    assert warning.startswith("cards/deck.yaml:12: warning: note type reversed: its fields")
    plus = f"'{DECK} reversed (ankigen)+'"
    assert plus in warning and "stop updating every reversed note" in warning

    with pytest.raises(AnkigenError) as refused:
        release(model_cards, tmp_path / "out", "minor", now=T2)
    (problem,) = refused.value.problems
    assert "the reversed note type's fields or templates changed" in problem.message
    assert "`ankigen release major`" in problem.message

    second = release(model_cards, tmp_path / "out", "major", now=T2)
    log = import_package(collection, second.build.output)
    # what check said: a `+` copy, and the reversed notes not updated (conflicting)
    assert f"{DECK} reversed (ankigen)+" in type_names(collection)
    assert sorted(n.fields[0] for n in log.conflicting) == ["DL0001", "DL0002"]
    assert "Conv." not in notes_by_id(collection)["DL0001"]["Answer"]


BAD_CARD = (
    "---\nid: DL0009\ntitle: Bad\ntype: {type}\n---\n\n## Question\n\nQ\n\n## {section}\n\nA\n"
)


@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        (
            lambda cards: (cards / "DL" / "DL0009-bad.md").write_text(
                BAD_CARD.format(type="reversd", section="Answer")
            ),
            "cards/DL/DL0009-bad.md:4: unknown `type: reversd` (known: basic, cloze, "
            "reversed, typein)",
        ),
        (
            lambda cards: (cards / "DL" / "DL0009-bad.md").write_text(
                BAD_CARD.format(type="typein", section="Hint")
            ),
            "cards/DL/DL0009-bad.md:11: unknown section `## Hint` (a typein card has "
            "`## Question` and `## Answer`",
        ),
        (
            lambda cards: _edit(cards / "deck.yaml", "[Hint, Source]", "[Hint, Source, hint]"),
            "cards/deck.yaml:16: note type reversed: field 'hint' is named twice",
        ),
        (
            lambda cards: _edit(cards / "deck.yaml", "[Hint, Source]", "[Hint, Tags]"),
            "cards/deck.yaml:16: note type reversed: 'Tags' is a name Anki or ankigen reserves",
        ),
        (
            lambda cards: (cards / "DL" / "audio" / "relu.wav").unlink(),
            "cards/DL/DL0002-relu.md:13: audio file audio/relu.wav not found",
        ),
        (
            lambda cards: _edit(
                cards / "deck.yaml",
                "    base: basic\n    cards: [typein]",
                "    base: basic\n    cards: [typein, sideways]",
            ),
            "cards/deck.yaml:20: note type typein: `cards` lists forward, reverse, typein",
        ),
        (
            lambda cards: _edit(
                cards / "deck.yaml", "  typein:\n    id: 1500000004\n", "  typein:\n"
            ),
            "cards/deck.yaml:17: note type typein needs a permanent `id:`",
        ),
    ],
    ids=[
        "unknown-type",
        "section-unknown-for-type",
        "field-named-twice",
        "field-reserved",
        "audio-missing",
        "unknown-card-design",
        "type-id-missing",
    ],
)
def test_bad_declarations_are_errors_at_their_line_and_nothing_is_written(
    model_cards, runner, monkeypatch, setup, expected
):
    setup(model_cards)
    monkeypatch.chdir(model_cards.parent)
    result = runner.invoke(main, ["build"])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert any(line.startswith(expected) for line in result.stderr.splitlines()), result.stderr
    assert not (model_cards.parent / "output").exists()
    assert not (model_cards / "ankigen.lock").exists()


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_templates_of_the_authors_own_are_checked_at_their_line_and_reach_anki(
    model_cards, tmp_path, collection, runner, monkeypatch
):
    templates = model_cards / "templates"
    templates.mkdir()
    (templates / "front.html").write_text(
        '<div class="word">{{Question}}</div>\n{{tts en_US:Question}}\n', encoding="utf-8"
    )
    (templates / "back.html").write_text(
        "{{FrontSide}}\n<hr id=answer>\n{{Answer}}\n{{#Source}}{{Source}}{{/Source}}\n",
        encoding="utf-8",
    )
    _edit(
        model_cards / "deck.yaml",
        "    cards: [forward, reverse]\n",
        "    templates:\n      Recall: {front: templates/front.html, back: templates/back.html}\n",
    )
    built = release(model_cards, tmp_path / "out", None, now=T1)
    import_package(collection, built.build.output)
    (card,) = notes_by_id(collection)["DL0001"].cards()
    assert '<div class="word"><p>What slides' in card.question()
    assert [
        t["name"] for t in collection.models.by_name(f"{DECK} reversed (ankigen)")["tmpls"]
    ] == ["Recall"]

    (templates / "back.html").write_text(
        "{{FrontSide}}\n<hr id=answer>\n{{Answer}}\n\n{{Sources}}\n", encoding="utf-8"
    )
    monkeypatch.chdir(model_cards.parent)
    result = runner.invoke(main, ["check"])
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0].startswith(
        "cards/templates/back.html:5: `{{Sources}}` names no field of this note type"
    )


def test_a_released_card_moved_to_another_deck_is_a_warning_naming_both(
    model_cards, tmp_path, runner, monkeypatch
):
    release(model_cards, tmp_path / "out", None, now=T1)
    relu = model_cards / "DL" / "DL0002-relu.md"
    moved = model_cards / "DL" / "CNN" / relu.name
    moved.write_text(relu.read_text().replace("audio/relu.wav", "../audio/relu.wav"))
    relu.unlink()
    monkeypatch.chdir(model_cards.parent)
    result = runner.invoke(main, ["check"])
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines()[0] == (
        "cards/DL/CNN/DL0002-relu.md:1: warning: card DL0002 was released in deck "
        "'Model Deck::DL' and now goes to 'Model Deck::DL::CNN': Anki never moves a "
        "learner's existing card on import, so learners who have it keep it where it was; "
        "only new learners find it in the new deck (docs/cards.md: Nested decks)"
    )


def test_a_bad_deck_name_is_an_error_at_its_line(model_cards, runner, monkeypatch):
    mean = model_cards / "ML" / "ML0001-mean.md"
    _edit(mean, "deck: Basics::Statistics", "deck: Basics::::Statistics")
    monkeypatch.chdir(model_cards.parent)
    result = runner.invoke(main, ["check"])
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0].startswith(
        "cards/ML/ML0001-mean.md:5: `deck: Basics::::Statistics`: a level is empty"
    )


def test_a_broken_deck_yaml_is_reported_alone_not_as_unknown_types_in_every_card(
    model_cards, runner, monkeypatch
):
    _edit(model_cards / "deck.yaml", "deck_id: 1500000001\n", "")
    monkeypatch.chdir(model_cards.parent)
    result = runner.invoke(main, ["check"])
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 2, lines
    assert re.fullmatch(
        r"cards/deck\.yaml:1: missing required key 'deck_id': add `deck_id: \d{10}` .*", lines[0]
    )
    assert lines[1] == "ankigen: 1 problem found; nothing was written."


def test_a_retired_card_of_a_declared_type_stays_a_note_of_that_type(
    model_cards, tmp_path, collection
):
    first = release(model_cards, tmp_path / "out", None, now=T1)
    import_package(collection, first.build.output)
    (model_cards / "DL" / "CNN" / "DL0001-conv.md").unlink()
    second = release(model_cards, tmp_path / "out", "major", now=T2)
    log = import_package(collection, second.build.output)
    assert ([n.fields[0] for n in log.updated], len(log.conflicting)) == (["DL0001"], 0)
    tomb = notes_by_id(collection)["DL0001"]
    assert tomb.note_type()["name"] == f"{DECK} reversed (ankigen)"
    assert "Retired in version 2.0.0" in tomb["Question"] and tomb["Hint"] == ""
    assert len(tomb.cards()) == 2
    assert "+" not in " ".join(type_names(collection))


def test_a_retired_card_restored_as_another_type_is_an_error(
    model_cards, tmp_path, runner, monkeypatch
):
    release(model_cards, tmp_path / "out", None, now=T1)
    relu = model_cards / "DL" / "DL0002-relu.md"
    text = relu.read_text(encoding="utf-8")
    relu.unlink()
    release(model_cards, tmp_path / "out", "major", now=T2)
    basic = text.replace("type: reversed\n", "").split("## Source")[0]
    relu.write_text(basic, encoding="utf-8")
    monkeypatch.chdir(model_cards.parent)
    result = runner.invoke(main, ["check"])
    assert result.exit_code == 1
    assert "card DL0002 was built as a reversed card" in result.stderr.splitlines()[0]


OPTIONAL_REVERSE = """\
  optional:
    id: 1500000006
    base: basic
    fields: [AddReverse]
    templates:
      Forward: {front: tpl/fwd.html, back: tpl/back.html}
      Reverse: {front: tpl/rev.html, back: tpl/back.html}
"""


def _optional_reverse(cards: Path, rev_front: str) -> None:
    (cards / "tpl").mkdir()
    (cards / "tpl" / "fwd.html").write_text("{{Question}}\n", encoding="utf-8")
    (cards / "tpl" / "back.html").write_text("{{FrontSide}}<hr id=answer>{{Answer}}\n")
    (cards / "tpl" / "rev.html").write_text(rev_front, encoding="utf-8")
    yaml = cards / "deck.yaml"
    yaml.write_text(yaml.read_text(encoding="utf-8") + OPTIONAL_REVERSE, encoding="utf-8")
    for card_id, add in (("ML0005", ""), ("ML0006", "\n## AddReverse\n\nyes\n")):
        (cards / "ML" / f"{card_id}-x.md").write_text(
            f"---\nid: {card_id}\ntitle: T{card_id}\ntype: optional\n---\n\n## Question\n\n"
            f"Q {card_id}\n\n## Answer\n\nA {card_id}\n{add}",
            encoding="utf-8",
        )


def test_a_card_whose_template_front_shows_nothing_is_not_made(model_cards, tmp_path, collection):
    _optional_reverse(model_cards, "{{#AddReverse}}{{Answer}}{{/AddReverse}}\n")
    built = release(model_cards, tmp_path / "out", None, now=T1)
    import_package(collection, built.build.output)
    notes = notes_by_id(collection)
    assert [c.ord for c in notes["ML0005"].cards()] == [0]
    assert sorted(c.ord for c in notes["ML0006"].cards()) == [0, 1]
    assert not collection.get_empty_cards().notes  # Anki finds no blank card


@pytest.mark.parametrize(
    ("front", "expected"),
    [
        (
            "{{Answer}}<script>fetch('https://evil.example/')</script>\n",
            "cards/tpl/rev.html:1: <script> could run a script",
        ),
        (
            '{{Answer}}\n<img src="https://evil.example/p.png">\n',
            "cards/tpl/rev.html:2: src='https://evil.example/p.png' on <img> names an address",
        ),
        ('<b onclick="x()">{{Answer}}</b>\n', "cards/tpl/rev.html:1: onclick= on <b> would run"),
        (
            "{{#AddReverse}}\n{{Answer}}\n",
            "cards/tpl/rev.html:1: `{{#AddReverse}}` is never closed",
        ),
        (
            "{{Answer}}\n{{/AddReverse}}\n",
            "cards/tpl/rev.html:2: `{{/AddReverse}}` closes a section",
        ),
        ("<div>What is it?</div>\n", "cards/tpl/rev.html:1: the front names no field"),
        (
            "{{Answer}}<scr{{AddReverse}}ipt>x</scr{{AddReverse}}ipt>\n",
            "cards/tpl/rev.html:1: a field inside a tag's name could make it any tag",
        ),
        (
            '<a href="{{AddReverse}}">{{Answer}}</a>\n',
            "cards/tpl/rev.html:1: a field in href= could load, link or run anything",
        ),
    ],
    ids=[
        "script",
        "remote-image",
        "handler",
        "unclosed",
        "stray-close",
        "no-field",
        "field-spells-a-tag",
        "field-as-address",
    ],
)
def test_an_authors_template_that_could_harm_or_break_is_an_error_at_its_line(
    model_cards, runner, monkeypatch, front, expected
):
    _optional_reverse(model_cards, front)
    monkeypatch.chdir(model_cards.parent)
    result = runner.invoke(main, ["build"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert any(line.startswith(expected) for line in result.stderr.splitlines()), result.stderr
    assert not (model_cards.parent / "output").exists()


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "    base: basic\n    cards: [forward, reverse]",
            "    base: [basic]\n    cards: [forward, reverse]",
            "cards/deck.yaml:14: note type reversed: `base` must be basic, cloze or none",
        ),
        (
            "css: theme/deck.css",
            "css: theme/nothing.css",
            "cards/deck.yaml:10: stylesheet 'theme/nothing.css' is not there",
        ),
    ],
    ids=["base-a-list", "stylesheet-missing"],
)
def test_bad_type_settings_are_messages_not_tracebacks(
    model_cards, runner, monkeypatch, old, new, expected
):
    _edit(model_cards / "deck.yaml", old, new)
    monkeypatch.chdir(model_cards.parent)
    result = runner.invoke(main, ["check"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.stderr.splitlines()[0].startswith(expected), result.stderr


def test_duplicate_or_empty_template_names_are_errors(model_cards, runner, monkeypatch):
    _optional_reverse(model_cards, "{{Answer}}\n")
    _edit(model_cards / "deck.yaml", "      Reverse: {front", "      forward: {front")
    monkeypatch.chdir(model_cards.parent)
    result = runner.invoke(main, ["check"])
    assert result.exit_code == 1
    assert "note type optional: template 'forward' is named twice" in result.stderr


def test_switching_subdecks_on_after_a_release_warns_for_every_moved_card(
    model_cards, tmp_path, runner, monkeypatch
):
    _edit(model_cards / "deck.yaml", "subdecks: folders\n", "")
    release(model_cards, tmp_path / "out", None, now=T1)
    _edit(model_cards / "deck.yaml", "css: theme", "subdecks: folders\ncss: theme")
    monkeypatch.chdir(model_cards.parent)
    result = runner.invoke(main, ["check"])
    moved = [line for line in result.stderr.splitlines() if "was released in deck" in line]
    assert len(moved) == 3  # ML0001 names its deck itself
    assert (
        "card DL0001 was released in deck 'Model Deck' and now goes to 'Model Deck::DL::CNN'"
        in moved[0]
    )


def test_a_folder_that_cannot_name_a_subdeck_is_an_error_at_the_card(
    model_cards, runner, monkeypatch
):
    folder = model_cards / "ML" / "A<b>"
    folder.mkdir()
    (model_cards / "ML" / "ML0002-code.md").rename(folder / "ML0002-code.md")
    monkeypatch.chdir(model_cards.parent)
    result = runner.invoke(main, ["check"])
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0].startswith(
        "cards/ML/A<b>/ML0002-code.md:1: its folder 'ML/A<b>' cannot name its subdeck"
    )


def test_list_and_stats_count_cards_per_note_type_and_per_deck(model_cards, runner, monkeypatch):
    monkeypatch.chdir(model_cards.parent)
    stats = json.loads(runner.invoke(main, ["stats", "--json"]).stdout)
    assert stats["types"] == {"basic": 1, "cloze": 0, "reversed": 2, "typein": 1}
    assert stats["anki_cards_by_type"] == {"basic": 1, "cloze": 0, "reversed": 4, "typein": 1}
    assert stats["anki_cards"] == 6
    assert stats["decks"] == {
        f"{DECK}::Basics::Statistics": 1,
        f"{DECK}::DL": 1,
        f"{DECK}::DL::CNN": 1,
        f"{DECK}::ML": 1,
    }
    text = runner.invoke(main, ["stats"]).stdout.splitlines()
    assert text[0] == f"{DECK} 1.0.0: 4 cards (1 basic, 0 cloze, 2 reversed, 1 typein), 6 in Anki."
    assert text[2].startswith(f"Decks: {DECK}::Basics::Statistics 1, ")
    listed = json.loads(runner.invoke(main, ["list", "--json"]).stdout)["cards"]
    assert [(c["id"], c["type"], c["anki_cards"], c["deck"]) for c in listed] == [
        ("DL0001", "reversed", 2, f"{DECK}::DL::CNN"),
        ("DL0002", "reversed", 2, f"{DECK}::DL"),
        ("ML0001", "typein", 1, f"{DECK}::Basics::Statistics"),
        ("ML0002", "basic", 1, f"{DECK}::ML"),
    ]
