"""Formulas: MathJax's TeX as Anki runs it, checked before it ships."""
