"""Helpers around the real Anki engine (the ``anki`` package): import, study, inspect."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from anki.collection import Collection, ImportAnkiPackageRequest
from anki.scheduler.v3 import CardAnswer


def import_package(col: Collection, apkg: Path) -> Any:
    """Import ``apkg`` with the desktop's default options; return the import log."""
    options = col._backend.get_import_anki_package_presets()
    response = col.import_anki_package(
        ImportAnkiPackageRequest(package_path=str(apkg), options=options)
    )
    col.models._clear_cache()  # else an old note-type schema can be shown
    return response.log


def study_all(col: Collection, deck_name: str, rating: Any = CardAnswer.GOOD) -> int:
    """Answer every queued card of ``deck_name`` once; return how many were answered."""
    col.decks.select(col.decks.id_for_name(deck_name))
    answered = 0
    while answered < 10_000:  # bounded: every card graduates after a few answers
        queued = col.sched.get_queued_cards(fetch_limit=1).cards
        if not queued:
            return answered
        top = queued[0]
        card = col.get_card(top.card.id)
        card.start_timer()
        col.sched.answer_card(col.sched.build_answer(card=card, states=top.states, rating=rating))
        answered += 1
    raise AssertionError("studying never ended")


def scheduling(col: Collection) -> dict[int, tuple[Any, ...]]:
    """Every card's scheduling state, by card id."""
    rows = col.db.all("select id, nid, did, type, queue, due, ivl, factor, reps, lapses from cards")
    return {row[0]: tuple(row[1:]) for row in rows}


def review_log(col: Collection) -> list[tuple[Any, ...]]:
    """The whole review log, oldest first."""
    return col.db.all("select id, cid, ease, ivl, lastIvl, type from revlog order by id")


def notes_by_id_field(col: Collection) -> dict[str, Any]:
    """Every note of the collection, keyed by its ``ID`` field."""
    return {col.get_note(nid)["ID"]: col.get_note(nid) for nid in col.find_notes("")}
