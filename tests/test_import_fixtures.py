"""`ankigen import` on whole listings: the seed page against the hand-curated cards, and a
listing the rules were never tuned on against card files written by hand before the import."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ankigen.render.formulas import scan
from ankigen.scrape.importer import plan_import
from ankigen.source.config import load_config
from ankigen.source.load import read_card
from ankigen.source.validate import validate_card
from tests.conftest import SHIPPED_CARDS

FIXTURES = Path(__file__).resolve().parent / "fixtures"
SEED = FIXTURES / "seed_listing.txt"
UNSEEN = FIXTURES / "unseen_listing.txt"
UNSEEN_EXPECTED = FIXTURES / "unseen_expected"
TAGS = re.compile(r"^tags: .*\n", re.M)


def imported(listing: Path, cards: Path) -> dict[str, str]:
    """The card files an import of ``listing`` makes, by path below ``cards``."""
    plan = plan_import(listing.read_text(encoding="utf-8"), "listing.txt", cards, force=False)
    return {card.path.relative_to(cards).as_posix(): card.text for card in plan.cards}


def hand_made(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): p.read_text(encoding="utf-8")
        for p in sorted(folder.rglob("*.md"))
    }


def formulas(text: str) -> list[tuple[str, bool]]:
    body = text.split("\n---\n", 1)[1]
    return [(f.tex, f.display) for f in scan(body, "card.md", 1).formulas]


@pytest.fixture
def empty_cards(tmp_path: Path) -> Path:
    """A cards folder holding only the shipped deck.yaml."""
    folder = tmp_path / "cards"
    folder.mkdir()
    (folder / "deck.yaml").write_bytes((SHIPPED_CARDS / "deck.yaml").read_bytes())
    return folder


def test_the_seed_listing_gives_the_hand_curated_cards(empty_cards):
    ours = imported(SEED, empty_cards)
    curated = hand_made(SHIPPED_CARDS)
    assert sorted(ours) == sorted(curated)  # same ids, titles and file layout
    assert len(ours) == 10
    for path, text in ours.items():
        # The importer cannot know topic tags (it writes `tags: []`), so tags are not compared.
        assert TAGS.sub("", text) == TAGS.sub("", curated[path]), path
        assert formulas(text) == formulas(curated[path]), path
    assert sum(len(formulas(t)) for t in ours.values()) == 24  # 7 display, 17 inline


def test_a_listing_never_tuned_on_gives_the_cards_written_by_hand(empty_cards):
    ours = imported(UNSEEN, empty_cards)
    expected = hand_made(UNSEEN_EXPECTED)
    assert sorted(ours) == sorted(expected)
    for path, text in ours.items():
        assert text == expected[path], path


def test_the_unseen_listing_reports_exactly_its_judgement_calls(empty_cards):
    plan = plan_import(UNSEEN.read_text(encoding="utf-8"), "unseen.txt", empty_cards, force=False)
    assert plan.doubt_lines() == [
        "unseen.txt:79: ML0141: lone letter `t` read as math; it is not in this card's formulas",
        "unseen.txt:79: ML0141: points at an image the listing does not contain; "
        "the card says it was lost",
    ]


def test_the_seed_reports_the_lost_image_only(empty_cards):
    plan = plan_import(SEED.read_text(encoding="utf-8"), "seed.txt", empty_cards, force=False)
    assert plan.doubt_lines() == [
        "seed.txt:46: DL0002: points at an image the listing does not contain; "
        "the card says it was lost"
    ]


@pytest.mark.parametrize(
    "variant",
    [
        lambda t: t.replace("\n", "\r\n"),
        lambda t: re.sub(r"\n[ \t]*(?=\n)", "", t),  # no blank lines at all
        lambda t: re.sub(r"\n[ \t]*\n", "\n\n\n\n", t),  # twice the blank lines
        lambda t: t.replace("Login to view more content", ""),
    ],
    ids=["crlf", "no-blank-lines", "extra-blank-lines", "no-trailers"],
)
def test_the_seed_survives_line_ends_blank_lines_and_missing_trailers(
    variant, empty_cards, tmp_path
):
    listing = tmp_path / "variant.txt"
    listing.write_bytes(variant(SEED.read_text(encoding="utf-8")).encode("utf-8"))
    assert imported(listing, empty_cards) == imported(SEED, empty_cards)


@pytest.mark.parametrize("listing", [SEED, UNSEEN], ids=["seed", "unseen"])
def test_every_imported_card_passes_the_build_checks(listing, empty_cards):
    config = load_config(empty_cards)
    for path, text in imported(listing, empty_cards).items():
        target = empty_cards / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        raw = read_card(target)
        assert not hasattr(raw, "message"), raw
        card, problems = validate_card(raw, config)
        assert problems == [] and card is not None
        assert card.tags == ()
        answer = card.sections["Answer"]
        assert scan(answer.text, path, answer.line).problems == ()
