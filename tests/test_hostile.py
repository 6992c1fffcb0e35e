"""The hostile corpus: every way found to put a script, a remote load or a field separator on a
learner's device, and its variants. Each case is refused at ``path:line`` with exit status 1,
and leaves the earlier package, the lock and the release record as they were; or it has a
documented safe outcome, checked in what ships.

Formula rules: ``texsafety``; stray delimiters: ``render._unseen_formulas``; control
characters: ``controls``; the last look at assembly: ``sanitize.unsafe_parts``.
"""

from __future__ import annotations

import json
import re
import sqlite3
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ankigen.cache import render_cache as rendercache
from ankigen.cli import main
from ankigen.source.layout import LOCK_FILE, RELEASE_FILE
from tests.ankihelpers import import_package

CARD = "cards/ML/ML0031-linear-regression.md"
PACKAGE = "output/ml-and-dl-interview-questions-1.0.1.apkg"
HREF = "links only to http:// or https:// addresses"
WRITTEN_OUT = "needs its arguments written out"
PROPERTY = "is not a property formulas may set"
NETWORK = "would load from the network at every review"
STRAY = "Markdown turns `\\\\(`, `\\\\[` or `&#92;(` into"
SEPARATOR = "control character U+001F (Anki's field separator"

# (a line appended to the answer of ML0031, what the error at that line says)
FORMULA_CASES = [
    (r"$\href{javascript:alert(1)}{\text{click me}}$", HREF),
    (r"$\href{JaVaScRiPt:alert(1)}{x}$", HREF),
    (r"$\href{ javascript:alert(1)}{x}$", HREF),
    (r"$\href{java	script:alert(1)}{x}$", HREF),  # a tab: browsers drop it from a URL
    (r"$\href{data:text/html,hi}{x}$", HREF),
    (r"$\href{vbscript:msgbox(1)}{x}$", HREF),
    (r"$\href{file:///etc/passwd}{x}$", HREF),
    (r"$\href{//evil.example/x}{x}$", HREF),
    (r"$\href{x}{\rule{5000px}{5000px}}$", HREF),
    (r"$$\href{javascript:alert(1)}{x}$$", HREF),
    (r"\(\href{javascript:alert(1)}{x}\)", HREF),
    (r'$\mmlToken{mi}[href="javascript:alert(1)"]{x}$', HREF),
    (r"$\mmlToken{mi}[src=javascript:alert(1)]{x}$", HREF),
    (r'$\mmlToken{mi}[onclick="alert(1)"]{x}$', "is not allowed: it could run a script"),
    (r'$\mmlToken{mi}[style="background:url(http://127.0.0.1:9/x)"]{x}$', PROPERTY),
    (r'$\mmlToken{mi}[style="color:red;background-color:url(//x)"]{x}$', NETWORK),
    (r"$\mmlToken{mi}[class=qa]{x}$", "only class names starting with `mjx-`"),
    (r"$\mmlToken{mi}[id=qa]{x}$", "only ids starting with `mjx-`"),
    (r"$\mmlToken{mi}[data-x=1]{x}$", "only `data-mjx-` attributes"),
    (r"$\style{background-image:url(http://127.0.0.1:9/x)}{x}$", PROPERTY),
    (r"$\style{color:red;border-image:url(x)}{x}$", PROPERTY),
    (r"$\style{color:red;border:1px solid red;cursor:url(//x),auto}{x}$", NETWORK),
    (r"$\style{color:expression(alert(1))}{x}$", "write a plain value"),
    (r"$\style{color:\75 rl(x)}{x}$", "written out"),
    (r"$\style{position:fixed;top:0;left:0}{x}$", PROPERTY),
    (r"$\class{qa}{x}$", "only class names starting with `mjx-`"),
    (r"$\cssId{qa}{x}$", "only ids starting with `mjx-`"),
    (r"$\bbox[background-image:url(http://127.0.0.1:9/x)]{x}$", PROPERTY),
    (r"$\bbox[red,border:1px solid url(x)]{x}$", NETWORK),
    (r"$\require{physics}$", "`\\require` loads MathJax extensions from the network"),
    (r"$\newcommand{\h}[1]{\href{#1}{x}}\h{javascript:alert(1)}$", WRITTEN_OUT),
    (r"$\def\h#1{\style{#1}{x}}\h{background:url(x)}$", "written out"),
    (r"$\let\h\href \h{javascript:alert(1)}{x}$", WRITTEN_OUT),
    (r"$\newcommand{\b}[1]{\bbox[#1]{x}}\b{background:url(x)}$", WRITTEN_OUT),
    # delimiters that cmark makes after the formula scan has run
    (r"\\(\href{javascript:alert(1)}{x}\\)", STRAY),
    (r"\\[\href{javascript:alert(1)}{x}\\]", STRAY),
    (r"&#92;(\href{javascript:alert(1)}{x}&#92;)", STRAY),
    (r"&#x5C;[\href{javascript:alert(1)}{x}&#x5c;]", STRAY),
    (r"&bsol;(\href{javascript:alert(1)}{x}&bsol;)", STRAY),
    (r"&#92;(x&#92;) is fine, and so is `\(` in code", STRAY),
    (r"<span>&#92;(\href{javascript:alert(1)}{x}&#92;)</span>", STRAY),
]

