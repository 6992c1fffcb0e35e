"""ankigen: build a versioned, update-safe Anki deck from a folder of Markdown cards.

The pipeline, one module a stage:
``config`` (deck.yaml) → ``load`` (card files) → ``validate`` → ``mathtex`` / ``render``
(Markdown and math to card HTML) → ``notetype`` / ``assemble`` (notes, GUIDs, times from
``lock``) → ``package`` (a reproducible ``.apkg``). ``build`` runs the stages in order.
"""

__version__ = "0.1.0"  # the one place it is set; pyproject.toml reads it from here
