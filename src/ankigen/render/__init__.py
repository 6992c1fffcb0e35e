"""Stage 2, render: Markdown and formulas to the HTML of note fields, safely."""
