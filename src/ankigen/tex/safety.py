"""Render stage, formula safety: what a formula may make MathJax do on a learner's device.

Anki loads MathJax's full TeX bundle, and not MathJax's ``safe`` extension. So a few TeX
commands write HTML that the sanitizer never sees, because MathJax makes it on the learner's
device: ``\\href`` makes a link (``javascript:`` runs a script when tapped), ``\\style`` and
the style part of ``\\bbox`` set any CSS (``url(…)`` loads from the network at every review),
``\\class`` and ``\\cssId`` set names that Anki's own page uses, ``\\mmlToken`` sets any of
those as attributes, and ``\\require`` loads code from the network.

The rules below mirror what MathJax's ``safe`` extension allows with its default options
(``mathjax-full/ts/ui/safe``), a little stricter where a learner gains nothing:

- ``\\href{URL}`` (and ``\\mmlToken``'s ``href``, ``src``, ``altimg``): ``http://`` or
  ``https://`` only (safe also allows ``file:`` and relative links, which point at nothing on
  a phone);
- ``\\style{CSS}``, ``\\bbox[…, CSS]`` and ``style=``: only the properties safe allows, with
  plain values: no ``url()`` or other CSS function but ``rgb()``/``hsl()``, no escapes;
- ``\\class{NAME}`` and ``\\cssId{ID}``: names starting with ``mjx-``, as safe requires;
- ``data-`` attributes only as ``data-mjx-…``, no ``on…`` handler; ``\\require`` never.

The arguments of these commands must be written out where the command stands: a macro
parameter (``#1``) or a control sequence in them, or the command without its braces (as in
``\\let\\h\\href``), is refused, since no check could see what it receives. ``hazards`` reads
only the formula's text, so the same rule serves the check stage and the last look at
assembly (``render.sanitize.unsafe_parts``), whatever a cache says.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from html.parser import HTMLParser

from ankigen.tex.reader import matching_brace, option_end, skip_spaces

CONTROL_SEQUENCE = re.compile(r"\\(?:[A-Za-z]+|.)", re.DOTALL)
GUARDED = frozenset({"href", "style", "class", "cssId", "mmlToken", "bbox", "require"})
GUARDED_NAME = re.compile(r"\\(?:href|style|class|cssId|mmlToken|bbox|require)(?![A-Za-z])")
SAFE_URL = re.compile(r"https?://[^\s\x00-\x20\x7f\\\"'<>`]+", re.IGNORECASE)
SAFE_NAME = re.compile(r"mjx-[-a-zA-Z0-9_.]+")
BBOX_COLOR = re.compile(r"([a-z0-9]+|#[0-9a-f]{6}|#[0-9a-f]{3})", re.IGNORECASE)
BBOX_STYLE = re.compile(r"[-a-z]+:", re.IGNORECASE)
MACRO_PARAMETER = re.compile(r"#(?:[0-9]|#)")
UNREADABLE = "\\"  # an option that holds a control sequence: what it becomes is unknown
# MathJax's safe extension: safeStyles, with border, margin, padding and outline by side
_SIDES = ("", "-top", "-right", "-bottom", "-left")
SAFE_PROPERTIES = frozenset(
    {"color", "background-color", "cursor", "text-shadow", "opacity"}
    | {"font-family", "font-size", "font-style", "font-weight"}
    | {f"{box}{side}" for box in ("margin", "padding") for side in _SIDES}
    | {f"{line}{side}{part}" for line in ("border", "outline") for side in _SIDES
       for part in ("", "-color", "-style", "-width")}
)  # fmt: skip
STYLE_VALUE = re.compile(r"[A-Za-z0-9\s#%.,'\"()+-]*")
CSS_FUNCTION = re.compile(r"([A-Za-z-]*)\s*\(")
SAFE_FUNCTIONS = frozenset({"rgb", "rgba", "hsl", "hsla"})
URL_ATTRIBUTES = frozenset({"href", "src", "altimg"})
ATTRIBUTE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9-]*")


def hazards(tex: str) -> list[str]:
    """What in ``tex`` (as MathJax reads it) could run a script, load from the network or
    reach outside the card on a learner's device; one message for each, empty when none."""
    if not GUARDED_NAME.search(tex):
        return []
    found: list[str] = []
    for match in CONTROL_SEQUENCE.finditer(tex):
        name = match.group(0)[1:]
        if name in GUARDED:
            found.extend(_RULES[name](tex, match.end()))
    return list(dict.fromkeys(found))


def _href(tex: str, i: int) -> list[str]:
    url, _ = _group(tex, i)
    if url is None:
        return [_unwritten("href", "{https://…}{text}")]
    return [] if _url_ok(url) else [_bad_url("`\\href`", url)]


def _style(tex: str, i: int) -> list[str]:
    css, _ = _group(tex, i)
    if css is None:
        return [_unwritten("style", "{color: red}{x}")]
    return [f"`\\style`: {message}" for message in style_problems(css)]


