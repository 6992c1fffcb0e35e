"""cmark-gfm, GitHub's Markdown renderer, called so that it returns its memory.

``cmarkgfm`` ships the C library, but its Python wrappers never free the document tree or
the HTML string a conversion makes (measured: about 50 KB kept per call of a 1 KB text, so
2.7 GB after 50,000 calls). The library itself is fine, and cmarkgfm's compiled extension
exports its C API, so this module calls that API through cffi (which cmarkgfm itself is
built on) and frees both. Where the extension does not export it, cmarkgfm's own wrapper
renders the same HTML, and the memory it keeps is the price.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import cmarkgfm
from cmarkgfm import _cmark
from cmarkgfm.cmark import Options

OPTIONS = (
    Options.CMARK_OPT_UNSAFE  # raw HTML stays, for the sanitizer to judge
    | Options.CMARK_OPT_TABLE_PREFER_STYLE_ATTRIBUTES  # style="text-align", which it keeps
)
EXTENSIONS = ("table",)  # GitHub's tables; CommonMark otherwise
C_API = """
typedef struct cmark_mem {
    void *(*calloc)(size_t, size_t);
    void *(*realloc)(void *, size_t);
    void (*free)(void *);
} cmark_mem;
typedef struct cmark_node cmark_node;
typedef struct cmark_parser cmark_parser;
typedef struct cmark_syntax_extension cmark_syntax_extension;
typedef struct cmark_llist cmark_llist;
cmark_mem *cmark_get_default_mem_allocator(void);
void cmark_gfm_core_extensions_ensure_registered(void);
cmark_syntax_extension *cmark_find_syntax_extension(const char *name);
cmark_parser *cmark_parser_new(int options);
int cmark_parser_attach_syntax_extension(cmark_parser *parser, cmark_syntax_extension *ext);
void cmark_parser_feed(cmark_parser *parser, const char *buffer, size_t len);
cmark_node *cmark_parser_finish(cmark_parser *parser);
cmark_llist *cmark_parser_get_syntax_extensions(cmark_parser *parser);
char *cmark_render_html(cmark_node *root, int options, cmark_llist *extensions);
void cmark_node_free(cmark_node *node);
void cmark_parser_free(cmark_parser *parser);
"""


def markdown_html(markdown: str) -> str:
    """``markdown`` (CommonMark with GitHub's tables) as HTML, exactly as GitHub renders it."""
    return _renderer()(markdown)


@functools.cache
def _renderer() -> Callable[[str], str]:
    try:
        return _freeing_renderer()
    except (OSError, AttributeError):  # no C API to call: cmarkgfm's wrapper, same HTML
        return _wrapper_renderer


def _wrapper_renderer(markdown: str) -> str:
    return cmarkgfm.markdown_to_html_with_extensions(markdown, OPTIONS, list(EXTENSIONS))


def _freeing_renderer() -> Callable[[str], str]:
    import cffi  # cmarkgfm's own dependency

    ffi = cffi.FFI()
    ffi.cdef(C_API)
    lib = ffi.dlopen(_cmark.__file__)
    lib.cmark_gfm_core_extensions_ensure_registered()
    extensions = [lib.cmark_find_syntax_extension(name.encode()) for name in EXTENSIONS]
    if any(extension == ffi.NULL for extension in extensions):
        raise AttributeError("cmark-gfm without its table extension")
    release = lib.cmark_get_default_mem_allocator().free

    def render(markdown: str) -> str:
        data = markdown.encode("utf-8")
        parser = lib.cmark_parser_new(OPTIONS)
        try:
            for extension in extensions:
                lib.cmark_parser_attach_syntax_extension(parser, extension)
            lib.cmark_parser_feed(parser, data, len(data))
            document = lib.cmark_parser_finish(parser)
            try:
                rendered = lib.cmark_render_html(
                    document, OPTIONS, lib.cmark_parser_get_syntax_extensions(parser)
                )
                try:
                    return ffi.string(rendered).decode("utf-8")
                finally:
                    release(rendered)
            finally:
                lib.cmark_node_free(document)
        finally:
            lib.cmark_parser_free(parser)

    return render
