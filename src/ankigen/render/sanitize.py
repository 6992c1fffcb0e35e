"""Render stage, safety: only an allow-list of harmless HTML reaches a learner's Anki.

Card HTML runs as a web page with scripts enabled in Anki desktop and AnkiMobile, so a
``<script>``, an ``onerror=`` or a ``javascript:`` link in a shared deck would run on every
learner's device, and a remote image or frame would load from the network on every review
(failing offline and telling a server the learner's IP address). Every rendered field goes
through ``clean`` (nh3, a binding to the ammonia sanitizer), which keeps only the tags and
attributes Markdown produces, plus ankigen's ``span.math-display`` and ``img`` elements that
point at bundled media. ``removed_parts`` says, for a piece of raw HTML an author wrote, what
``clean`` will take out, so the check can report it with its line. HTML comments are dropped
without a word: they are the author's notes, not content.

``unsafe_parts`` is the last look at assembly: every field, title and deck description that
goes into a package (whether rendered now, read from the render cache, or taken from the
committed lock and release record) must come out of the same sanitizer unchanged, hold no
control character, and hold no formula that ``tex.safety`` refuses.
"""

from __future__ import annotations

import multiprocessing
import re
import sys
from collections.abc import Callable, Collection, Sequence
from html import unescape
from html.parser import HTMLParser
from typing import Any

import nh3

from ankigen.render.media import MEDIA_NAME
from ankigen.source.controls import CONTROL, describe_control
from ankigen.tex.safety import GUARDED_NAME, hazards, typeset_formulas
from ankigen.util.cpus import usable_cpus