def _class(tex: str, i: int) -> list[str]:
    names, _ = _group(tex, i)
    if names is None:
        return [_unwritten("class", "{mjx-name}{x}")]
    return [_bad_class("\\class", name) for name in names.split() if not SAFE_NAME.fullmatch(name)]


def _css_id(tex: str, i: int) -> list[str]:
    name, _ = _group(tex, i)
    if name is None:
        return [_unwritten("cssId", "{mjx-name}{x}")]
    return [] if SAFE_NAME.fullmatch(name) else [_bad_id("\\cssId", name)]


def _bbox(tex: str, i: int) -> list[str]:
    spec, _ = _brackets(tex, i)
    if spec is None:
        return [] if _next_char(tex, i) not in ("", "}") else [_unwritten("bbox", "[red]{x}")]
    if spec == UNREADABLE:
        return [_unwritten("bbox", "[red]{x}")]
    found: list[str] = []
    for part in spec.split(","):
        part = part.strip()
        if BBOX_STYLE.match(part):
            found.extend(f"`\\bbox`: {message}" for message in style_problems(part))
        elif MACRO_PARAMETER.search(part) and not BBOX_COLOR.fullmatch(part):
            found.append(_unwritten("bbox", "[red]{x}"))
    return found


def _mml_token(tex: str, i: int) -> list[str]:
    kind, i = _group(tex, i)
    if kind is None:
        return [_unwritten("mmlToken", "{mi}[mathvariant=bold]{x}")]
    attributes, _ = _brackets(tex, i)
    if attributes is None:
        return []
    if attributes == UNREADABLE:
        return [_unwritten("mmlToken", "{mi}[mathvariant=bold]{x}")]
    found: list[str] = []
    for key, value in _key_values(attributes):
        where = f"`\\mmlToken` attribute `{key}`"
        lowered = key.lower()
        if not ATTRIBUTE_NAME.fullmatch(key) or lowered.startswith("on"):
            found.append(f"{where} is not allowed: it could run a script on a learner's device")
        elif lowered in URL_ATTRIBUTES:
            if not _url_ok(value):
                found.append(_bad_url(where, value))
        elif lowered == "class":
            found.extend(_bad_class(where, n) for n in value.split() if not SAFE_NAME.fullmatch(n))
        elif lowered == "id" and not SAFE_NAME.fullmatch(value):
            found.append(_bad_id(where, value))
        elif lowered == "style":
            found.extend(f"{where}: {message}" for message in style_problems(value))
        elif lowered.startswith("data-") and not lowered.startswith("data-mjx-"):
            found.append(f"{where}: MathJax's safe mode allows only `data-mjx-` attributes")
    return found


def _require(tex: str, i: int) -> list[str]:
    return [
        "`\\require` loads MathJax extensions from the network at review time (and fails "
        "offline): remove it; Anki's MathJax already has every package ankigen checks against"
    ]


_RULES: dict[str, Callable[[str, int], list[str]]] = {
    "href": _href,
    "style": _style,
    "class": _class,
    "cssId": _css_id,
    "bbox": _bbox,
    "mmlToken": _mml_token,
    "require": _require,
}


def style_problems(css: str) -> list[str]:
    """What is not allowed in the CSS declarations ``css`` of a formula; empty when none."""
    if "\\" in css or MACRO_PARAMETER.search(css):
        return ["the style must be written out: no macro parameters (#1) or backslashes"]
    found = []
    for declaration in css.split(";"):
        if not declaration.strip():
            continue
        name, colon, value = declaration.partition(":")
        name = name.strip().lower()
        if not colon or name not in SAFE_PROPERTIES:
            found.append(
                f"`{name or declaration.strip()}` is not a property formulas may set (only "
                "colours, borders, margins, padding, fonts, opacity and cursor, as in MathJax's "
                "safe mode)"
            )
            continue
        functions = {f.lower() for f in CSS_FUNCTION.findall(value)}
        if "url" in functions:
            found.append(
                f"`{declaration.strip()}` would load from the network at every review "
                "(failing offline, revealing the learner's IP address)"
            )
        elif not STYLE_VALUE.fullmatch(value) or functions - SAFE_FUNCTIONS:
            found.append(
                f"`{declaration.strip()}`: write a plain value (a colour, a length, a name; "
                "of CSS functions only rgb() and hsl())"
            )
    return found


def _url_ok(url: str) -> bool:
    return bool(SAFE_URL.fullmatch(url)) and not MACRO_PARAMETER.search(url)


def _bad_url(where: str, url: str) -> str:
    shown = url if len(url) <= 40 else url[:39] + "…"
    return (
        f"{where} links only to http:// or https:// addresses, not `{shown}`: a javascript:, "
        "data:, file: or relative link could run a script or open files on a learner's device"
    )


def _bad_class(where: str, name: str) -> str:
    return (
        f"`{where}` name `{name}`: formulas may use only class names starting with `mjx-` "
        "(as in MathJax's safe mode); colour text with \\color, box it with \\bbox"
    )


