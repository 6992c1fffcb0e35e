"""A self-contained HTML page showing every card as Anki would, for authors without Anki.

The page uses the note type's own templates and CSS and MathJax 3 configured as Anki
configures it, so what typesets here typesets in Anki. It adds a search box, a tag filter,
a night-mode switch (Anki's ``.nightMode``) and a phone-width view (Anki's ``.mobile``).
"""

from __future__ import annotations

import html
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from .assemble import note_fields, note_tags
from .atomic import atomic_write_bytes
from .build import render_cards
from .config import DeckConfig
from .notetype import NoteTypeSpec, basic_note_type
from .render import RenderedCard

# Pinned, so every author sees the same typesetting; --mathjax points at a local copy.
MATHJAX_CDN = "https://cdn.jsdelivr.net/npm/mathjax@3.2.2/es5/tex-chtml-full.js"
MATHJAX_FILE = "tex-chtml-full.js"

# Anki's own MathJax settings (ts/lib/mathjax in Anki's source): only \(..\) and \[..\],
# no $, no escapes, no environments outside math, with noerrors, mathtools and mhchem.
MATHJAX_CONFIG = {
    "tex": {
        "inlineMath": [["\\(", "\\)"]],
        "displayMath": [["\\[", "\\]"]],
        "processEscapes": False,
        "processEnvironments": False,
        "processRefs": False,
        "packages": {"[+]": ["noerrors", "mathtools", "mhchem"], "[-]": ["textmacros"]},
    },
    "loader": {"load": ["[tex]/noerrors", "[tex]/mathtools", "[tex]/mhchem"]},
}

FIELD_REF = re.compile(r"\{\{([^{}#/^]+?)\}\}")
TAG_RE = re.compile(r"<[^>]+>")

PAGE_CSS = """\
body.preview-page { margin: 0; font-family: system-ui, sans-serif; background: #eceff1; }
body.preview-page.dark { background: #121212; color: #ddd; }
.toolbar { position: sticky; top: 0; z-index: 2; display: flex; flex-wrap: wrap; gap: 0.5em 1em;
  align-items: center; padding: 0.6em 1em; background: #263238; color: #fff; }
.toolbar h1 { font-size: 1.05em; margin: 0 1em 0 0; }
.toolbar input[type=search] { min-width: 14em; }
#cards { padding: 1em; display: grid; gap: 1em; }
.entry { background: #fff; border-radius: 6px; padding: 0.6em; box-shadow: 0 1px 3px #0003; }
.dark .entry { background: #2a2a2a; }
.entry > h2 { font-size: 0.9em; margin: 0 0 0.4em; color: #546e7a; }
.faces { display: grid; grid-template-columns: repeat(auto-fit, minmax(300px, 1fr)); gap: 0.6em; }
.face { min-width: 0; }
.face > .label { font-size: 0.75em; text-transform: uppercase; color: #78909c; }
.face > .card { padding: 0.8em; border: 1px solid #cfd8dc; border-radius: 4px; }
.phone .faces { grid-template-columns: 360px; justify-content: start; }
.phone .face { width: 360px; }
.count { opacity: 0.8; }
"""

PAGE_JS = """\
(function () {
  const search = document.getElementById("search");
  const tag = document.getElementById("tag");
  const count = document.getElementById("count");
  const entries = Array.from(document.querySelectorAll(".entry"));
  function filter() {
    const words = search.value.toLowerCase().split(/\\s+/).filter(Boolean);
    let shown = 0;
    for (const entry of entries) {
      const tags = entry.dataset.tags.split(" ");
      const text = entry.dataset.search;
      const ok = (!tag.value || tags.includes(tag.value)) && words.every(w => text.includes(w));
      entry.hidden = !ok;
      if (ok) shown++;
    }
    count.textContent = shown + " of " + entries.length + " cards";
  }
  function toggle(id, apply) {
    const box = document.getElementById(id);
    box.addEventListener("change", () => apply(box.checked));
  }
  search.addEventListener("input", filter);
  tag.addEventListener("change", filter);
  toggle("night", on => {
    document.body.classList.toggle("dark", on);
    document.querySelectorAll(".face > .card").forEach(c => c.classList.toggle("nightMode", on));
  });
  toggle("phone", on => {
    document.body.classList.toggle("phone", on);
    document.querySelectorAll(".face > .card").forEach(c => c.classList.toggle("mobile", on));
  });
  filter();
})();
"""


