"""A small deck that uses the whole deck model: declared note types (reversed with a Hint
and a Source field, type-in), audio, a deck stylesheet with a font, a code block and nested
decks (by ``deck:`` and by folder). Written fresh into a folder for each test."""

from __future__ import annotations

from pathlib import Path

from tests.test_audio import wav

FONT = b"wOF2" + bytes(range(64))  # the bytes are shipped as they are; Anki never parses them

DECK_YAML = """\
name: Model Deck
version: 1.0.0
description: Every part of the deck model.
categories:
  DL: Deep Learning
  ML: Machine Learning
deck_id: 1500000001
note_type_id: 1500000002
subdecks: folders
css: theme/deck.css
note_types:
  reversed:
    id: 1500000003
    base: basic
    cards: [forward, reverse]
    fields: [Hint, Source]
  typein:
    id: 1500000004
    base: basic
    cards: [typein]
    show_title: false
"""

CSS = """\
@font-face { font-family: "Deck Sans"; src: url(fonts/decksans.woff2) format("woff2"); }
.card { font-family: "Deck Sans", sans-serif; }
"""

CARDS = {
    "DL/CNN/DL0001-conv.md": """\
---
id: DL0001
title: Convolution
type: reversed
---

## Question

What slides a small kernel over an image?

## Answer

A convolution.

## Hint

It starts with *conv*.
""",
    "DL/DL0002-relu.md": """\
---
id: DL0002
title: ReLU
type: reversed
---

## Question

Which activation is $\\max(0, x)$?

## Answer

ReLU. Hear it: [sound:audio/relu.wav]

## Source

Nair and Hinton, 2010.
""",
    "ML/ML0001-mean.md": """\
---
id: ML0001
title: Mean
type: typein
deck: Basics::Statistics
---

## Question

What is the average of 2 and 4?

## Answer

3
""",
    "ML/ML0002-code.md": """\
---
id: ML0002
title: Squares in Python
---

## Question

What does this print?

```python
def square(x):
    return x * x
print(square(3))
```

## Answer

`9`
""",
}


def write_model_deck(folder: Path) -> Path:
    """The deck's cards folder, written into ``folder/cards``."""
    cards = folder / "cards"
    for name, text in CARDS.items():
        path = cards / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    (cards / "deck.yaml").write_text(DECK_YAML, encoding="utf-8")
    (cards / "theme" / "fonts").mkdir(parents=True)
    (cards / "theme" / "deck.css").write_text(CSS, encoding="utf-8")
    (cards / "theme" / "fonts" / "decksans.woff2").write_bytes(FONT)
    (cards / "DL" / "audio").mkdir()
    (cards / "DL" / "audio" / "relu.wav").write_bytes(wav(400))
    return cards