def _bad_id(where: str, name: str) -> str:
    return (
        f"`{where}` `{name}`: formulas may use only ids starting with `mjx-` (as in MathJax's "
        "safe mode): another id could take the place of one Anki's own page uses"
    )


def _unwritten(name: str, example: str) -> str:
    return (
        f"`\\{name}` needs its arguments written out right after it, like `\\{name}{example}`: "
        "passed through a macro parameter (#1), \\let or \\def, they cannot be checked"
    )


def _next_char(tex: str, i: int) -> str:
    i = skip_spaces(tex, i)
    return tex[i] if i < len(tex) else ""


def _group(tex: str, i: int) -> tuple[str | None, int]:
    """The text of the ``{…}`` group at ``i`` (after spaces), and where it ends; ``None``
    when there is none, or when it holds a macro parameter or a control sequence."""
    i = skip_spaces(tex, i)
    if i >= len(tex) or tex[i] != "{":
        return None, i
    end = matching_brace(tex, i)
    if end is None:
        return None, len(tex)
    body = tex[i + 1 : end]
    if "\\" in body or MACRO_PARAMETER.search(body):
        return None, end + 1
    return body, end + 1


def _brackets(tex: str, i: int) -> tuple[str | None, int]:
    """The text of the ``[…]`` option at ``i`` (after spaces), as MathJax's GetBrackets
    reads it (braces inside are kept whole), and where it ends; ``None`` when there is none.
    An option holding a control sequence comes back as ``UNREADABLE``."""
    i = skip_spaces(tex, i)
    if i >= len(tex) or tex[i] != "[":
        return None, i
    end, _ = option_end(tex, i)
    if end is None:  # MathJax stops with an error: the check stage reports it
        return UNREADABLE, len(tex)
    body = tex[i + 1 : end]
    return (UNREADABLE if "\\" in body else body), end + 1


def _key_values(text: str) -> list[tuple[str, str]]:
    """``key=value`` pairs separated by commas, as MathJax's keyvalOptions splits them (commas
    inside quotes or braces do not split; quotes and braces around a value are dropped)."""
    pairs = []
    for item in _split_top_level(text):
        key, _, value = item.partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] + value[-1] in ('""', "''", "{}"):
            value = value[1:-1]
        pairs.append((key.strip(), value))
    return pairs


def _split_top_level(text: str) -> list[str]:
    items, depth, quote, start = [], 0, "", 0
    for k, char in enumerate(text):
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
        elif char == "," and depth == 0:
            items.append(text[start:k])
            start = k + 1
    items.append(text[start:])
    return [item for item in items if item.strip()]


# What MathJax (its HTMLDomStrings and FindTeX, as Anki configures them) reads as math in a
# field: text outside these tags, joined across <br> and <wbr> and split at any other tag.
SKIPPED_TAGS = frozenset(
    {"script", "noscript", "style", "textarea", "pre", "code", "annotation", "annotation-xml"}
)
JOINED_TAGS = {"br": "\n", "wbr": ""}
MATH_START = re.compile(r"\\[(\[]")
MATH_TOKEN = re.compile(r"\\.|[{}]", re.DOTALL)


class _MathStrings(HTMLParser):
    """The runs of text MathJax searches for delimiters, as it cuts them out of a field."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.strings: list[str] = []
        self.current: list[str] = []
        self.skipping = 0

    def push(self) -> None:
        if self.current:
            self.strings.append("".join(self.current))
            self.current = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in JOINED_TAGS:
            if not self.skipping:
                self.current.append(JOINED_TAGS[tag])
            return
        self.push()
        if tag in SKIPPED_TAGS:
            self.skipping += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in JOINED_TAGS:
            self.handle_starttag(tag, attrs)
        else:
            self.push()

    def handle_endtag(self, tag: str) -> None:
        if tag in JOINED_TAGS:
            return
        self.push()
        if tag in SKIPPED_TAGS and self.skipping:
            self.skipping -= 1

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.current.append(data)


def typeset_formulas(html: str) -> list[tuple[str, bool]]:
    """Every formula Anki's MathJax will typeset in the field ``html``: its TeX as MathJax
    reads it, and whether it is display math."""
    parser = _MathStrings()
    parser.feed(html)
    parser.close()
    parser.push()
    found = []
    for text in parser.strings:
        i = 0
        while start := MATH_START.search(text, i):
            close = "\\)" if start.group() == "\\(" else "\\]"
            end = _math_end(text, start.end(), close)
            if end is None:
                i = start.end()
                continue
            found.append((text[start.end() : end], close == "\\]"))
            i = end + 2
    return found


def _math_end(text: str, i: int, close: str) -> int | None:
    """Where ``close`` ends the formula that starts at ``i``, outside braces, as FindTeX finds
    it; ``None`` when it never does."""
    braces = 0
    for token in MATH_TOKEN.finditer(text, i):
        part = token.group()
        if part == close and not braces:
            return token.start()
        if part == "{":
            braces += 1
        elif part == "}" and braces:
            braces -= 1
    return None
