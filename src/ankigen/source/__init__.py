"""Stage 1, sources: deck.yaml, the card files, their front matter and sections."""