# formulas that stay allowed: what MathJax's safe extension keeps
ALLOWED_FORMULAS = [
    r"$\href{https://en.wikipedia.org/wiki/Linear_regression#Assumptions}{\text{assumptions}}$",
    r"$\style{color:red; border: 1px solid rgb(0,0,255)}{x}$",
    r"$\bbox[yellow,5px,border:2px solid red]{x}$",
    r"$\class{mjx-highlight}{x} + \cssId{mjx-point}{y}$",
    r"$\mmlToken{mi}[mathvariant=bold]{x}$",
    r"$\color{blue}{x} \colorbox{yellow}{y}$",
]


def _state(root: Path) -> dict[str, bytes]:
    paths = [PACKAGE, f"cards/{LOCK_FILE}", f"cards/{RELEASE_FILE}"]
    return {p: (root / p).read_bytes() for p in paths}


@pytest.fixture
def built(cards: Path, monkeypatch: pytest.MonkeyPatch, runner) -> Path:
    """The shipped deck, released as 1.0.1 and built into output/."""
    monkeypatch.chdir(cards.parent)
    assert runner.invoke(main, ["build"]).exit_code == 0
    return cards.parent


def _append(root: Path, text: str, path: str = CARD) -> int:
    """Append ``text`` as a paragraph of the card at ``path``; the line it is on."""
    card = root / path
    body = card.read_text(encoding="utf-8").rstrip("\n") + "\n\n"
    card.write_text(body + text + "\n", encoding="utf-8")
    return body.count("\n") + 1


def _refused(root: Path, runner, args: list[str], where: str, message: str) -> None:
    before = _state(root)
    result = runner.invoke(main, args)
    assert "Traceback" not in result.output
    assert result.exit_code == 1, result.output
    lines = [line for line in result.stderr.splitlines() if line.startswith(where)]
    assert any(message in line for line in lines), result.stderr
    assert _state(root) == before


@pytest.mark.parametrize(("text", "message"), FORMULA_CASES)
def test_a_hostile_formula_is_refused_at_its_line(built, runner, text, message):
    line = _append(built, text)
    for command in (["check"], ["build"], ["build", "--no-cache"], ["release", "patch"]):
        _refused(built, runner, command, f"{CARD}:{line}: ", message)


def test_every_allowed_formula_still_builds(built, runner):
    for text in ALLOWED_FORMULAS:
        _append(built, text)
    result = runner.invoke(main, ["build", "--out", "allowed"])
    assert result.exit_code == 0, result.output
    assert "ML0031" in result.output


@pytest.mark.parametrize(
    "char", ["\x1f", "\x00", "\x01", "\x07", "\x08", "\x0b", "\x0c", "\x1b", "\x1e", "\x7f"]
)
def test_a_control_character_in_a_card_body_is_refused_at_its_line(built, runner, char):
    line = _append(built, f"Some text{char}and more.")
    name = f"U+{ord(char):04X}"
    _refused(built, runner, ["build"], f"{CARD}:{line}: ", f"control character {name}")
    result = runner.invoke(main, ["check"])
    assert f"{CARD}:{line}: " in result.stderr and "at column 10: delete it" in result.stderr


def test_control_characters_are_reported_on_every_line(built, runner):
    first = _append(built, "one\x1ftwo")
    second = _append(built, "three\x1efour")
    _refused(built, runner, ["check"], f"{CARD}:{first}: ", f"and on line {second}")


