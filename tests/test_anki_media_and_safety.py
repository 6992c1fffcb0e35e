"""Images and unsafe HTML, through the real Anki engine: what a learner's collection gets."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from ankigen.commands.build import build
from ankigen.render.media import media_name
from tests.ankihelpers import import_package, notes_by_id_field
from tests.test_badinput import CORPUS

T0 = 1_800_000_000


def image_deck(tmp_path: Path) -> Path:
    cards = tmp_path / "cards"
    shutil.copytree(CORPUS / "image-accepted", cards, ignore=shutil.ignore_patterns("*.txt"))
    return cards


def test_an_image_lands_in_the_media_folder_and_the_card_shows_it(tmp_path, collection):
    cards = image_deck(tmp_path)
    png = (cards / "images" / "dot.png").read_bytes()
    name = media_name(png, ".png")
    result = build(cards, tmp_path / "out", now=T0)

    import_package(collection, result.output)

    media_dir = Path(collection.media.dir())
    assert (media_dir / name).read_bytes() == png
    assert [p.name for p in media_dir.iterdir() if p.is_file()] == [name]  # used 3 times, once
    notes = notes_by_id_field(collection)
    for card_id in ("T0001", "T0002"):
        shown = notes[card_id].cards()[0].render_output()
        assert re.search(rf'<img src="{re.escape(name)}" alt="[^"]*dot"', shown.answer_text)
        assert "images/dot.png" not in shown.answer_text
    assert collection.media.check().missing == []  # every referenced file is there


def test_scripts_and_event_handlers_never_reach_anki(tmp_path, collection):
    cards = image_deck(tmp_path)
    card = cards / "T0001-a.md"
    card.write_text(
        card.read_text(encoding="utf-8")
        + "\n<script>document.title = 'pwned'</script>\n\n"
        + 'Hover <img src="x.png" onerror="alert(1)"> or <b onclick="alert(2)">here</b>.\n\n'
        + '<a href="javascript:alert(3)">a link</a> and <iframe src="https://example.com/">'
        + "</iframe>\n",
        encoding="utf-8",
    )
    result = build(cards, tmp_path / "out", now=T0)
    assert len(result.warnings) == 6

    import_package(collection, result.output)

    note = notes_by_id_field(collection)["T0001"]
    shown = note.cards()[0].render_output()
    for page in (note["Answer"], shown.answer_text):
        for unsafe in ("<script", "pwned", "onerror", "onclick", "javascript:", "<iframe", "x.png"):
            assert unsafe not in page
        assert "<b>here</b>" in page and "a link" in page
