"""cmark-gfm, GitHub's Markdown renderer: one parse gives the HTML, the images and raw HTML.

``cmarkgfm`` ships the C library, but its Python wrappers render only, and never free the
document tree or the HTML string a conversion makes (measured: about 50 KB kept per call of
a 1 KB text, so 2.7 GB after 50,000 calls). The library itself is fine, and cmarkgfm's
compiled extension exports its C API (on Linux, macOS and Windows), so this module calls
that API through cffi, which cmarkgfm itself is built on: it parses once, lets the caller
see each image (to bundle its file, with the line it is on) and each piece of raw HTML
(to report what the sanitizer will remove), renders the same tree, and frees everything.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cmarkgfm import _cmark
from cmarkgfm.cmark import Options

OPTIONS = (
    Options.CMARK_OPT_UNSAFE  # raw HTML stays, for the sanitizer to judge
    | Options.CMARK_OPT_TABLE_PREFER_STYLE_ATTRIBUTES  # style="text-align", which it keeps
)
EXTENSIONS = ("table",)  # GitHub's tables; CommonMark otherwise
INSPECT_MARKS = ("![", "<")  # text without these has no image and no raw HTML to look at
C_API = """
typedef struct cmark_mem {
    void *(*calloc)(size_t, size_t);
    void *(*realloc)(void *, size_t);
    void (*free)(void *);
} cmark_mem;
typedef struct cmark_node cmark_node;
typedef struct cmark_parser cmark_parser;
typedef struct cmark_iter cmark_iter;
typedef struct cmark_syntax_extension cmark_syntax_extension;
typedef struct cmark_llist cmark_llist;
typedef enum { CMARK_EVENT_NONE, CMARK_EVENT_DONE, CMARK_EVENT_ENTER, CMARK_EVENT_EXIT }
    cmark_event_type;
