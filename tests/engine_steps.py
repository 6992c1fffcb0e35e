"""Run by another Anki engine's Python (a second venv): a learner's steps on one collection.

    python engine_steps.py COLLECTION < steps.json
    python engine_steps.py COLLECTION --serve      # one JSON step a line, one answer a line

``steps`` is a JSON list; each step is ``{"import": APKG}``, ``{"study": DECK}``,
``{"edit": [ID, FIELD, TEXT]}`` (the learner's own edit of the note whose first field is
ID), or ``{"fields": ID}``. The last line printed is a JSON list with each step's answer:
the import log's counts, the number of cards answered, nothing, or the note's fields. It
uses only the engine's own API, as ``tests/ankihelpers.py`` does for the current engine.
"""

from __future__ import annotations

import json
import sys
import time

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


def answer(col: Collection, step: dict) -> object:
    """What one step does, and its answer."""
    if "import" in step:
        options = col._backend.get_import_anki_package_presets()
        request = ImportAnkiPackageRequest(package_path=step["import"], options=options)
        log = col.import_anki_package(request).log
        col.models._clear_cache()
        if step.get("ids"):  # each kind's first fields, and the engine's clock after it
            kinds = ("new", "updated", "duplicate", "conflicting", "first_field_match")
            found = {kind: sorted(n.fields[0] for n in getattr(log, kind)) for kind in kinds}
            return {**found, "time": int(time.time())}
        return {
            "new": len(log.new),
            "updated": len(log.updated),
            "duplicate": len(log.duplicate),
            "conflicting": len(log.conflicting),
        }
    if "study" in step:
        return study(col, step["study"])
    if "edit" in step:
        card_id, field, text = step["edit"]
        note = note_of(col, card_id)
        note.fields[field] = text
        col.update_note(note)
        return int(time.time())
    if "fields" in step:
        return list(note_of(col, step["fields"]).fields)
    if "reviews" in step:
        return col.db.scalar("select count() from revlog")
    if "notes" in step:  # every note: its fields and tags, by its first field
        return {
            note.fields[0]: [list(note.fields), sorted(note.tags)]
            for note in (col.get_note(n) for n in col.find_notes(""))
        }
    if "schedule" in step:  # every card's scheduling, by card id
        rows = col.db.all("select id, type, queue, due, ivl, factor, reps, lapses from cards")
        return {str(row[0]): row[1:] for row in rows}
    if "note_types" in step:
        return sorted(model["name"] for model in col.models.all())
    if "wait_until" in step:  # the engine's clock is the wall clock: let it reach a time
        while time.time() < step["wait_until"]:
            time.sleep(0.02)
        return int(time.time())
    raise ValueError(f"unknown step {step!r}")


def main() -> None:
    col = Collection(sys.argv[1])
    try:
        if "--serve" in sys.argv[2:]:
            for line in sys.stdin:
                print(json.dumps(answer(col, json.loads(line))), flush=True)
            return
        answers = [answer(col, step) for step in json.load(sys.stdin)]
    finally:
        col.close()
    print(json.dumps(answers))


if __name__ == "__main__":
    main()
