"""A learner's life across devices: desktop imports, syncs; the phone syncs, studies; updates.

Runs Anki's own sync server (the protocol AnkiMobile and AnkiDroid speak) on 127.0.0.1.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from anki.collection import Collection

from ankigen.build import build
from tests.ankihelpers import import_package, review_log, scheduling, study_all
from tests.syncserver import sync, sync_server

DECK_NAME = "ML and DL Interview Questions"
NEW_CARD = """---
id: DL0005
title: Batch Normalization
tags: [training]
---
## Question

What does batch normalization compute for each feature?

## Answer

$$\\hat{x} = \\frac{x - \\mu_B}{\\sqrt{\\sigma_B^2 + \\epsilon}}$$

then scales and shifts it: $y = \\gamma \\hat{x} + \\beta$.
"""


def new_collection(folder: Path) -> Collection:
    folder.mkdir()
    return Collection(str(folder / "collection.anki2"))


def device_view(col: Collection) -> dict[str, Any]:
    """What a learner sees of every note: fields, tags and each card's rendered sides."""
    view = {}
    for nid in col.find_notes(""):
        note = col.get_note(nid)
        sides = []
        for card in note.cards():
            out = card.render_output()
            sides.append((out.question_text, out.answer_text))
        view[note["ID"]] = (tuple(note.fields), tuple(sorted(note.tags)), note.mod, tuple(sides))
    return view


def release_v2(cards: Path) -> None:
    card = next(cards.rglob("ML0027-*.md"))
    card.write_text(card.read_text().replace("Its formula", "The formula"))
    (cards / "DL" / "DL0005-batch-normalization.md").write_text(NEW_CARD)
    deck = cards / "deck.yaml"
    deck.write_text(re.sub(r"(?m)^version: .*$", "version: 1.1.0", deck.read_text()))


def test_desktop_to_phone_and_back_across_an_update(cards, tmp_path):
    out = tmp_path / "out"
    v1 = build(cards, out, now=1_800_000_000).output
    desktop, phone = new_collection(tmp_path / "desktop"), new_collection(tmp_path / "phone")
    try:
        with sync_server(tmp_path / "server") as server:
            # 1. the desktop imports v1 and syncs up
            assert len(import_package(desktop, v1).new) == 10
            sync(desktop, server)
            # 2. a fresh phone syncs down and shows exactly what the desktop shows
            sync(phone, server)
            assert device_view(phone) == device_view(desktop)
            formulas = "".join(q + a for *_, sides in device_view(phone).values() for q, a in sides)
            assert formulas.count("\\(") >= 10 and formulas.count("\\[") >= 7
            # 3. the phone studies every card and syncs
            assert study_all(phone, DECK_NAME) >= 10
            phone_reviews, phone_schedule = review_log(phone), scheduling(phone)
            sync(phone, server)
            # 4. the desktop syncs, imports v2 (one edit, one new card) and syncs
            sync(desktop, server)
            assert review_log(desktop) == phone_reviews
            release_v2(cards)
            v2 = build(cards, out, now=1_800_000_100).output
            log = import_package(desktop, v2)
            assert [n.fields[0] for n in log.updated] == ["ML0027"]
            assert [n.fields[0] for n in log.new] == ["DL0005"]
            sync(desktop, server)
            # 5. the phone syncs: the edit and the new card are there, no review is lost
            sync(phone, server)
            view = device_view(phone)
            assert view == device_view(desktop)
            assert "The formula" in view["ML0027"][0][3]
            assert "DL0005" in view and len(view) == 11
            assert review_log(phone) == phone_reviews
            schedule = scheduling(phone)
            assert {cid: schedule[cid] for cid in phone_schedule} == phone_schedule
    finally:
        desktop.close()
        phone.close()
