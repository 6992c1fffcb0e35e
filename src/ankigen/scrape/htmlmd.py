"""A note field's HTML as Markdown, for ``ankigen adopt``, when it converts without loss.

Only what Markdown says the same way is converted: text, paragraphs (``<p>``, ``<div>``),
line breaks, emphasis, inline code and code blocks, lists without nesting, simple tables
with a header row, images, and MathJax ``\\(…\\)``/``\\[…\\]`` (as ``$…$``/``$$…$$``).
Anything else (a styled span, a link, a nested list) gives ``None``: the field stays HTML.

``canonical`` is what two fields must share to count as the same: the caller renders the
Markdown again and compares (``commands.adopt``), so a conversion that would not come back
is never used.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from html.parser import HTMLParser

INLINE_MARKS = {"b": "**", "strong": "**", "i": "*", "em": "*"}
BLOCKS = ("p", "div")
MATH = re.compile(r"\\\((.+?)\\\)|\\\[(.+?)\\\]", re.DOTALL)
ESCAPED = re.compile(r"([\\`*_<>#|~$])")
LINE_START = re.compile(r"^(\s*)([-+]|\d+[.)])(?=\s|$)", re.MULTILINE)
SYNONYMS = {"b": "strong", "i": "em", "div": "p"}
Node = tuple[str, dict[str, str], list["Node | str"]]
VOID = frozenset({"br", "img", "hr"})


class _Tree(HTMLParser):
    """Parse HTML into ``(tag, attributes, children)`` nodes; ``ok`` is false for HTML too
    broken to convert (an end tag without its start)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root: Node = ("", {}, [])
        self.stack = [self.root]
        self.ok = True

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node: Node = (tag, {k: v or "" for k, v in attrs}, [])
        self.stack[-1][2].append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1][2].append((tag, {k: v or "" for k, v in attrs}, []))

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        if len(self.stack) > 1 and self.stack[-1][0] == tag:
            self.stack.pop()
        else:
            self.ok = False

    def handle_data(self, data: str) -> None:
        self.stack[-1][2].append(data)


def parse(text: str) -> Node | None:
    """The tree of ``text``, or ``None`` when its tags do not nest."""
    tree = _Tree()
    tree.feed(text)
    tree.close()
    return tree.root if tree.ok and len(tree.stack) == 1 else None


class _Unsupported(Exception):
    """Something Markdown cannot say the same way."""


def to_markdown(text: str, media_path: Callable[[str], str | None]) -> str | None:
    """``text`` (a field's HTML) as Markdown, or ``None`` when it holds something Markdown
    cannot say the same way. ``media_path(src)``: the path an image is written under
    relative to the card file, ``None`` for one that is not in the package."""
    root = parse(text)
    if root is None:
        return None
    try:
        blocks = _blocks(root[2], media_path)
    except _Unsupported:
        return None
    return "\n\n".join(block for block in blocks if block.strip()).strip()


def _blocks(children: list[Node | str], media_path: Callable[[str], str | None]) -> list[str]:
    blocks: list[str] = []
    line: list[Node | str] = []

    def flush() -> None:
        if line:
            blocks.append(_inline(line, media_path).strip())
            line.clear()

    for child in children:
        if isinstance(child, str) or child[0] not in (*BLOCKS, "ul", "ol", "pre", "table", "hr"):
            line.append(child)
            continue
        flush()
        tag, attrs, inner = child
        if attrs and tag != "pre":
            raise _Unsupported(tag)
        if tag in BLOCKS:
            blocks.extend(_blocks(inner, media_path))
        elif tag in ("ul", "ol"):
            blocks.append(_list(tag, inner, media_path))
        elif tag == "pre":
            blocks.append(_code_block(inner))
        elif tag == "hr":
            blocks.append("---")
        else:
            blocks.append(_table(inner, media_path))
    flush()
    return blocks


def _inline(nodes: list[Node | str], media_path: Callable[[str], str | None]) -> str:
    out = []
    for node in nodes:
        if isinstance(node, str):
            out.append(_text(node))
            continue
        tag, attrs, inner = node
        if tag == "br" and not attrs:
            out.append("\\\n")
        elif tag in INLINE_MARKS and not attrs:
            body = _inline(inner, media_path)
            if not body.strip() or body != body.strip():
                raise _Unsupported(tag)
            out.append(f"{INLINE_MARKS[tag]}{body}{INLINE_MARKS[tag]}")
        elif tag == "code" and not attrs and all(isinstance(c, str) for c in inner):
            code = "".join(str(c) for c in inner)
            if "`" in code or not code.strip() or "\n" in code:
                raise _Unsupported(tag)
            out.append(f"`{code}`")
        elif tag == "img" and set(attrs) <= {"src", "alt"}:
            path = media_path(attrs.get("src", ""))
            if path is None or any(c in attrs.get("alt", "") for c in "[]\\"):
                raise _Unsupported(tag)
            out.append(f"![{attrs.get('alt', '')}](<{path}>)")
        else:
            raise _Unsupported(tag)
    return "".join(out)


