"""Run by another Anki engine's Python (a second venv): a learner's steps on one collection.

    python engine_steps.py COLLECTION < steps.json

``steps`` is a JSON list; each step is ``{"import": APKG}``, ``{"study": DECK}``,
``{"edit": [ID, FIELD, TEXT]}`` (the learner's own edit of the note whose first field is
ID), or ``{"fields": ID}``. The last line printed is a JSON list with each step's answer:
the import log's counts, the number of cards answered, nothing, or the note's fields. It
uses only the engine's own API, as ``tests/ankihelpers.py`` does for the current engine.
"""

from __future__ import annotations

import json
import sys

from anki.collection import Collection, ImportAnkiPackageRequest
from anki.scheduler.v3 import CardAnswer


def note_of(col: Collection, card_id: str):
    (note_id,) = [n for n in col.find_notes("") if col.get_note(n).fields[0] == card_id]
    return col.get_note(note_id)


def study(col: Collection, deck: str) -> int:
    col.decks.select(col.decks.id_for_name(deck))
    answered = 0
    while answered < 1000:
        queued = col.sched.get_queued_cards(fetch_limit=1).cards
        if not queued:
            return answered
        card = col.get_card(queued[0].card.id)
        card.start_timer()
        states = queued[0].states
        col.sched.answer_card(
            col.sched.build_answer(card=card, states=states, rating=CardAnswer.GOOD)
        )
        answered += 1
    return answered


def main() -> None:
    col = Collection(sys.argv[1])
    answers = []
    try:
        for step in json.load(sys.stdin):
            if "import" in step:
                options = col._backend.get_import_anki_package_presets()
                request = ImportAnkiPackageRequest(package_path=step["import"], options=options)
                log = col.import_anki_package(request).log
                col.models._clear_cache()
                answers.append(
                    {
                        "new": len(log.new),
                        "updated": len(log.updated),
                        "duplicate": len(log.duplicate),
                        "conflicting": len(log.conflicting),
                    }
                )
            elif "study" in step:
                answers.append(study(col, step["study"]))
            elif "edit" in step:
                card_id, field, text = step["edit"]
                note = note_of(col, card_id)
                note.fields[field] = text
                col.update_note(note)
                answers.append(None)
            elif "fields" in step:
                answers.append(list(note_of(col, step["fields"]).fields))
            elif "reviews" in step:
                answers.append(col.db.scalar("select count() from revlog"))
    finally:
        col.close()
    print(json.dumps(answers))


if __name__ == "__main__":
    main()
