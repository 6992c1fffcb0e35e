"""A learner's life across devices: desktop imports, syncs; the phone syncs, studies; updates.

Runs Anki's own sync server (the protocol AnkiMobile and AnkiDroid speak) on 127.0.0.1,
with a "desktop" and a "phone" collection of the real Anki engine.
"""

from __future__ import annotations

import re
import struct
import zlib
from pathlib import Path
from typing import Any

from anki.collection import Collection

from ankigen.commands.build import build
from tests.ankihelpers import import_package, review_log, scheduling, study_all
from tests.syncserver import sync, sync_server

DECK_NAME = "ML and DL Interview Questions"
IMAGE_CARD = """---
id: DL0006
title: Receptive Field
tags: [cnn]
---
## Question

What does this diagram of two stacked 3×3 convolutions show?

![two stacked 3×3 convolutions](images/receptive-field.png)

## Answer

Their receptive field is $5 \\times 5$.
"""
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


def png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A small real PNG image, made here so the test needs no binary fixture."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\0" + bytes(rgb) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


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


def media_files(col: Collection) -> dict[str, bytes]:
    """The collection's media folder, file by file."""
    return {p.name: p.read_bytes() for p in Path(col.media.dir()).iterdir() if p.is_file()}


def set_version(cards: Path, version: str) -> None:
    deck = cards / "deck.yaml"
    deck.write_text(re.sub(r"(?m)^version: .*$", f"version: {version}", deck.read_text()))


def release_v2(cards: Path) -> None:
    """One card edited, one added, one removed (retired): a major version."""
    card = next(cards.rglob("ML0027-*.md"))
    card.write_text(card.read_text().replace("Its formula", "The formula"))
    (cards / "DL" / "DL0005-batch-normalization.md").write_text(NEW_CARD)
    next(cards.rglob("ML0026-*.md")).unlink()
    set_version(cards, "2.0.0")


def test_desktop_to_phone_and_back_across_an_update(cards, tmp_path):
    (cards / "DL" / "images").mkdir()
    (cards / "DL" / "images" / "receptive-field.png").write_bytes(png(24, 16, (30, 120, 200)))
    (cards / "DL" / "DL0006-receptive-field.md").write_text(IMAGE_CARD)
    set_version(cards, "1.1.0")
    out = tmp_path / "out"
    v1 = build(cards, out, now=1_800_000_000).output
    desktop, phone = new_collection(tmp_path / "desktop"), new_collection(tmp_path / "phone")
    try:
        with sync_server(tmp_path / "server") as server:
            # 1. the desktop imports v1 (with an image card) and syncs up
            assert len(import_package(desktop, v1).new) == 11
            (image,) = media_files(desktop)
            assert image.startswith("ankigen-") and image.endswith(".png")
            sync(desktop, server)
            # 2. a fresh phone syncs down: notes, tags, fields, media and rendered cards match
            sync(phone, server)
            assert device_view(phone) == device_view(desktop)
            assert media_files(phone) == media_files(desktop)
            sides = "".join(q + a for *_, s in device_view(phone).values() for q, a in s)
            assert sides.count("\\(") >= 10 and sides.count("\\[") >= 7
            assert f'src="{image}"' in device_view(phone)["DL0006"][3][0][0]
            # 3. the phone studies every card and syncs
            assert study_all(phone, DECK_NAME) >= 11
            phone_reviews, phone_schedule = review_log(phone), scheduling(phone)
            sync(phone, server)
            # 4. the desktop syncs, imports v2 (edit, new card, retired card) and syncs
            sync(desktop, server)
            assert review_log(desktop) == phone_reviews
            release_v2(cards)
            v2 = build(cards, out, now=1_800_000_100).output
            log = import_package(desktop, v2)
            assert sorted(n.fields[0] for n in log.updated) == ["ML0026", "ML0027"]
            assert [n.fields[0] for n in log.new] == ["DL0005"]
            sync(desktop, server)
            # 5. the phone syncs: the edit, the new card and the tombstone; every review kept
            sync(phone, server)
            view = device_view(phone)
            assert view == device_view(desktop)
            assert "The formula" in view["ML0027"][0][3]
            assert "DL0005" in view and len(view) == 12
            assert "ankigen::retired" in view["ML0026"][1]
            assert "Retired in version 2.0.0" in view["ML0026"][0][2]
            assert media_files(phone) == media_files(desktop)
            assert review_log(phone) == phone_reviews
            schedule = scheduling(phone)
            assert {cid: schedule[cid] for cid in phone_schedule} == phone_schedule
    finally:
        desktop.close()
        phone.close()
