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
from pathlib import Path
from urllib.parse import quote

from ankigen.anki.notes import tag_order, unsafe_cards
from ankigen.anki.notetype import NoteTypeSpec, cloze_note_type
from ankigen.checks.notetypes import deck_types
from ankigen.commands.build import render_cards
from ankigen.commands.cardfaces import card_faces
from ankigen.errors import AnkigenError, Problem, display_path
from ankigen.render.card import RenderedCard
from ankigen.render.media import MediaFile
from ankigen.source.config import DeckConfig
from ankigen.util.atomic import atomic_write_bytes
from ankigen.util.progress import Progress

MEDIA_SRC = re.compile(r'src="(ankigen-[0-9a-f]{16}\.[a-z0-9]+)"')
STYLE_URL = re.compile(r'url\("(_ankigen-[0-9a-f]{16}\.[a-z0-9]+)"\)')
MEDIA_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".svg": "image/svg+xml",
    ".webp": "image/webp",
    ".mp3": "audio/mpeg",
    ".ogg": "audio/ogg",
    ".wav": "audio/wav",
    ".m4a": "audio/mp4",
    ".opus": "audio/ogg",
    ".webm": "audio/webm",
    ".flac": "audio/flac",
    ".woff2": "font/woff2",
    ".woff": "font/woff",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
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
.phone .faces { grid-template-columns: minmax(0, 360px); justify-content: start; }
.phone .face { width: 100%; max-width: 360px; }
.count { opacity: 0.8; }
.mathjax-missing { margin: 0; padding: 0.6em 1em; background: #fff3cd; color: #4d3800;
  border-bottom: 1px solid #e6c65c; }
.mathjax-missing code { background: #fff8e1; padding: 0 0.2em; }
"""

# Shown when MathJax did not load (offline, a wrong --mathjax): the script failed, or what it
# left behind is not MathJax 3 (``MathJax.startup``), or its start-up failed.
MATHJAX_CHECK_JS = """\
window.addEventListener("load", function () {
  function missing() { document.getElementById("mathjax-missing").hidden = false; }
  var mathjax = window.MathJax;
  if (!mathjax || !mathjax.startup || !mathjax.startup.promise) { missing(); return; }
  mathjax.startup.promise.then(function () {
    if (typeof window.MathJax.typesetPromise !== "function") missing();
  }, missing);
});
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


def is_url(mathjax: str) -> bool:
    """Whether ``--mathjax`` names a URL rather than a local copy."""
    return re.match(r"^https?://", mathjax) is not None


def mathjax_url(mathjax: str | None, page: Path) -> str:
    """The script URL: a local MathJax (file or folder) relative to the page, or the CDN."""
    if not mathjax:
        return MATHJAX_CDN
    if is_url(mathjax):
        return mathjax
    path = local_mathjax(mathjax)
    relative = os.path.relpath(path.resolve(), page.parent.resolve())
    return quote(Path(relative).as_posix())


def local_mathjax(mathjax: str) -> Path:
    """The script of a local MathJax copy: the file given, or in the folder given its
    ``es5/tex-chtml-full.js`` (an npm copy) or ``tex-chtml-full.js``."""
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
    return path


def mathjax_banner(script_url: str, command: str) -> str:
    """The notice, hidden until ``MATHJAX_CHECK_JS`` finds MathJax missing, that formulas
    show as raw TeX and how to get a local copy for ``ankigen <command>``."""
    return (
        '<p id="mathjax-missing" class="mathjax-missing" role="alert" hidden>'
        f"<strong>MathJax could not be loaded</strong> from <code>{html.escape(script_url)}"
        "</code>: formulas are shown as raw TeX. To fix it, get a local copy with "
        "<code>npm install mathjax@3</code> (it goes to <code>node_modules/mathjax</code>) and "
        f"run <code>ankigen {html.escape(command)} --mathjax node_modules/mathjax</code>.</p>"
    )


def _data_urls(media: list[MediaFile]) -> dict[str, str]:
    return {
        item.name: f"data:{MEDIA_TYPES.get(Path(item.name).suffix, 'application/octet-stream')}"
        f";base64,{base64.b64encode(item.data).decode('ascii')}"
        for item in media
    }


def _inline_media(text: str, cards: list[RenderedCard]) -> str:
    """``text`` with every bundled image and sound as a ``data:`` URL: the page needs no
    other file."""
    urls = _data_urls([media for card in cards for media in card.media])
    if not urls:
        return text
    return MEDIA_SRC.sub(lambda m: f'src="{urls.get(m.group(1), m.group(1))}"', text)


def _inline_fonts(css: str, media: tuple[MediaFile, ...]) -> str:
    """The stylesheets with the files they name (fonts) as ``data:`` URLs."""
    urls = _data_urls(list(media))
    return STYLE_URL.sub(lambda m: f'url("{urls.get(m.group(1), m.group(1))}")', css)


def _face(label: str, content: str, ordinal: int) -> str:
    card = f'<div class="card card{ordinal + 1}">{content}</div>'  # Anki's class per card
    return f'<div class="face"><div class="label">{label}</div>{card}</div>'


def preview_html(
    config: DeckConfig,
    types: dict[str, NoteTypeSpec],
    cards: list[RenderedCard],
    script_url: str,
    style_media: tuple[MediaFile, ...] = (),
    *,
    command: str = "preview",
    top: str = "",
    script: str = "",
) -> str:
    """The whole preview page as text; ``types``: the note type of each kind of card, by
    name (``basic`` first), ``style_media`` the files their stylesheets name. ``command``
    is named in the notice shown when MathJax does not load; ``top`` is HTML shown above the
    cards and ``script`` runs after the page's own (``ankigen serve`` adds both)."""
    note_type = next(iter(types.values()))
    faces = [
        face
        for card in sorted(cards, key=lambda c: c.id)
        for face in card_faces(card, types[card.kind])
    ]
    tags = sorted({tag for face in faces for tag in face.tags}, key=tag_order)
    drafts = {card.id for card in cards if card.draft}  # marked: in no package
    options = "".join(f'<option value="{html.escape(t)}">{html.escape(t)}</option>' for t in tags)
    entries = "\n".join(
        f'<article class="entry" data-id="{face.id}" data-tags="{html.escape(" ".join(face.tags))}"'
        f' data-search="{html.escape(face.search_text)}">'
        f"<h2>{face.label}{' · draft' if face.id in drafts else ''} · {face.title} · "
        f"{html.escape(', '.join(face.tags))}</h2>"
        f'<div class="faces">{_face("Front", face.front, face.ordinal)}'
        f"{_face('Back', face.back, face.ordinal)}</div></article>"
        for face in faces
    )
    entries = _inline_media(entries, cards)
    used = {types[card.kind].css: None for card in sorted(cards, key=lambda c: c.kind)}
    css = _inline_fonts("\n".join(used) or note_type.css, style_media)
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
<script>
{MATHJAX_CHECK_JS}</script>
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
{mathjax_banner(script_url, command)}
{top}<main id="cards">
{entries}
</main>
<script>
{PAGE_JS}{script}</script>
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
    built, problems = deck_types(config)
    if any(problem.is_error for problem in problems):
        raise AnkigenError(problems)
    # the id matters only to Anki; `check` asks for it before a deck with cloze cards builds
    cloze = built.cloze or cloze_note_type(0, config.name)
    types = {"basic": built.basic, cloze.kind: cloze, **built.declared}
    names = {kind: spec.field_names for kind, spec in types.items()}
    unsafe = unsafe_cards(cards, names)  # the page runs scripts as Anki does: the same last look
    if unsafe:
        raise AnkigenError(unsafe)
    page = out_dir / f"{config.slug}-{config.version}-preview.html"
    out_dir.mkdir(parents=True, exist_ok=True)
    text = preview_html(config, types, cards, mathjax_url(mathjax, page), built.media)
    atomic_write_bytes(page, text.encode("utf-8"))
    return page
