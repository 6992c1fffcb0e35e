"""ankigen: build a versioned, update-safe Anki deck from a folder of Markdown cards.

The pipeline, one folder a stage (docs/layout.md): ``source`` (deck.yaml,
card files) → ``render`` (Markdown and formulas to field HTML; ``tex`` checks the TeX) →
``checks`` (card and deck rules) → ``anki`` (notes, the lock, the package) and ``release``.
``commands`` run the stages in order; ``cache`` lets them skip what is unchanged.
"""

__version__ = "0.1.0"  # the one place it is set; pyproject.toml reads it from here
