"""Stage 3, checks: the rules a card, and the deck as a whole, must pass to ship."""