@dataclass(frozen=True)
class CardFaces:
    """One card's front and back as Anki shows them, with what the page filters on."""

    id: str
    title: str
    tags: tuple[str, ...]
    front: str
    back: str
    search_text: str


def fill_template(template: str, fields: dict[str, str]) -> str:
    """Substitute ``{{Field}}`` references as Anki does for plain field references."""
    return FIELD_REF.sub(lambda m: fields.get(m.group(1).strip(), ""), template)


def card_faces(card: RenderedCard, note_type: NoteTypeSpec) -> list[CardFaces]:
    """The faces of every template of ``note_type`` for ``card``."""
    fields = dict(zip(note_type.field_names, note_fields(card), strict=True))
    text = html.unescape(TAG_RE.sub(" ", " ".join(fields.values())))
    faces = []
    for _, _, front_template, back_template in note_type.templates:
        front = fill_template(front_template, fields)
        back = fill_template(back_template, {**fields, "FrontSide": front})
        faces.append(
            CardFaces(
                card.id, card.title, note_tags(card), front, back, " ".join(text.lower().split())
            )
        )
    return faces


def mathjax_url(mathjax: str | None, page: Path) -> str:
    """The script URL: a local MathJax (file or folder) relative to the page, or the CDN."""
    if not mathjax:
        return MATHJAX_CDN
    if re.match(r"^https?://", mathjax):
        return mathjax
    path = Path(mathjax)
    if path.is_dir():
        for candidate in (path / "es5" / MATHJAX_FILE, path / MATHJAX_FILE):
            if candidate.is_file():
                path = candidate
                break
    relative = os.path.relpath(path.resolve(), page.parent.resolve())
    return quote(Path(relative).as_posix())


def _face(label: str, content: str) -> str:
    card = f'<div class="card card1">{content}</div>'
    return f'<div class="face"><div class="label">{label}</div>{card}</div>'


def preview_html(
    config: DeckConfig, note_type: NoteTypeSpec, cards: list[RenderedCard], script_url: str
) -> str:
    """The whole preview page as text."""
    faces = [
        face for card in sorted(cards, key=lambda c: c.id) for face in card_faces(card, note_type)
    ]
    tags = sorted({tag for face in faces for tag in face.tags}, key=str.lower)
    options = "".join(f'<option value="{html.escape(t)}">{html.escape(t)}</option>' for t in tags)
    entries = "\n".join(
        f'<article class="entry" data-id="{face.id}" data-tags="{html.escape(" ".join(face.tags))}"'
        f' data-search="{html.escape(face.search_text)}">'
        f"<h2>{face.id} · {face.title} · {html.escape(', '.join(face.tags))}</h2>"
        f'<div class="faces">{_face("Front", face.front)}{_face("Back", face.back)}</div></article>'
        for face in faces
    )
    title = html.escape(f"{config.name} {config.version}")
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} — preview</title>
<style>
{note_type.css}
</style>
<style>
{PAGE_CSS}</style>
<script>window.MathJax = {json.dumps(MATHJAX_CONFIG)};</script>
<script id="MathJax-script" defer src="{html.escape(script_url)}"></script>
</head>
<body class="preview-page">
<div class="toolbar">
<h1>{title}</h1>
<input id="search" type="search" placeholder="Search cards" aria-label="Search cards">
<select id="tag" aria-label="Filter by tag"><option value="">All tags</option>{options}</select>
<label><input id="night" type="checkbox"> Night mode</label>
<label><input id="phone" type="checkbox"> Phone width</label>
<span id="count" class="count"></span>
</div>
<main id="cards">
{entries}
</main>
<script>
{PAGE_JS}</script>
</body>
</html>
"""


def write_preview(cards_dir: Path, out_dir: Path, mathjax: str | None = None) -> Path:
    """Render every card of ``cards_dir`` into ``out_dir/<deck>-<version>-preview.html``."""
    config, cards = render_cards(cards_dir)
    note_type = basic_note_type(config.note_type_id, config.name)
    page = out_dir / f"{config.slug}-{config.version}-preview.html"
    out_dir.mkdir(parents=True, exist_ok=True)
    text = preview_html(config, note_type, cards, mathjax_url(mathjax, page))
    atomic_write_bytes(page, text.encode("utf-8"))
    return page
