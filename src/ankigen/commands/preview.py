"""A self-contained HTML page showing every card as Anki would, for authors without Anki.

The page uses the note type's own templates and CSS and MathJax 3 configured as Anki
configures it, so what typesets here typesets in Anki. It adds a search box, a tag filter,
a night-mode switch (Anki's ``.nightMode``) and a phone-width view (Anki's ``.mobile``).
A cloze card shows once per deletion number, as Anki makes one card of each: the front with
that deletion hidden (``[...]``), the back with it revealed, in Anki's own markup (``cloze``).
Images are in the page as ``data:`` URLs: the page is the one file to open or send.
"""

from __future__ import annotations

import base64
import html
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from ankigen.anki.notes import note_fields, note_tags, tag_order, unsafe_cards
from ankigen.anki.notetype import NoteTypeSpec, basic_note_type, cloze_note_type
from ankigen.commands.build import render_cards
from ankigen.errors import AnkigenError, Problem, display_path
from ankigen.render.card import RenderedCard
from ankigen.render.cloze import reveal
from ankigen.render.kinds import KINDS
from ankigen.source.config import DeckConfig
from ankigen.source.layout import BASIC, CLOZE
from ankigen.util.atomic import atomic_write_bytes
from ankigen.util.progress import Progress

MEDIA_SRC = re.compile(r'src="(ankigen-[0-9a-f]{16}\.[a-z]+)"')
MEDIA_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".svg": "image/svg+xml",
    ".webp": "image/webp",
}
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
SECTION = re.compile(r"\{\{([#^])([^{}]+?)\}\}(.*?)\{\{/\2\}\}", re.S)
TAG_RE = re.compile(r"<[^>]+>")
CLOZE_MARK = re.compile(r"\{\{c\d+::|\}\}")
CLOZE_FILTER = "cloze:"

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
    ordinal: int = 0  # which card of the note: its template, or its deletion number less one
    cloze: bool = False

    @property
    def label(self) -> str:
        """``DL0001``, or ``DL0005 c2`` for the card of deletion c2 of a cloze note."""
        return f"{self.id} c{self.ordinal + 1}" if self.cloze else self.id


def fill_template(
    template: str, fields: dict[str, str], *, number: int = 1, question: bool = True
) -> str:
    """Fill a card template as Anki does: ``{{Field}}``, ``{{#Field}}…{{/Field}}`` (shown when
    the field is not empty), ``{{^Field}}…{{/Field}}``, and ``{{cloze:Field}}`` for the card of
    deletion ``number``, on its front (``question``) or back."""

    def section(match: re.Match[str]) -> str:
        filled = bool(fields.get(match.group(2).strip(), "").strip())
        shown = filled if match.group(1) == "#" else not filled
        return (
            fill_template(match.group(3), fields, number=number, question=question) if shown else ""
        )

    def field(match: re.Match[str]) -> str:
        name = match.group(1).strip()
        if name.startswith(CLOZE_FILTER):
            return reveal(fields.get(name[len(CLOZE_FILTER) :], ""), number, question=question)
        return fields.get(name, "")

    return FIELD_REF.sub(field, SECTION.sub(section, template))


