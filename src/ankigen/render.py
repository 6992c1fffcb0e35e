"""Stage 3b: turn a card's Markdown sections into the HTML of its note fields.

Markdown is CommonMark (markdown-it-py), so cards render as GitHub shows them: list items
continue at the item's text indent, not at Python-Markdown's fixed four spaces. Formulas are
cut out by ``mathtex`` first and stand in the Markdown as placeholders from Unicode's
private-use area, which Markdown passes through as plain text; after converting, each
placeholder is replaced by its formula's HTML. Markdown never sees TeX.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from markdown_it import MarkdownIt

from .errors import Problem
from .mathtex import Formula, scan
from .validate import CardSource, Section

PLACEHOLDER_OPEN, PLACEHOLDER_CLOSE = "\ue000", "\ue001"
PLACEHOLDER = re.compile(f"{PLACEHOLDER_OPEN}(\\d+){PLACEHOLDER_CLOSE}")


@dataclass(frozen=True)
class RenderedCard:
    """A card with its fields as HTML, ready to become an Anki note."""

    id: str
    category: str
    title: str
    tags: tuple[str, ...]
    question_html: str
    answer_html: str
    formulas: tuple[Formula, ...]
    shown: str


class Renderer:
    """Converts card Markdown to HTML; one instance reuses one Markdown converter."""

    def __init__(self) -> None:
        self._md = MarkdownIt("commonmark", {"html": True}).enable("table")

    def render_card(self, card: CardSource) -> tuple[RenderedCard, list[Problem]]:
        """Render both sections of ``card``; problems are the math errors found on the way."""
        question, q_formulas, q_problems = self.render_section(card.question, card.shown)
        answer, a_formulas, a_problems = self.render_section(card.answer, card.shown)
        rendered = RenderedCard(
            id=card.id,
            category=card.category,
            title=html.escape(card.title, quote=False),
            tags=card.tags,
            question_html=question,
            answer_html=answer,
            formulas=tuple(q_formulas + a_formulas),
            shown=card.shown,
        )
        return rendered, q_problems + a_problems

    def render_section(
        self, section: Section, shown: str
    ) -> tuple[str, list[Formula], list[Problem]]:
        """Markdown of one section → HTML, its formulas, and any math problems."""
        text = section.text.replace(PLACEHOLDER_OPEN, "").replace(PLACEHOLDER_CLOSE, "")
        scanned = scan(text, shown, section.line)
        formulas = scanned.formulas
        parts: list[str] = []
        for piece in scanned.pieces:
            if isinstance(piece, str):
                parts.append(piece)
            else:
                parts.append(f"{PLACEHOLDER_OPEN}{len(parts)}{PLACEHOLDER_CLOSE}")
        html_out = self._md.render("".join(parts))
        by_index = {
            index: piece.to_html()
            for index, piece in enumerate(scanned.pieces)
            if not isinstance(piece, str)
        }
        html_out = PLACEHOLDER.sub(lambda m: by_index[int(m.group(1))], html_out)
        return html_out.strip(), formulas, list(scanned.problems)
