"""ankigen: build a versioned, update-safe Anki deck from a folder of Markdown cards.

The pipeline, one module a stage:
``config`` (deck.yaml) → ``load`` (card files) → ``validate`` → ``mathtex`` / ``render``
(Markdown and math to card HTML) → ``notetype`` / ``assemble`` (notes, GUIDs, times from
``lock``) → ``package`` (a reproducible ``.apkg``). ``build`` runs the stages in order.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("ankigen")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"
