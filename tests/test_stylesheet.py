"""A note type's stylesheet: fonts and images it names are bundled under ``_ankigen-`` names
and its urls rewritten; whatever could load from outside the package or leave the
``<style>`` element is an error at its line, every one in one run."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from ankigen.render.media import style_media_name
from ankigen.render.stylesheet import (
    MAX_CSS_BYTES,
    MAX_FILE_BYTES,
    SAVE_INSIDE,
    Stylesheet,
    load_stylesheet,
)

FONT = b"wOF2 not really a font"
PNG = b"\x89PNG\r\n\x1a\n not really an image"


def name_of(data: bytes, suffix: str) -> str:
    return f"_ankigen-{hashlib.sha256(data).hexdigest()[:16]}{suffix}"


@pytest.fixture
def cards(tmp_path: Path) -> Path:
    """A cards folder with theme/fonts/body.woff2 and theme/images/bg.png."""
    folder = tmp_path / "cards"
    (folder / "theme" / "fonts").mkdir(parents=True)
    (folder / "theme" / "images").mkdir()
    (folder / "theme" / "fonts" / "body.woff2").write_bytes(FONT)
    (folder / "theme" / "images" / "bg.png").write_bytes(PNG)
    return folder


def load(cards: Path, css: str | bytes) -> tuple[Stylesheet | None, list]:
    path = cards / "theme" / "deck.css"
    if isinstance(css, str):
        path.write_text(css, encoding="utf-8")
    else:
        path.write_bytes(css)
    return load_stylesheet(path, cards, "theme/deck.css")


def only_error(cards: Path, css: str) -> tuple[int, str]:
    """(line, message) of the one problem ``css`` has; it must have no stylesheet."""
    sheet, problems = load(cards, css)
    assert sheet is None
    assert len(problems) == 1, problems
    assert problems[0].is_error and problems[0].path == "theme/deck.css"
    return problems[0].line, problems[0].message


def test_the_name_is_the_media_name_with_an_underscore():
    assert style_media_name(FONT, ".WOFF2") == name_of(FONT, ".woff2")
    assert style_media_name(FONT, ".woff2").startswith("_ankigen-")


def test_a_font_is_bundled_and_its_url_rewritten_in_each_quoting_style(cards):
    css = (
        "@font-face {\n"
        "  font-family: Body;\n"
        "  src: url(fonts/body.woff2) format('woff2'),\n"
        '       url("fonts/body.woff2"),\n'
        "       url( 'fonts/body.woff2' );\n"
        "}\n"
    )
    sheet, problems = load(cards, css)
    name = name_of(FONT, ".woff2")
    assert problems == []
    assert sheet is not None
    assert sheet.css == (
        "@font-face {\n"
        "  font-family: Body;\n"
        f"  src: url(\"{name}\") format('woff2'),\n"
        f'       url("{name}"),\n'
        f'       url("{name}");\n'
        "}\n"
    )
    assert [(f.name, f.data) for f in sheet.media] == [(name, FONT)]


def test_the_same_font_named_twice_is_one_file(cards):
    css = (
        "@font-face { font-family: A; src: url(fonts/body.woff2); }\n"
        "@font-face { font-family: B; src: url(./fonts/../fonts/body.woff2); }\n"
    )
    sheet, problems = load(cards, css)
    assert problems == [] and sheet is not None
    assert [f.name for f in sheet.media] == [name_of(FONT, ".woff2")]
    assert sheet.css.count(f'url("{name_of(FONT, ".woff2")}")') == 2


def test_an_image_is_bundled_and_a_query_dropped_and_a_fragment_kept(cards):
    (cards / "theme" / "images" / "ICON.SVG").write_bytes(b"<svg/>")
    css = ".card { background: url(images/bg.png?v=2); }\n.i { mask: url(images/ICON.SVG#star); }\n"
    sheet, problems = load(cards, css)
    assert problems == [] and sheet is not None
    png, svg = name_of(PNG, ".png"), name_of(b"<svg/>", ".svg")
    assert sheet.css == (
        f'.card {{ background: url("{png}"); }}\n.i {{ mask: url("{svg}#star"); }}\n'
    )
    assert [f.name for f in sheet.media] == sorted([png, svg])


def test_what_is_harmless_is_kept_as_written(cards):
    css = (
        "/* fonts: url(http://x) and @import and expression( are mentioned here */\n"
        "html { scroll-behavior: smooth; overscroll-behavior: none; }\n"
        '.icon::before { content: "\\f101 url(http://x) @import"; }\n'
        ".blur { filter: url(#soft); }\n"
        "@media (max-width: 600px) { .card { font-size: 90%; } }\n"
    )
    sheet, problems = load(cards, css)
    assert problems == []
    assert sheet == Stylesheet(css, ())


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        (
            "src: url(fonts/gone.woff2);",
            f"fonts/gone.woff2 not found: check its name ({SAVE_INSIDE}",
        ),
        (
            "src: url(../../outside.woff2);",
            f"../../outside.woff2 is outside the cards folder: {SAVE_INSIDE}",
        ),
        (
            "src: url(http://example.com/a.woff2);",
            f"http://example.com/a.woff2 is on the web: {SAVE_INSIDE}",
        ),
        (
            "src: url('HTTPS://example.com/a.woff2');",
            f"HTTPS://example.com/a.woff2 is on the web: {SAVE_INSIDE}",
        ),
        ("src: url(//example.com/a.woff2);", f"//example.com/a.woff2 is on the web: {SAVE_INSIDE}"),
        ('src: url("data:font/woff2;base64,AAAA");', f"a data: URI is not allowed: {SAVE_INSIDE}"),
        (
            "src: url(file:///etc/fonts/a.ttf);",
            f"file:///etc/fonts/a.ttf is not a file: {SAVE_INSIDE}",
        ),
        ("cursor: javascript:alert(1);", "javascript: runs script: remove it"),
        (
            "src: url(/theme/fonts/body.woff2);",
            f"url(/theme/fonts/body.woff2) is not a relative path: {SAVE_INSIDE}",
        ),
        ("src: url();", f"url() is not a relative path: {SAVE_INSIDE}"),
        (
            "src: url(fonts/body.css);",
            "fonts/body.css is not a font or image a stylesheet may name (woff2, woff, ttf, otf, png",
        ),
        ("src: url(fonts);", "fonts is not a font or image"),
        ("src: url(fonts/a b.woff2);", 'url( is not closed or holds a space: write url("path")'),
        (
            "x: 1; } @import 'other.css'; a {",
            "@import is not allowed: paste the rules of the imported file into this one",
        ),
        ('x: 1; } @IMPORT "other.css"; a {', "@import is not allowed"),
        ("width: expression(alert(1));", "expression() runs script in old browsers: remove it"),
        ("width: EXPRESSION /* c */ (alert(1));", "expression() runs script"),
        ("behavior: none;", "behavior and -moz-binding attach script to elements: remove them"),
        ("-moz-binding: none;", "behavior and -moz-binding attach script"),
        (
            "background: image-set('images/bg.png' 1x);",
            "image(), image-set() and src() are not allowed",
        ),
        (
            "x: 1; } </style><script>alert(1)</script><style> a {",
            "'<' is not allowed in a stylesheet",
        ),
        ('content: "</style>";', "'<' is not allowed in a stylesheet"),
        ("x: 1; /* </style> */", "'<' is not allowed"),
        (
            "x: 1; } @media (width < 600px) { a { x: 1; }",
            "'<' is not allowed in a stylesheet (Anki puts the CSS in a <style> element, which </style would end): delete it from comments, write \\3c inside a string, and use min-width/max-width instead of < in a media query",
        ),
        (
            "color: r\\65 d;",
            "a backslash escape outside a string is not allowed (it can hide url( or @import): write the character itself",
        ),
    ],
)
def test_each_refusal_is_an_error_at_its_line(cards, rule, message):
    css = f"/* theme\n   of the deck */\n.card {{ {rule} }}\n.x {{ color: red; }}\n"
    line, found = only_error(cards, css)
    assert line == 3
    assert found.startswith(message), found


def test_a_symlink_out_of_the_cards_folder_is_outside(cards, tmp_path):
    (tmp_path / "secret.woff2").write_bytes(FONT)
    os.symlink(tmp_path / "secret.woff2", cards / "theme" / "fonts" / "link.woff2")
    line, message = only_error(cards, "a {}\nb { src: url(fonts/link.woff2); }\n")
    assert (line, message) == (2, f"fonts/link.woff2 is outside the cards folder: {SAVE_INSIDE}")


def test_a_symlink_inside_the_cards_folder_is_followed(cards):
    os.symlink(cards / "theme" / "fonts" / "body.woff2", cards / "theme" / "fonts" / "alias.woff2")
    sheet, problems = load(cards, "b { src: url(fonts/alias.woff2); }\n")
    assert problems == [] and sheet is not None
    assert [f.name for f in sheet.media] == [name_of(FONT, ".woff2")]


def test_a_named_file_that_is_not_a_regular_file(cards):
    (cards / "theme" / "fonts" / "dir.woff2").mkdir()
    line, message = only_error(cards, "\n\nb { src: url(fonts/dir.woff2); }\n")
    assert (line, message) == (
        3,
        "fonts/dir.woff2 is not a regular file: name a font or image file",
    )


def test_a_named_file_over_the_size_cap(cards):
    with (cards / "theme" / "fonts" / "big.ttf").open("wb") as file:
        file.truncate(MAX_FILE_BYTES + 1)
    line, message = only_error(cards, "a {}\nb { src: url(fonts/big.ttf); }\n")
    assert line == 2
    assert message == (
        "fonts/big.ttf is 16.0 MiB; a file a stylesheet names may be at most 16.0 MiB: "
        "subset the font or shrink the image"
    )


def test_escapes_cannot_hide_what_is_refused(cards, tmp_path):
    (tmp_path / "secret.woff2").write_bytes(FONT)
    css = (
        "a { color: red; }\n"
        "b { background: \\75 rl(http://example.com/x.png); }\n"
        "@\\69mport 'x.css';\n"
        'c { src: url("\\2e\\2e/\\2e\\2e/secret.woff2"); }\n'
        "d { src: url('fonts/\\62 ody.woff2'); }\n"
        'e { content: "\\3c/style>"; }\n'
    )
    sheet, problems = load(cards, css)
    assert sheet is None
    assert [(p.line, p.message.split(" (")[0].split(":")[0]) for p in problems] == [
        (2, "a backslash escape outside a string is not allowed"),
        (3, "a backslash escape outside a string is not allowed"),
        (4, "../../secret.woff2 is outside the cards folder"),
    ]


def test_a_url_in_a_string_is_decoded_before_it_is_bundled(cards):
    sheet, problems = load(
        cards, "d { src: url('fonts/\\62 ody.woff2') url(\"f\\6fnts/body.woff2\"); }\n"
    )
    assert problems == [] and sheet is not None
    assert (
        sheet.css
        == f'd {{ src: url("{name_of(FONT, ".woff2")}") url("{name_of(FONT, ".woff2")}"); }}\n'
    )


def test_a_comment_hides_no_url_and_keeps_the_lines(cards):
    css = "/* one\ntwo\nthree */a { src: url(http://x/a.woff2); }/* url(fonts/body.woff2) */\n"
    line, message = only_error(cards, css)
    assert (line, message) == (
        3,
        f"http://x/a.woff2 is on the web: {SAVE_INSIDE} (a card must work offline, and a remote file reveals the learner's IP address)",
    )


def test_several_problems_are_reported_in_one_run(cards):
    css = (
        "@import 'a.css';\n"
        "a { src: url(fonts/gone.woff2); }\n"
        "b { color: red; }\n"
        "c { src: url(https://x/a.woff2); } d { width: expression(1); }\n"
        "e { color: \x1f; }\n"
        "f { color: red;\n"
    )
    sheet, problems = load(cards, css)
    assert sheet is None
    assert all(p.is_error for p in problems)
    assert [(p.line, p.message[:22]) for p in problems] == [
        (1, "@import is not allowed"),
        (2, "fonts/gone.woff2 not f"),
        (4, "expression() runs scri"),
        (4, "https://x/a.woff2 is o"),
        (5, "control character U+00"),
        (6, "this { is never closed"),
    ]


@pytest.mark.parametrize(
    ("css", "line", "message"),
    [
        ("a {}\n/* no end\nb {}\n", 2, "comment never closed: close it with */"),
        ('a {}\nb { content: "no end;\n}\n', 2, 'string not closed on its line: end it with "'),
        ("a {}\nb { }}\n", 2, "this } closes no {: delete it"),
        ("a {\n  b { }\n", 1, "this { is never closed: close it with }"),
        ("a {}\r\nb { color:\x00red; }\r\n", 2, "control character U+0000 at column 11: delete it"),
    ],
)
def test_what_would_swallow_the_next_css_is_an_error(cards, css, line, message):
    assert only_error(cards, css) == (
        line,
        message
        + (
            " (most editors do not show it; search for it by its code)"
            if "control" in message
            else ""
        ),
    )


def test_a_stylesheet_that_is_not_utf8_names_the_file_and_line(cards):
    line, message = only_error(cards, b'a {}\nb { font-family: "Caf\xe9"; }\n')  # type: ignore[arg-type]
    assert (line, message) == (2, "theme/deck.css is not valid UTF-8 (byte 0xe9): save it as UTF-8")


def test_a_stylesheet_that_cannot_be_used_at_all(cards, tmp_path):
    def problem(path: Path) -> tuple[int, str]:
        sheet, problems = load_stylesheet(path, cards, "theme/x.css")
        assert sheet is None and len(problems) == 1
        return problems[0].line, problems[0].message

    assert problem(cards / "theme" / "gone.css") == (
        1,
        "stylesheet not found: create it or correct its name",
    )
    assert problem(cards / "theme") == (1, "stylesheet is not a regular file: name a .css file")
    (tmp_path / "outside.css").write_text("a {}\n", encoding="utf-8")
    assert problem(tmp_path / "outside.css") == (
        1,
        "stylesheet is outside the cards folder: move it inside",
    )
    big = cards / "theme" / "big.css"
    big.write_text("a {}\n" + " " * MAX_CSS_BYTES, encoding="utf-8")
    line, message = problem(big)
    assert line == 1 and message.startswith(
        "stylesheet is 256 KiB; at most 256 KiB is allowed: remove unused rules"
    )


def test_the_same_input_gives_the_same_stylesheet(cards):
    (cards / "theme" / "fonts" / "bold.otf").write_bytes(b"OTTO bold")
    css = (
        "\ufeff@font-face { font-family: B; src: url(fonts/bold.otf); }\r\n"
        "@font-face { font-family: A; src: url(fonts/body.woff2); }\r\n"
        ".card { background: url(images/bg.png); }\r\n"
    )
    first, _ = load(cards, css)
    second, _ = load(cards, css)
    assert first is not None and first == second
    names = [f.name for f in first.media]
    assert names == sorted(names) and len(names) == 3
    assert "\r" not in first.css and not first.css.startswith("\ufeff")
