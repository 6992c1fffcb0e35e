"""Stage 4, Anki: note types, notes, the lock, and the package (written and read)."""