def test_a_field_separator_in_a_title_is_refused(built, runner):
    card = built / CARD
    card.write_text(
        card.read_text(encoding="utf-8").replace("title: Linear Regression", "title: Linear\x1fR")
    )
    _refused(built, runner, ["build"], f"{CARD}:3: ", SEPARATOR)


@pytest.mark.parametrize(
    ("old", "new", "line"),
    [
        ("title: Linear Regression", 'title: "Linear\\x1fRegression"', 3),
        ("title: Linear Regression", 'title: "Linear\\u0007Regression"', 3),
        ("tags: [regression]", 'tags: ["regres\\x01sion"]', 4),
    ],
)
def test_a_control_character_made_by_a_yaml_escape_is_refused(built, runner, old, new, line):
    card = built / CARD
    card.write_text(card.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
    _refused(built, runner, ["build"], f"{CARD}:{line}: ", "")


@pytest.mark.parametrize(
    "description", ["description: A\x1fB", 'description: "A\\x1fB"', 'description: "A\\0B"']
)
def test_a_control_character_in_deck_yaml_is_refused(built, runner, description):
    deck = built / "cards" / "deck.yaml"
    lines = deck.read_text(encoding="utf-8").splitlines()
    number = next(i for i, text in enumerate(lines) if text.startswith("description:"))
    lines[number] = description
    deck.write_text("\n".join(lines) + "\n", encoding="utf-8")
    _refused(built, runner, ["build"], f"cards/deck.yaml:{number + 1}: ", "control character U+")


def test_a_control_character_in_a_scraped_listing_is_refused(built, runner):
    listing = built / "listing.txt"
    listing.write_text("• ML0099 A new\x1fone\nWhat is it?\nAnswer\nThis.\n", encoding="utf-8")
    cards_before = sorted(p.name for p in (built / "cards").rglob("*"))
    result = runner.invoke(main, ["import", "listing.txt"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "listing.txt:1: " + SEPARATOR in result.stderr
    assert sorted(p.name for p in (built / "cards").rglob("*")) == cards_before


def test_a_control_character_in_a_new_title_is_a_usage_error(built, runner):
    result = runner.invoke(main, ["new", "Bad\x1ftitle", "--category", "ML"])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert SEPARATOR in result.stderr
    assert not list((built / "cards").rglob("*bad*"))


def test_hostile_release_notes_never_reach_the_deck_description(built, runner):
    record = built / "cards" / RELEASE_FILE
    for notes in (
        "<p>New!</p><script>alert(1)</script>",
        '<img src="x" onerror="alert(1)">',
        '<a href="javascript:alert(1)">release notes</a>',
        "<p>New\x1f</p>",
        r"<p>\(\href{javascript:alert(1)}{x}\)</p>",
    ):
        data = json.loads(record.read_text(encoding="utf-8"))
        data["notes"] = notes
        record.write_text(json.dumps(data, indent=2), encoding="utf-8")
        _refused(built, runner, ["build"], f"cards/{RELEASE_FILE}:1: ", "release notes")


def _retire_linear_regression(root: Path, runner) -> Path:
    (root / CARD).unlink()
    result = runner.invoke(main, ["release", "major"])
    assert result.exit_code == 0, result.output
    return root / "output" / "ml-and-dl-interview-questions-2.0.0.apkg"


def _set_retired_title(root: Path, title: str) -> None:
    lock = root / "cards" / LOCK_FILE
    data = json.loads(lock.read_text(encoding="utf-8"))
    data["retired"]["ML0031"]["title"] = title
    lock.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _fields(apkg: Path) -> list[str]:
    with zipfile.ZipFile(apkg) as archive:
        data = archive.read("collection.anki2")
    db = apkg.with_suffix(".anki2")
    db.write_bytes(data)
    with sqlite3.connect(db) as con:
        return [f for (flds,) in con.execute("select flds from notes") for f in flds.split("\x1f")]


def test_a_retired_title_from_the_lock_ships_as_text(built, runner):
    _retire_linear_regression(built, runner)
    _set_retired_title(built, '<img src="x" onerror="alert(1)">Linear Regression')
    result = runner.invoke(main, ["build", "--out", "again"])
    assert result.exit_code == 0, result.output
    fields = _fields(next((built / "again").glob("*.apkg")))
    title = '&lt;img src="x" onerror="alert(1)"&gt;Linear Regression (retired)'
    assert title in fields
    assert not any("<img" in field for field in fields)


def test_a_field_separator_in_a_retired_title_is_refused(built, runner):
    _retire_linear_regression(built, runner)
    _set_retired_title(built, "Linear\x1fRegression")
    lock_shown = f"cards/{LOCK_FILE}:1: "
    result = runner.invoke(main, ["build", "--out", "again"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert lock_shown + "the retired card ML0031 is not safe" in result.stderr
    assert SEPARATOR in result.stderr
    assert not (built / "again").exists() or not list((built / "again").glob("*.apkg"))


def _tamper_cache(home: Path, card_id: str, html: str) -> None:
    """Rewrite the render cache entry of ``card_id``: its question HTML, and no problems."""
    for shard in home.glob("ankigen/*/*.shard"):
        data = shard.read_bytes()
        header = json.loads(data.split(b"\n")[1])
        generation = bytes.fromhex(header["generation"])
        entries = rendercache.decode_shard(data, generation)
        assert entries is not None
        changed = False
        for key, outcome in entries.items():
            if outcome.rendered is not None and outcome.rendered.id == card_id:
                rendered = outcome.rendered.__class__(
                    **{
                        **outcome.rendered.__dict__,
                        "fields": {**outcome.rendered.fields, "Question": html},
                    }
                )
                fields = {**outcome.__dict__, "rendered": rendered, "problems": ()}
                entries[key] = outcome.__class__(**fields)
                changed = True
        if changed:
            shard.write_bytes(rendercache.encode_shard(generation, entries))
            return
    raise AssertionError(f"no cache entry for {card_id}")


@pytest.mark.parametrize(
    "html",
    [
        "<p>Why?</p><script>alert(1)</script>",
        '<p><img src="x" onerror="alert(1)"></p>',
        r"<p>\(\href{javascript:alert(1)}{x}\)</p>",
        r"<p>\(\style{background-image:url(http://127.0.0.1:9/x)}{x}\)</p>",
        "<p>Why\x1f?</p>",
        r"<p>\(\&#x68;ref{javascript:alert(1)}{x}\)</p>",  # MathJax reads \href
        r"<p>\(&bsol;href{javascript:alert(1)}{x}\)</p>",
    ],
)
def test_an_altered_render_cache_entry_never_reaches_the_package_or_the_preview(
    built, runner, private_cache_home, html
):
    _tamper_cache(private_cache_home, "DL0001", html)
    _append(built, "One more line.", "cards/ML/ML0026-relu.md")  # a build that reads the cache
    shown = "cards/DL/DL0001-residual-connection.md:1: "
    _refused(built, runner, ["build"], shown, "the render cache was altered")
    result = runner.invoke(main, ["preview", "--out", "pages"])
    assert result.exit_code == 1 and "the render cache was altered" in result.stderr
    assert not (built / "pages").exists() or not list((built / "pages").iterdir())
    result = runner.invoke(main, ["build", "--no-cache", "--out", "fresh"])  # the way out
    assert result.exit_code == 0, result.output


class _Markup(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "iframe", "object", "embed", "base", "meta"):
            self.found.append(tag)
        for name, value in attrs:
            if name.startswith("on") or re.match(r"\s*(javascript|data):", value or "", re.I):
                self.found.append(f"{tag} {name}={value}")


def _markup_that_runs(html: str) -> list[str]:
    """Tags and attributes in ``html`` (as a browser parses it) that could run or load."""
    parser = _Markup()
    parser.feed(html)
    parser.close()
    return parser.found


def test_what_ships_imports_into_real_anki_with_nothing_that_runs(built, runner, collection):
    """Everything the corpus tolerates at once: raw HTML the sanitizer cleans, the formulas
    that stay allowed, a retired card whose title in the lock was given markup."""
    _retire_linear_regression(built, runner)
    _set_retired_title(built, '<img src=x onerror="alert(1)">Linear Regression')
    path = "cards/ML/ML0026-relu.md"
    _append(built, '<b onclick="alert(1)">bold</b> <a href="javascript:alert(1)">link</a>', path)
    _append(built, "<script>alert(1)</script><iframe src='http://127.0.0.1:9/'></iframe>", path)
    for text in ALLOWED_FORMULAS:
        _append(built, text, path)
    result = runner.invoke(main, ["release", "minor"])
    assert result.exit_code == 0, result.output
    assert "removed onclick= from <b>" in result.stderr

    log = import_package(collection, built / "output" / "ml-and-dl-interview-questions-2.1.0.apkg")
    assert len(log.new) == 10 and not log.conflicting
    texts = [
        field for nid in collection.find_notes("") for field in collection.get_note(nid).fields
    ]
    deck = collection.decks.by_name("ML and DL Interview Questions")
    texts.append(deck["desc"])
    for card_id in collection.find_cards(""):
        out = collection.get_card(card_id).render_output()
        texts += [out.question_text, out.answer_text]
    joined = "\n".join(texts)
    assert _markup_that_runs(joined) == []
    assert "&lt;img src=x onerror=" in joined  # the retired title, as text
    assert r"\href{https://en.wikipedia.org/wiki/Linear_regression#Assumptions}" in joined
    assert all(formula[1:-1] in joined for formula in ALLOWED_FORMULAS[1:3])


def test_the_last_look_finds_the_same_on_every_core(monkeypatch):
    """A large deck's last look runs in worker processes: it finds what one process finds,
    at the same note and field."""
    from ankigen.render import sanitize

    clean_note = ("ML0001", "A title", "<p>Why <em>this</em>?</p>", r"<p>\(x^2\)</p>", "ML")
    notes = [clean_note] * 40
    notes[7] = (*clean_note[:2], "<p>x</p><script>alert(1)</script>", *clean_note[3:])
    notes[33] = (*clean_note[:3], r"<p>\(\href{javascript:alert(1)}{x}\)</p>", "M\x1fL")
    serial = sanitize._unsafe_in((0, len(notes)), notes)
    monkeypatch.setattr(sanitize, "PARALLEL_MIN_NOTES", 4)
    monkeypatch.setattr(sanitize, "usable_cpus", lambda: 2)
    parallel = sanitize.unsafe_notes(notes)
    assert parallel == serial
    assert [(number, index) for number, index, _ in parallel] == [(7, 2), (33, 3), (33, 4)]
    with sanitize.LaterLook(notes) as later:  # in a forked process, while the build goes on
        assert later._pool is not None
        assert later.result() == serial


PLAIN_PIECES = [
    "<p>",
    "</p>",
    "<em>",
    "</em>",
    "<li>",
    "</li>",
    "<ul>",
    "</ul>",
    "<code>",
    "</code>",
    "<br>",
    "<hr>",
    "<td>",
    "</table>",
    '<span class="math-display">',
    "</span>",
    "text",
    "&lt;script&gt;",
    "&amp;",
    "javascript:alert(1)",
    " onerror=x ",
    '"',
    "'",
    "=",
    "&#60;img src=x onerror=alert(1)&#62;",
    r"\(x^2\)",
    "\u00a0",
]


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.lists(st.sampled_from(PLAIN_PIECES), max_size=30))
def test_what_the_last_look_passes_unparsed_is_harmless_to_a_browser(pieces):
    """The last look lets plain structure through without nh3 (``PLAIN_HTML``): whatever
    such a field is made of, a browser's parser finds nothing in it that runs or loads,
    and nh3 finds no attribute, no tag outside the plain ones, to remove."""
    from ankigen.render import sanitize

    html = "".join(pieces)
    if not sanitize.PLAIN_HTML.fullmatch(html):
        return  # parsed by nh3, as before
    assert _markup_that_runs(html) == []
    cleaned = sanitize._GATE.clean(html)
    assert not re.search(r"<(?!/?(?:p|em|li|ul|code|br|hr|td|table|span|tr|tbody)\b)", cleaned)
    assert set(re.findall(r"<[^>]* [^>]*>", cleaned)) <= {'<span class="math-display">'}


def test_the_plain_fast_path_agrees_with_nh3_on_every_field_ankigen_renders(cards):
    """Every field of the shipped deck that the fast path passes, nh3 leaves as it is."""
    from html import unescape

    from ankigen.anki.notes import note_fields
    from ankigen.commands.build import render_cards
    from ankigen.render import sanitize

    _, rendered = render_cards(cards)
    fields = [field for card in rendered for field in note_fields(card)]
    plain = [field for field in fields if "<" in field and sanitize.PLAIN_HTML.fullmatch(field)]
    assert len(plain) >= 10  # most fields of the deck take the fast path
    for field in plain:
        assert unescape(sanitize._GATE.clean(field)) == unescape(field), field
