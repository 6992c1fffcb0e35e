"""Source stage: the files a cards folder holds beside the cards, and the kinds of card."""

from __future__ import annotations

DECK_FILE = "deck.yaml"  # the deck's identity and settings
LOCK_FILE = "ankigen.lock"  # what builds remember: each note's id, digest and time
RELEASE_FILE = "ankigen.release.json"  # the last release: its version and cards
BASIC, CLOZE = "basic", "cloze"  # a card's ``type:`` in its front matter, and its note type
# Each kind's sections, which become its note's fields after ID and Title, in this order:
# the required ones, then the optional ones. A cloze card's Text holds its deletions.
KIND_SECTIONS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    BASIC: (("Question", "Answer"), ()),
    CLOZE: (("Text",), ("Extra",)),
}
# the kinds whose notes make a card per deletion number, from their one template
PER_DELETION = frozenset({CLOZE})
# ``base: none``: a declared type whose note holds exactly the card's sections as fields (no
# ID or Title) and exactly the card's own tags (no category tag): a deck brought under
# ankigen (``ankigen adopt``) keeps its note types as they were
NONE = "none"
