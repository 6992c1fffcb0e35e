"""Golden files: the seed cards' field HTML and our note type's schema, reviewed once.

After a deliberate change, regenerate with ``ANKIGEN_UPDATE_GOLDEN=1 pytest tests/test_golden.py``
and review the diff: a schema diff can mean that learners' notes stop updating.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from ankigen.anki.notetype import basic_note_type
from ankigen.commands.build import render_cards

GOLDEN = Path(__file__).parent / "golden"
SHIPPED = Path(__file__).resolve().parent.parent / "cards"
UPDATE = os.environ.get("ANKIGEN_UPDATE_GOLDEN") == "1"


def check_golden(path: Path, actual: str) -> None:
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
    assert path.is_file(), f"no golden file {path}; run with ANKIGEN_UPDATE_GOLDEN=1"
    assert actual == path.read_text(encoding="utf-8")


def seed_cards():
    _, cards = render_cards(SHIPPED)
    return {card.id: card for card in cards}


@pytest.mark.parametrize("card_id", sorted(seed_cards()))
def test_seed_card_html_matches_its_golden_file(card_id):
    card = seed_cards()[card_id]
    actual = (
        f"<!-- {card.id}: {card.title} -->\n"
        f"<!-- Question -->\n{card.fields['Question']}\n<!-- Answer -->\n{card.fields['Answer']}\n"
    )
    check_golden(GOLDEN / "seed" / f"{card_id}.html", actual)


def test_note_type_schema_is_unchanged():
    spec = basic_note_type(1843956107, "ML and DL Interview Questions")
    schema = {
        "id": spec.id,
        "fields": [{"name": name, "id": field_id} for name, field_id in spec.fields],
        "templates": [{"name": name, "id": tid} for name, tid, _, _ in spec.templates],
        "sort_field": spec.field_names[spec.sort_field_index],
    }
    check_golden(GOLDEN / "notetype_schema.json", json.dumps(schema, indent=2) + "\n")
