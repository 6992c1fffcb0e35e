"""A deck made in the real Anki engine, as an author who never used ankigen made it: the
stock note types (Basic, Basic (and reversed card), Cloze), a type of their own with an
extra field, formulas, an image, an audio file, tags and a subdeck; exported with Anki's
own exporter. And a learner who imported it and studied some of it."""

from __future__ import annotations

import shutil
from pathlib import Path

from anki.collection import Collection, DeckIdLimit, ExportAnkiPackageOptions
from anki.decks import DeckId

from tests.ankihelpers import import_package, study_all
from tests.test_audio import wav

DECK = "Physics Basics"
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99"
    b"=\x1d\x00\x00\x00\x00IEND\xaeB`\x82"
)


def _custom_type(col: Collection) -> dict:
    """A note type of the author's own: Term, Definition and an extra field, Example."""
    models = col.models
    model = models.new("Vocabulary")
    for name in ("Term", "Definition", "Example"):
        models.add_field(model, models.new_field(name))
    template = models.new_template("Recall")
    template["qfmt"] = "<div class=term>{{Term}}</div>"
    template["afmt"] = (
        "{{FrontSide}}<hr id=answer>{{Definition}}{{#Example}}<br><i>{{Example}}</i>{{/Example}}"
    )
    models.add_template(model, template)
    model["css"] = ".card { font-family: serif; }\n.term { font-weight: bold; }\n"
    models.add(model)
    return models.by_name("Vocabulary")


def make_author_collection(folder: Path) -> Collection:
    """The author's collection, in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    col = Collection(str(folder / "author.anki2"))
    top = col.decks.id(DECK)
    sub = col.decks.id(f"{DECK}::Waves")
    (Path(col.media.dir()) / "prism.png").write_bytes(PNG)
    (Path(col.media.dir()) / "tone.wav").write_bytes(wav(440))
    basic = col.models.by_name("Basic")
    reversed_ = col.models.by_name("Basic (and reversed card)")
    cloze = col.models.by_name("Cloze")
    vocab = _custom_type(col)

    def add(model: dict, deck: int, fields: list[str], tags: list[str]) -> None:
        note = col.new_note(model)
        for index, value in enumerate(fields):
            note.fields[index] = value
        note.tags = tags
        col.add_note(note, DeckId(deck))

    add(basic, top, ["What is Newton's second law?", r"\(F = ma\)"], ["mechanics"])
    add(basic, top, ["Energy of a photon", r"\[E = h\nu\]"], ["quantum", "light"])
    add(basic, top, ["What splits white light?", 'A prism: <img src="prism.png">'], ["light"])
    add(basic, sub, ["What does this tone sound like?", "[sound:tone.wav] An A at 440 Hz"], [])
    add(basic, top, ["Units of <b>force</b>", "<ul><li>newton</li><li>kg·m/s²</li></ul>"], [])
    add(reversed_, top, ["speed of light", r"\(c \approx 3 \times 10^8\) m/s"], ["light"])
    add(cloze, top, [r"The {{c1::wavelength}} is \(\lambda = v / f\)", "waves"], ["waves"])
    add(cloze, sub, ["{{c1::Sound}} needs a {{c2::medium}}", ""], [])
    add(vocab, top, ["inertia", "resistance to change of motion", "a ball keeps rolling"], [])
    add(basic, top, ["Odd field", '<span style="color: red" onclick="x()">hot</span>'], [])
    return col


def export(col: Collection, target: Path, *, legacy: bool = False) -> Path:
    """The whole deck as Anki's exporter writes it (no scheduling, with media)."""
    options = ExportAnkiPackageOptions(
        with_scheduling=False, with_deck_configs=False, with_media=True, legacy=legacy
    )
    deck_id = col.decks.id_for_name(DECK)
    col.export_anki_package(out_path=str(target), options=options, limit=DeckIdLimit(deck_id))
    return target


def learner(folder: Path, package: Path, studied: int = 4) -> Collection:
    """A learner who imported ``package`` and studied ``studied`` cards."""
    col = Collection(str(folder / "learner.anki2"))
    import_package(col, package)
    col.decks.select(col.decks.id_for_name(DECK))
    done = 0
    while done < studied:
        queued = col.sched.get_queued_cards(fetch_limit=1).cards
        if not queued:
            break
        top = queued[0]
        card = col.get_card(top.card.id)
        card.start_timer()
        from anki.scheduler.v3 import CardAnswer

        col.sched.answer_card(
            col.sched.build_answer(card=card, states=top.states, rating=CardAnswer.GOOD)
        )
        done += 1
    return col


__all__ = ["DECK", "export", "learner", "make_author_collection", "shutil", "study_all"]