cmark_mem *cmark_get_default_mem_allocator(void);
void cmark_gfm_core_extensions_ensure_registered(void);
cmark_syntax_extension *cmark_find_syntax_extension(const char *name);
cmark_parser *cmark_parser_new(int options);
int cmark_parser_attach_syntax_extension(cmark_parser *parser, cmark_syntax_extension *ext);
void cmark_parser_feed(cmark_parser *parser, const char *buffer, size_t len);
cmark_node *cmark_parser_finish(cmark_parser *parser);
cmark_llist *cmark_parser_get_syntax_extensions(cmark_parser *parser);
void cmark_parser_free(cmark_parser *parser);
char *cmark_render_html(cmark_node *root, int options, cmark_llist *extensions);
void cmark_node_free(cmark_node *node);
cmark_iter *cmark_iter_new(cmark_node *root);
cmark_event_type cmark_iter_next(cmark_iter *iter);
cmark_node *cmark_iter_get_node(cmark_iter *iter);
void cmark_iter_free(cmark_iter *iter);
int cmark_node_get_type(cmark_node *node);
const char *cmark_node_get_type_string(cmark_node *node);
int cmark_node_get_start_line(cmark_node *node);
const char *cmark_node_get_url(cmark_node *node);
int cmark_node_set_url(cmark_node *node, const char *url);
const char *cmark_node_get_literal(cmark_node *node);
"""
# what each of cmark's functions above is called; all are looked up before the first use
FUNCTIONS = tuple(
    line.split("(")[0].split()[-1].lstrip("*")
    for line in C_API.splitlines()
    if "(" in line and not line.startswith(("typedef", " "))
)

ImageHook = Callable[[str, int], str | None]  # (destination, line) → new destination or None


@dataclass(frozen=True)
class Rendered:
    """The HTML of a Markdown text, and its raw HTML with the line (1-based) of each piece."""

    html: str
    raw_html: tuple[tuple[int, str], ...] = ()


class CmarkUnavailable(RuntimeError):
    """cmarkgfm's extension does not give access to cmark-gfm's C API."""


def render(markdown: str, image: ImageHook | None = None) -> Rendered:
    """``markdown`` (CommonMark with GitHub's tables) as HTML, exactly as GitHub renders it.

    ``image(destination, line)`` hears of every image, in document order, and may return
    the destination to write instead (``None``: keep it).
    """
    return _library().render(markdown, image)


@functools.cache
def _library() -> _Cmark:
    try:
        return _Cmark()
    except (OSError, AttributeError) as exc:
        raise CmarkUnavailable(
            f"ankigen renders Markdown with cmark-gfm's C API, which this cmarkgfm's extension "
            f"({_cmark.__file__}) does not provide: {exc}"
        ) from exc


class _Cmark:
    """cmark-gfm's C API, as loaded from cmarkgfm's extension."""

    def __init__(self) -> None:
        import cffi  # cmarkgfm's own dependency

        self.ffi = ffi = cffi.FFI()
        ffi.cdef(C_API)
        self.lib = lib = ffi.dlopen(_cmark.__file__)
        for name in FUNCTIONS:  # a missing one fails here, not halfway through a render
            getattr(lib, name)
        lib.cmark_gfm_core_extensions_ensure_registered()
        self.extensions = [lib.cmark_find_syntax_extension(name.encode()) for name in EXTENSIONS]
        if any(extension == ffi.NULL for extension in self.extensions):
            raise AttributeError("cmark-gfm without its table extension")
        self.release = lib.cmark_get_default_mem_allocator().free
        self.kinds = self._node_kinds()

    def _node_kinds(self) -> dict[int, str]:
        """The numbers cmark gives the node types this module looks for, by their names."""
        kinds: dict[int, str] = {}

        def note(node: Any, line: int) -> None:
            name = self.ffi.string(self.lib.cmark_node_get_type_string(node)).decode()
            kinds[self.lib.cmark_node_get_type(node)] = name

        self._parse("![i](u) <b>\n\n<div>\n</div>\n", note)
        wanted = {"image", "html_inline", "html_block"}
        found = {number: name for number, name in kinds.items() if name in wanted}
        if set(found.values()) != wanted:
            raise AttributeError(f"unexpected node types {sorted(kinds.values())}")
        return found

    def render(self, markdown: str, image: ImageHook | None) -> Rendered:
        raw_html: list[tuple[int, str]] = []
        visit = None
        if any(mark in markdown for mark in INSPECT_MARKS):

            def visit(node: Any, line: int) -> None:
                kind = self.kinds.get(self.lib.cmark_node_get_type(node))
                if kind == "image" and image is not None:
                    new = image(self._text(self.lib.cmark_node_get_url(node)), line)
                    if new is not None:
                        self.lib.cmark_node_set_url(node, new.encode("utf-8"))
                elif kind in ("html_inline", "html_block"):
                    raw_html.append((line, self._text(self.lib.cmark_node_get_literal(node))))

        html = self._parse(markdown, visit, render=True)
        return Rendered(html, tuple(raw_html))

    def _text(self, pointer: Any) -> str:
        return "" if pointer == self.ffi.NULL else self.ffi.string(pointer).decode("utf-8")

    def _parse(
        self, markdown: str, visit: Callable[[Any, int], None] | None, *, render: bool = False
    ) -> str:
        """Parse ``markdown``, show ``visit`` every node, and render it if asked; free all."""
        lib, ffi = self.lib, self.ffi
        data = markdown.encode("utf-8")
        parser = lib.cmark_parser_new(OPTIONS)
        if parser == ffi.NULL:
            raise MemoryError("cmark-gfm could not make a parser")
        try:
            for extension in self.extensions:
                lib.cmark_parser_attach_syntax_extension(parser, extension)
            lib.cmark_parser_feed(parser, data, len(data))
            document = lib.cmark_parser_finish(parser)
            if document == ffi.NULL:
                raise MemoryError("cmark-gfm could not parse the text")
            try:
                if visit is not None:
                    self._walk(document, visit)
                if not render:
                    return ""
                extensions = lib.cmark_parser_get_syntax_extensions(parser)
                html = lib.cmark_render_html(document, OPTIONS, extensions)
                if html == ffi.NULL:
                    raise MemoryError("cmark-gfm could not render the text")
                try:
                    return ffi.string(html).decode("utf-8")
                finally:
                    self.release(html)
            finally:
                lib.cmark_node_free(document)
        finally:
            lib.cmark_parser_free(parser)

    def _walk(self, document: Any, visit: Callable[[Any, int], None]) -> None:
        lib = self.lib
        iterator = lib.cmark_iter_new(document)
        try:
            while (event := lib.cmark_iter_next(iterator)) != lib.CMARK_EVENT_DONE:
                if event == lib.CMARK_EVENT_ENTER:
                    node = lib.cmark_iter_get_node(iterator)
                    visit(node, lib.cmark_node_get_start_line(node))
        finally:
            lib.cmark_iter_free(iterator)
