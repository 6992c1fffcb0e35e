"""Render stage: what in an author's card template could run a script or load from the web.

A note type's templates run on every learner's device (Anki desktop and AnkiMobile run
scripts in cards). ankigen's own templates hold neither; an author's templates
(``note_types: … templates:``) are checked here, at their lines: no script, no event
handler, no frame or embedded object, no ``<style>`` (the type's ``css:`` is checked CSS),
and no address with a scheme (``https:``, ``//``, ``javascript:``, ``data:``) in an
attribute that loads or links. Anki's ``{{…}}`` tags are read as text.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

BANNED_TAGS = frozenset(
    {
        "script",
        "iframe",
        "frame",
        "frameset",
        "object",
        "embed",
        "applet",
        "link",
        "meta",
        "base",
        "form",
        "style",
        "svg",
        "math",
        "template",
        "portal",
    }
)
LOADING = frozenset(
    {
        "src",
        "href",
        "srcset",
        "poster",
        "data",
        "action",
        "formaction",
        "background",
        "xlink:href",
        "lowsrc",
        "ping",
        "cite",
        "longdesc",
        "manifest",
        "codebase",
    }
)
SCHEME = re.compile(r"^\s*(?:[a-z][a-z0-9+.-]*:|//|\\\\)", re.I)
STYLE_LOAD = re.compile(r"url\s*\(|expression\s*\(|@import|\\", re.I)
TAG = re.compile(r"\{\{.*?\}\}", re.S)


FIELD_IN_TAG = re.compile(r"<[^<>]*\{\{[^<>]*>")
TAG_NAME = re.compile(r"</?\s*([^\s>/]*)")
ATTRIBUTE = re.compile(r"""([^\s=/>]+)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s>]*))?""")


def template_hazards(text: str) -> list[tuple[int, str]]:
    """(line, what) for each part of the template ``text`` that could run or load."""
    finder = _Finder()
    finder.feed(TAG.sub(lambda m: "x" * len(m.group(0)), text))
    finder.close()
    return sorted(finder.found + _fields_in_tags(text))


def _fields_in_tags(text: str) -> list[tuple[int, str]]:
    """A field's text goes into the card as it is: inside a tag it could spell any tag name
    (``<scr{{X}}ipt>``), attribute or address. Only a quoted value of an attribute that
    neither loads, links, runs nor styles may hold one (``class="{{Kind}}"``)."""
    found = []
    for match in FIELD_IN_TAG.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        tag = match.group(0)[:-1]
        name = TAG_NAME.match(tag)
        assert name is not None  # the pattern matches any text after "<"
        if "{{" in name.group(1):
            found.append((line, "a field inside a tag's name could make it any tag"))
            continue
        for attribute in ATTRIBUTE.finditer(tag, name.end()):
            key, value = attribute.group(1).lower(), attribute.group(2) or ""
            quoted = value[:1] in ("'", '"')
            if "{{" in key or ("{{" in value and not quoted):
                found.append((line, "a field in a tag outside a quoted attribute value"))
            elif "{{" in value and (key in LOADING or key.startswith("on") or key == "style"):
                found.append((line, f"a field in {key}= could load, link or run anything"))
    return found


class _Finder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[int, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        line = self.getpos()[0]
        if tag in BANNED_TAGS:
            self.found.append((line, f"<{tag}> could run a script or load from the web"))
        for name, value in attrs:
            value = value or ""
            if name.startswith("on"):
                self.found.append((line, f"{name}= on <{tag}> would run a script"))
            elif name in LOADING and SCHEME.match(value) and not value.startswith("#"):
                self.found.append(
                    (
                        line,
                        f"{name}={value[:60]!r} on <{tag}> names an address: media "
                        "belong in the cards folder",
                    )
                )
            elif name == "style" and STYLE_LOAD.search(value):
                self.found.append((line, f"style= on <{tag}> may load or run: move it to CSS"))

    handle_startendtag = handle_starttag