def card_faces(card: RenderedCard, note_type: NoteTypeSpec) -> list[CardFaces]:
    """The faces of each card of ``card``'s note: one per template of ``note_type``, or for a
    cloze note one per deletion number."""
    fields = dict(zip(note_type.field_names, note_fields(card), strict=True))
    text = html.unescape(TAG_RE.sub(" ", CLOZE_MARK.sub(" ", " ".join(fields.values()))))
    search = " ".join(text.lower().split())
    kind = KINDS[card.kind]
    faces = []
    for index, number in kind.cards(card.clozes, len(note_type.templates)):
        _, _, front_template, back_template = note_type.templates[index]
        front = fill_template(front_template, fields, number=number)
        back = fill_template(
            back_template, {**fields, "FrontSide": front}, number=number, question=False
        )
        faces.append(
            CardFaces(
                card.id,
                card.title,
                note_tags(card),
                front,
                back,
                search,
                number - 1,
                kind.numbered_by_deletion,
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
    if not path.exists():
        message = (
            "no such file or folder: give a local copy of MathJax 3 (its folder, or "
            f"{MATHJAX_FILE}) or an https:// URL"
        )
        raise AnkigenError([Problem(display_path(path), 1, message)])
    if path.is_dir():
        for candidate in (path / "es5" / MATHJAX_FILE, path / MATHJAX_FILE):
            if candidate.is_file():
                path = candidate
                break
    relative = os.path.relpath(path.resolve(), page.parent.resolve())
    return quote(Path(relative).as_posix())


def _inline_media(text: str, cards: list[RenderedCard]) -> str:
    """``text`` with every bundled image as a ``data:`` URL: the page needs no other file."""
    urls = {
        media.name: f"data:{MEDIA_TYPES[Path(media.name).suffix]};base64,"
        + base64.b64encode(media.data).decode("ascii")
        for card in cards
        for media in card.media
    }
    if not urls:
        return text
    return MEDIA_SRC.sub(lambda m: f'src="{urls.get(m.group(1), m.group(1))}"', text)


def _face(label: str, content: str, ordinal: int) -> str:
    card = f'<div class="card card{ordinal + 1}">{content}</div>'  # Anki's class per card
    return f'<div class="face"><div class="label">{label}</div>{card}</div>'


def preview_html(
    config: DeckConfig,
    note_type: NoteTypeSpec,
    cards: list[RenderedCard],
    script_url: str,
    cloze_type: NoteTypeSpec | None = None,
) -> str:
    """The whole preview page as text; ``cloze_type`` shows the cloze cards."""
    types = {BASIC: note_type, CLOZE: cloze_type or note_type}
    faces = [
        face
        for card in sorted(cards, key=lambda c: c.id)
        for face in card_faces(card, types[card.kind])
    ]
    tags = sorted({tag for face in faces for tag in face.tags}, key=tag_order)
    options = "".join(f'<option value="{html.escape(t)}">{html.escape(t)}</option>' for t in tags)
    entries = "\n".join(
        f'<article class="entry" data-id="{face.id}" data-tags="{html.escape(" ".join(face.tags))}"'
        f' data-search="{html.escape(face.search_text)}">'
        f"<h2>{face.label} · {face.title} · {html.escape(', '.join(face.tags))}</h2>"
        f'<div class="faces">{_face("Front", face.front, face.ordinal)}'
        f"{_face('Back', face.back, face.ordinal)}</div></article>"
        for face in faces
    )
    entries = _inline_media(entries, cards)
    used = {types[card.kind].css: None for card in sorted(cards, key=lambda c: c.kind)}
    css = "\n".join(used) or note_type.css
    title = html.escape(f"{config.name} {config.version}")
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} — preview</title>
<style>
{css}
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


def write_preview(
    cards_dir: Path,
    out_dir: Path,
    mathjax: str | None = None,
    *,
    progress: Progress | None = None,
) -> Path:
    """Render every card of ``cards_dir`` into ``out_dir/<deck>-<version>-preview.html``.

    ``progress`` hears how the rendering goes.
    """
    config, cards = render_cards(cards_dir, progress=progress)
    note_type = basic_note_type(config.note_type_id, config.name)
    # the id matters only to Anki; `check` asks for it before a deck with cloze cards builds
    cloze_type = cloze_note_type(config.cloze_note_type_id or 0, config.name)
    names = {BASIC: note_type.field_names, CLOZE: cloze_type.field_names}
    unsafe = unsafe_cards(cards, names)  # the page runs scripts as Anki does: the same last look
    if unsafe:
        raise AnkigenError(unsafe)
    page = out_dir / f"{config.slug}-{config.version}-preview.html"
    out_dir.mkdir(parents=True, exist_ok=True)
    text = preview_html(config, note_type, cards, mathjax_url(mathjax, page), cloze_type)
    atomic_write_bytes(page, text.encode("utf-8"))
    return page