ALLOWED_TAGS = frozenset(
    {
        # what CommonMark and its tables produce
        "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "em", "strong", "code", "pre",
        "blockquote", "ul", "ol", "li", "a", "img", "table", "thead", "tbody", "tr", "th", "td",
        # ankigen's display math, and harmless inline markup authors write by hand
        "span", "div", "sub", "sup", "b", "i", "u", "s", "del", "ins", "mark", "kbd", "small",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES: dict[str, set[str]] = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "ol": {"start"},
    "th": {"style"},
    "td": {"style"},
    "code": {"class"},
    "span": {"class"},
}
# Elements removed together with what they contain (their content is code, not text).
DROPPED_WITH_CONTENT = frozenset(
    {"script", "style", "iframe", "object", "embed", "noscript", "template", "textarea", "svg"}
)
LINK_SCHEMES = frozenset({"http", "https", "mailto"})
# Pygments' short token classes (``render.highlight``), as Pygments 2 names them, and the
# span that wraps a highlighted code block's tokens: a fixed list, coloured by the note type's
# stylesheet (``anki.theme``)
TOKEN_CLASSES = frozenset(
    {
        "bp", "c", "c1", "ch", "cm", "cp", "cpf", "cs", "dl", "esc", "fm", "g", "gd", "ge",
        "ges", "gh", "gi", "go", "gp", "gr", "gs", "gt", "gu", "il", "k", "kc", "kd", "kn",
        "kp", "kr", "kt", "l", "ld", "m", "mb", "mf", "mh", "mi", "mo", "n", "na", "nb", "nc",
        "nd", "ne", "nf", "ni", "nl", "nn", "no", "nt", "nv", "nx", "o", "ow", "p", "pm", "py",
        "s", "s1", "s2", "sa", "sb", "sc", "sd", "se", "sh", "si", "sr", "ss", "sx", "vc", "vg",
        "vi", "vm", "x",
    }
)  # fmt: skip
HIGHLIGHT_CLASS = "highlight"
ALLOWED_CLASSES = {
    "span": re.compile("|".join(["math-display", HIGHLIGHT_CLASS, *sorted(TOKEN_CLASSES)])),
    "code": re.compile(r"language-[\w+#.-]+"),
}
TEXT_ALIGN = re.compile(r"\s*text-align\s*:\s*(left|right|center)\s*;?\s*", re.IGNORECASE)
SCHEME = re.compile(r"^\s*([A-Za-z][A-Za-z0-9+.-]*):")

SCRIPT_REASON = "it would run as a script on every learner's device"
NETWORK_REASON = "it would load from the network (failing offline, revealing the learner's IP)"
UNLISTED_REASON = "not on ankigen's list of safe HTML"
HTML_REMOVED = "HTML that ankigen's sanitizer removes"


def _attribute_filter(media: Collection[str]) -> Callable[[str, str, str], str | None]:
    def keep(tag: str, attribute: str, value: str) -> str | None:
        if tag == "img" and attribute == "src":
            return value if value in media and MEDIA_NAME.fullmatch(value) else None
        if attribute == "class":
            pattern = ALLOWED_CLASSES.get(tag)
            return value if pattern is not None and pattern.fullmatch(value) else None
        return value

    return keep


def _cleaner(
    keep: Callable[[str, str, str], str | None],
    attributes: dict[str, set[str]] = ALLOWED_ATTRIBUTES,
    styles: frozenset[str] = frozenset({"text-align"}),
) -> nh3.Cleaner:
    return nh3.Cleaner(
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(DROPPED_WITH_CONTENT),
        attributes=attributes,
        attribute_filter=keep,
        strip_comments=True,
        link_rel=None,
        url_schemes=set(LINK_SCHEMES),
        filter_style_properties=set(styles),
    )


_KEEP_WITHOUT_MEDIA = _attribute_filter(frozenset())
_WITHOUT_MEDIA = _cleaner(_KEEP_WITHOUT_MEDIA)


def _keep_at_assembly(tag: str, attribute: str, value: str) -> str | None:
    if tag == "img" and attribute == "src":  # the package holds only its own media
        return value if MEDIA_NAME.fullmatch(value) else None
    return _KEEP_WITHOUT_MEDIA(tag, attribute, value)


# The last look at assembly: what ``clean`` keeps, images named as bundled media are, and the
# hidden span of a retired cloze card (``anki.notes.tombstone_fields``).
_GATE = _cleaner(
    _keep_at_assembly,
    {**ALLOWED_ATTRIBUTES, "span": {"class", "style"}},
    frozenset({"text-align", "display"}),
)


# Tags that carry nothing but structure, written exactly so: no attribute that could load,
# link, style or run anything (the display-formula wrapper is ankigen's own). A text made of
# these and of characters other than "<" and ">" cannot hold a script or a remote load, so
# the last look lets it through without parsing it; anything else is parsed by nh3.
_PLAIN_TAG = (
    r"</?(?:p|em|strong|code|pre|blockquote|ul|ol|li|h[1-6]|table|thead|tbody|tr|th|td|del|"
    r"sup|sub|b|i|u|s|span)>|<br>|<hr>|<span class=\"math-display\">"
)
PLAIN_HTML = re.compile(rf"(?:[^<>]++|{_PLAIN_TAG})*+")  # possessive: no backtracking


def _gate_changes(html: str) -> bool:
    """Whether the last look's sanitizer would change ``html`` (compared as text: the
    serializer may spell a character another way, U+00A0 as ``&nbsp;``)."""
    if "<" not in html or PLAIN_HTML.fullmatch(html):
        return False  # no tag, or plain structure only: nothing to remove
    return unescape(_GATE.clean(html)) != unescape(html)


def clean(html: str, media: Collection[str] = ()) -> str:
    """``html`` with everything outside the allow-list removed; ``media``: bundled image names."""
    if not media:
        return _WITHOUT_MEDIA.clean(html)
    return _cleaner(_attribute_filter(frozenset(media))).clean(html)


# Below this many notes, starting worker processes costs more than the last look itself.
PARALLEL_MIN_NOTES = 2000
_LOOKED_AT: Sequence[Sequence[str]] = ()  # what forked workers look at (``unsafe_notes``)


def unsafe_notes(notes: Sequence[Sequence[str]]) -> list[tuple[int, int, str]]:
    """``unsafe_fields`` of every note's texts, as (note index, text index, what); on all
    usable cores for a large deck (the sanitizer holds the interpreter lock)."""
    global _LOOKED_AT
    count = min(usable_cpus(), len(notes) // PARALLEL_MIN_NOTES * 2)
    if count < 2 or sys.platform != "linux":
        return _unsafe_in((0, len(notes)), notes)
    size = -(-len(notes) // count)
    spans = [(start, min(start + size, len(notes))) for start in range(0, len(notes), size)]
    _LOOKED_AT = notes
    try:  # the first span here, the others in forked workers meanwhile
        with multiprocessing.get_context("fork").Pool(count - 1) as pool:
            others = pool.map_async(_unsafe_in, spans[1:])
            parts = [_unsafe_in(spans[0]), *others.get()]
    except OSError:  # no processes to be had (a sandbox): look here
        return _unsafe_in((0, len(notes)), notes)
    finally:
        _LOOKED_AT = ()
    return [found for part in parts for found in part]


# Above this many notes the forked process's copies of the pages it reads (CPython writes
# every object's reference count) would add more to the peak memory, while the package is
# written beside it, than the overlap saves in time: 50,000 notes, +160 MB (measured).
OVERLAP_MAX_NOTES = 20_000


class LaterLook:
    """``unsafe_notes`` of a large deck, found in a forked process while the caller goes on
    (writing the package in memory, say); ``result`` waits for it. Use it in a ``with``
    block, which ends the process however the block ends. A small deck, a very large one
    (``OVERLAP_MAX_NOTES``), or where no process can be forked, is looked at here and now."""

    def __init__(self, notes: Sequence[Sequence[str]]) -> None:
        global _LOOKED_AT
        self._found: list[tuple[int, int, str]] | None = None
        self._pool: Any = None
        size = len(notes)
        if not PARALLEL_MIN_NOTES <= size <= OVERLAP_MAX_NOTES or sys.platform != "linux":
            self._found = unsafe_notes(notes)  # on every core, but now
            return
        if usable_cpus() < 2:
            self._found = _unsafe_in((0, size), notes)
            return
        _LOOKED_AT = notes  # the worker is forked with it
        try:
            self._pool = multiprocessing.get_context("fork").Pool(1)
        except OSError:  # no processes to be had (a sandbox): look here
            self._found = _unsafe_in((0, len(notes)), notes)
            return
        finally:
            _LOOKED_AT = ()
        self._pending = self._pool.apply_async(_unsafe_in, ((0, len(notes)),))

    def result(self) -> list[tuple[int, int, str]]:
        """What the look found, as ``unsafe_notes`` gives it; waits for it."""
        if self._found is None:
            self._found = self._pending.get()
        return self._found

    def __enter__(self) -> LaterLook:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.terminate()
            self._pool.join()


def _unsafe_in(
    span: tuple[int, int], notes: Sequence[Sequence[str]] | None = None
) -> list[tuple[int, int, str]]:
    looked_at = _LOOKED_AT if notes is None else notes
    return [
        (number, index, what)
        for number in range(*span)
        for index, what in unsafe_fields(looked_at[number])
    ]


def unsafe_fields(fields: Sequence[str]) -> list[tuple[int, str]]:
    """``unsafe_parts`` of each of ``fields`` (a note's), as (index, what); the searches that
    need no parse run once over the whole note."""
    joined = "\n".join(fields)  # no search here matches across a line break
    if CONTROL.search(joined) or _guarded(joined):
        return [(index, what) for index, field in enumerate(fields) for what in unsafe_parts(field)]
    if "<" not in joined or PLAIN_HTML.fullmatch(joined):
        return []  # plain structure throughout: one look at the whole note
    return [(index, HTML_REMOVED) for index, field in enumerate(fields) if _gate_changes(field)]


def _guarded(html: str) -> bool:
    r"""Whether ``html`` may name a formula command ``tex.safety`` guards, as MathJax reads
    the text: with its character references decoded (``\&#x68;ref`` is ``\href``)."""
    if GUARDED_NAME.search(html):
        return True
    spelled = "&#" in html or "&bsol" in html.lower()  # a backslash or a letter, by number
    return spelled and GUARDED_NAME.search(unescape(html)) is not None


def unsafe_parts(html: str) -> list[str]:
    """What in ``html``, a finished field, title or description, is not safe to hand a
    learner's Anki: a control character, HTML the sanitizer would remove, a formula that
    ``tex.safety`` refuses. Empty when it is safe as it is."""
    found = []
    control = CONTROL.search(html)
    if control:
        found.append(describe_control(control.group()))
    if _gate_changes(html):
        found.append(HTML_REMOVED)
    if _guarded(html):
        for tex, _ in typeset_formulas(html):
            found.extend(f"formula \\({tex}\\): {message}" for message in hazards(tex))
    return found


class _Inspector(HTMLParser):
    """Lists what ``clean`` removes from raw HTML, with the line (within it) of each thing."""

    def __init__(self, media: Collection[str]) -> None:
        super().__init__(convert_charrefs=True)
        self.media = media
        self.found: list[tuple[int, str]] = []
        self.dropping: list[str] = []

    def report(self, what: str, why: str) -> None:
        self.found.append((self.getpos()[0], f"removed {what}: {why}"))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.dropping:
            if tag in DROPPED_WITH_CONTENT:
                self.dropping.append(tag)
            return
        if tag in DROPPED_WITH_CONTENT:
            why = SCRIPT_REASON if tag in ("script", "noscript", "svg") else UNLISTED_REASON
            if tag in ("iframe", "object", "embed"):
                why = NETWORK_REASON
            self.report(f"<{tag}> and its content", why)
            self.dropping.append(tag)
            return
        if tag not in ALLOWED_TAGS:
            self.report(f"<{tag}> tag (its text stays)", UNLISTED_REASON)
            return
        for name, value in attrs:
            self.attribute(tag, name, value or "")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag in DROPPED_WITH_CONTENT and self.dropping:
            self.dropping.pop()

    def handle_endtag(self, tag: str) -> None:
        if self.dropping and tag == self.dropping[-1]:
            self.dropping.pop()

    def attribute(self, tag: str, name: str, value: str) -> None:
        if name.startswith("on"):
            self.report(f"{name}= from <{tag}>", SCRIPT_REASON)
        elif name not in ALLOWED_ATTRIBUTES.get(tag, set()):
            self.report(f"{name}= from <{tag}>", UNLISTED_REASON)
        elif tag == "img" and name == "src":
            if value.startswith("//") or SCHEME.match(value):
                self.report(f"image {value}", NETWORK_REASON)
            elif value not in self.media:
                self.report(
                    f"src={value!r} from <img>", "write images as ![alt](path) to bundle them"
                )
        elif tag == "a" and name == "href":
            scheme = SCHEME.match(value)
            if scheme and scheme.group(1).lower() not in LINK_SCHEMES:
                why = SCRIPT_REASON if scheme.group(1).lower() == "javascript" else UNLISTED_REASON
                self.report(f"a {scheme.group(1).lower()}: link", why)
        elif name == "class" and not ALLOWED_CLASSES[tag].fullmatch(value):
            self.report(f"class={value!r} from <{tag}>", UNLISTED_REASON)
        elif name == "style" and not TEXT_ALIGN.fullmatch(value):
            self.report(f"style= from <{tag}>", "only text-align is kept")


def removed_parts(raw_html: str, media: Collection[str] = ()) -> list[tuple[int, str]]:
    """What ``clean`` removes from ``raw_html``: (line within it, 1-based; description)."""
    inspector = _Inspector(frozenset(media))
    inspector.feed(raw_html)
    inspector.close()
    return inspector.found


MAX_NESTING = 100  # elements within elements in one field: far beyond any card's need
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)[^>]*?(/?)>")
_VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param"}
    | {"source", "track", "wbr"}
)


def nesting_depth(html: str, limit: int = MAX_NESTING) -> int:
    """How deep elements nest in ``html`` (opening tags less closing ones, void elements
    aside), in one pass; the count stops once it passes ``limit``. The sanitizer takes time
    that grows with the square of the depth: 100,000 nested ``<div>`` or ``>`` would not
    finish, so such a field is refused before it is sanitized. With no more ``<`` than
    ``limit``, no deeper than that: the count is returned unwalked."""
    tags = html.count("<")
    if tags <= limit:
        return tags
    depth = deepest = 0
    for match in _TAG.finditer(html):
        closing, name, self_closing = match.groups()
        if closing:
            depth = max(depth - 1, 0)
        elif not self_closing and name.lower() not in _VOID:
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > limit:
                    break
    return deepest