def _text(text: str) -> str:
    """Text as Markdown: formulas as ``$…$``/``$$…$$``, Markdown's own marks escaped."""
    parts = []
    at = 0
    for match in MATH.finditer(text):
        parts.append(_plain(text[at : match.start()]))
        inline, display = match.group(1), match.group(2)
        tex = inline if inline is not None else display
        if tex != tex.strip() or "$" in tex or "\n\n" in tex:
            raise _Unsupported("formula")
        parts.append(f"${tex}$" if inline is not None else f"$${tex}$$")
        at = match.end()
    parts.append(_plain(text[at:]))
    return "".join(parts)


def _plain(text: str) -> str:
    if "\\(" in text or "\\[" in text or "\n" in text.strip():
        raise _Unsupported("text")
    escaped = ESCAPED.sub(r"\\\1", text.replace("\n", " "))
    return LINE_START.sub(lambda m: m.group(1) + "\\" + m.group(2), escaped)


def _list(tag: str, items: list[Node | str], media_path: Callable[[str], str | None]) -> str:
    lines = []
    for number, item in enumerate((i for i in items if not _blank(i)), start=1):
        if isinstance(item, str) or item[0] != "li" or item[1]:
            raise _Unsupported("list")
        if any(
            not isinstance(c, str) and c[0] not in (*INLINE_MARKS, "code", "img", "br")
            for c in item[2]
        ):
            raise _Unsupported("list")
        marker = f"{number}." if tag == "ol" else "-"
        lines.append(f"{marker} {_inline(item[2], media_path).strip()}")
    if not lines:
        raise _Unsupported("list")
    return "\n".join(lines)


def _code_block(inner: list[Node | str]) -> str:
    if len(inner) != 1 or isinstance(inner[0], str) or inner[0][0] != "code" or inner[0][1]:
        raise _Unsupported("pre")
    code_children = inner[0][2]
    if not all(isinstance(c, str) for c in code_children):
        raise _Unsupported("pre")
    code = "".join(str(c) for c in code_children)
    if "```" in code:
        raise _Unsupported("pre")
    return f"```\n{code.rstrip(chr(10))}\n```"


def _table(inner: list[Node | str], media_path: Callable[[str], str | None]) -> str:
    rows: list[list[str]] = []
    header = False
    for part in inner:
        if _blank(part):
            continue
        if isinstance(part, str) or part[0] not in ("thead", "tbody", "tr") or part[1]:
            raise _Unsupported("table")
        for row in [part] if part[0] == "tr" else part[2]:
            if _blank(row):
                continue
            if isinstance(row, str) or row[0] != "tr" or row[1]:
                raise _Unsupported("table")
            cells = [c for c in row[2] if not _blank(c)]
            if any(isinstance(c, str) or c[0] not in ("td", "th") or c[1] for c in cells):
                raise _Unsupported("table")
            if not rows:
                header = all(not isinstance(c, str) and c[0] == "th" for c in cells)
            rows.append(
                [_inline(list(c[2]), media_path).strip() for c in cells if not isinstance(c, str)]
            )
    if not header or not rows or len({len(r) for r in rows}) != 1:
        raise _Unsupported("table")
    lines = ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0])]
    lines.extend("| " + " | ".join(r) + " |" for r in rows[1:])
    return "\n".join(lines)


def _blank(node: Node | str) -> bool:
    return isinstance(node, str) and not node.strip()


def canonical(text: str, media_name: Callable[[str], str] = lambda name: name) -> str | None:
    """What two fields must share to show the same: their tags (``<b>`` as ``<strong>``,
    ``<div>`` as ``<p>``; ankigen's wrapper of display formulas left out), image names
    (mapped by ``media_name``) and text with runs of white space made one space."""
    root = parse(text)
    if root is None:
        return None
    out: list[str] = []

    def walk(nodes: list[Node | str]) -> None:
        for node in nodes:
            if isinstance(node, str):
                out.append(html.escape(node, quote=False))
                continue
            tag, attrs, inner = node
            if tag == "span" and attrs == {"class": "math-display"}:
                walk(inner)
                continue
            if tag in ("thead", "tbody"):  # Markdown's tables have them, HTML's may not
                walk(inner)
                continue
            tag = SYNONYMS.get(tag, tag)
            shown = {
                k: media_name(v) if k == "src" else v
                for k, v in sorted(attrs.items())
                if v or k != "alt"
            }
            out.append(f"<{tag} {shown}>" if shown else f"<{tag}>")
            walk(inner)
            if tag not in VOID:
                out.append(f"</{tag}>")

    walk(root[2])
    joined = " ".join("".join(out).split())
    joined = SOUND.sub(lambda m: f"[sound:{media_name(m.group(1))}]", joined)
    joined = BLOCK_TAG.sub(r"\1", joined)
    joined = PARAGRAPH.sub("\u00b6", joined)  # a paragraph's bounds: one mark between blocks
    joined = re.sub("\u00b6+", "\u00b6", joined).strip("\u00b6")
    return joined.strip()


SOUND = re.compile(r"\[sound:([^\]]*)\]")
BLOCK_TAG = re.compile(r" ?(</?(?:p|ul|ol|li|table|thead|tbody|tr|td|th|pre|br|hr)\b[^>]*>) ?")
PARAGRAPH = re.compile(r"</?p>")
