"""The check stage's parts: formulas, HTML safety, images, and update safety against the lock."""

from __future__ import annotations

import json
import re
import shutil
import zipfile
from pathlib import Path

import pytest

from ankigen.anki import notetype
from ankigen.anki.lock import Lock, format_lock, update_lock
from ankigen.anki.lockfile import read_lock
from ankigen.cli import main
from ankigen.commands.build import build, check
from ankigen.commands.release import release
from ankigen.errors import AnkigenError, Problem
from ankigen.render.card import Renderer
from ankigen.render.formulas import Formula
from ankigen.render.sanitize import clean, removed_parts
from ankigen.source.validate import Section
from ankigen.tex.check import formula_problems
from tests.test_badinput import CORPUS

T0 = 1_800_000_000


def render(markdown: str, card_path: Path | None = None, cards_dir: Path | None = None):
    html, _, problems = Renderer(cards_dir).render_section(
        Section(markdown, 7), "card.md", card_path
    )
    return html, [str(p) for p in problems]


def replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def set_version(cards: Path, version: str) -> None:
    deck = cards / "deck.yaml"
    deck.write_text(re.sub(r"(?m)^version: .*$", f"version: {version}", deck.read_text()))


# -- formulas -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tex", "display", "message"),
    [
        (r"\frac{a}{b", False, "missing `}`"),
        (r"\left( x", False, "`\\left` without `\\right`"),
        (r"\alpah", False, "unknown control sequence `\\alpah` (did you mean \\alpha?)"),
        (r"\begin{cases} a", True, "`\\begin{cases}` without `\\end{cases}`"),
        (r"\begin{foo} a \end{foo}", True, "unknown environment `foo`"),
        (r"\begin{gather} a \end{gather}", False, "environment `gather` needs display math"),
        (r"a $ b", False, "stray `$` inside a formula"),
        (r"5% of x", False, "`%` starts a TeX comment"),
        (r"\require{physics}", False, "`\\require` loads MathJax extensions from the network"),
        (r"x_1_2", False, "double subscript"),
    ],
)
def test_a_bad_formula_is_an_error_at_its_line(tex, display, message):
    (problem,) = formula_problems(Formula(tex, display, 12), "card.md")
    assert problem.is_error and problem.line == 12
    assert str(problem).startswith("card.md:12: formula $")
    assert message in problem.message


def test_good_formulas_pass_and_a_definition_counts_only_in_its_formula():
    assert formula_problems(Formula(r"\newcommand{\R}{\mathbb{R}} x \in \R", False, 1), "c") == []
    assert formula_problems(Formula(r"\begin{pmatrix} a \\ b \end{pmatrix}", False, 1), "c") == []
    (problem,) = formula_problems(Formula(r"x \in \R", False, 1), "c")
    assert "unknown control sequence `\\R`" in problem.message


def test_a_line_break_in_display_math_is_fine_but_not_in_inline_math():
    assert formula_problems(Formula("a +\nb", True, 3), "c") == []
    (problem,) = formula_problems(Formula("a +\nb", False, 3), "c")
    assert "line break inside inline math" in problem.message


# -- HTML safety ----------------------------------------------------------------------------


def test_the_sanitizer_keeps_what_markdown_and_math_produce():
    markdown = (
        "# Title\n\n*a* **b** `c` [link](https://example.com) $x < y$\n\n"
        "$$\\sum_i x_i$$\n\n| a | b |\n|--:|---|\n| 1 | 2 |\n\n```python\nx = 1\n```\n\n"
        "> quote\n\n1. one\n2. two\n\nH<sub>2</sub>O and x<sup>2</sup>\n"
    )
    html, problems = render(markdown)
    assert problems == []
    for kept in (
        "<h1>Title</h1>",
        '<a href="https://example.com">link</a>',
        r"\(x &lt; y\)",
        '<span class="math-display">\\[\\sum_i x_i\\]</span>',
        '<th style="text-align:right">a</th>',
        '<code class="language-python">',
        "<blockquote>",
        "<sub>2</sub>",
    ):
        assert kept in html


@pytest.mark.parametrize(
    ("raw", "gone", "reported"),
    [
        ("<script>alert(1)</script>", "alert", "removed <script> and its content"),
        ('<img src="a.png" onerror="alert(1)">', "onerror", "removed onerror= from <img>"),
        ('<a href="javascript:alert(1)">x</a>', "javascript", "removed a javascript: link"),
        ('<iframe src="https://e.com/"></iframe>', "iframe", "removed <iframe> and its content"),
        ('<object data="x.swf"></object>', "object", "removed <object> and its content"),
        ('<img src="https://e.com/a.png">', "e.com", "removed image https://e.com/a.png"),
        ('<img src="//e.com/a.png">', "e.com", "removed image //e.com/a.png"),
        ('<span style="background:url(https://e.com/)">x</span>', "url(", "removed style="),
        ('<p class="evil">x</p>', "evil", "removed class= from <p>"),
        ("<form><input name=a></form>", "input", "removed <form> tag"),
    ],
)
def test_unsafe_html_is_removed_and_reported(raw, gone, reported):
    assert gone not in clean(raw)
    assert any(message.startswith(reported) for _, message in removed_parts(raw))


def test_what_was_removed_is_a_warning_at_its_own_line():
    markdown = (
        "Intro\n\n$$\na\n\\\\\nb\n$$\n\nThen <b onclick='x()'>bold</b>\n\n<script>\nx\n</script>"
    )
    html, problems = render(markdown)
    assert problems == [
        "card.md:15: warning: removed onclick= from <b>: it would run as a script on every "
        "learner's device",
        "card.md:17: warning: removed <script> and its content: it would run as a script on "
        "every learner's device",
    ]
    assert "<b>bold</b>" in html and "onclick" not in html and "<script" not in html


# -- images ---------------------------------------------------------------------------------


def test_images_get_content_hash_names_and_are_stored_once(tmp_path):
    cards = tmp_path / "cards"
    shutil.copytree(CORPUS / "image-accepted", cards, ignore=shutil.ignore_patterns("*.txt"))
    package = build(cards, tmp_path / "out", now=T0).output
    with zipfile.ZipFile(package) as archive:
        media = json.loads(archive.read("media"))
        assert list(media) == ["0"] and re.fullmatch(r"ankigen-[0-9a-f]{16}\.png", media["0"])
        assert archive.read("0") == (cards / "images" / "dot.png").read_bytes()
    again = build(cards, tmp_path / "again", now=T0 + 99).output
    assert again.read_bytes() == package.read_bytes()


def test_a_changed_image_gets_a_new_name_and_updates_the_note(tmp_path):
    cards = tmp_path / "cards"
    shutil.copytree(CORPUS / "image-accepted", cards, ignore=shutil.ignore_patterns("*.txt"))
    first = build(cards, tmp_path / "out", now=T0)
    image = cards / "images" / "dot.png"
    image.write_bytes(image.read_bytes() + b"\0")  # still shown; other bytes
    set_version(cards, "1.0.2")
    second = build(cards, tmp_path / "out", now=T0 + 60)
    assert second.changes.changed == ("T0001", "T0002")
    assert first.output.read_bytes() != second.output.read_bytes()


def test_an_image_error_names_the_line_of_the_image(tmp_path):
    cards = tmp_path / "cards"
    card = cards / "A" / "card.md"
    card.parent.mkdir(parents=True)
    card.write_text("")
    (tmp_path / "secret.png").write_bytes(b"x")
    _, problems = render("Text\n\n$$\nx\n$$\n\n![s](../../secret.png)", card, cards)
    assert problems == ["card.md:13: image ../../secret.png is outside the cards folder: keep "
                        "images inside it"]  # fmt: skip


# -- update safety against the lock ---------------------------------------------------------


def test_the_lock_records_the_version_and_the_schema_and_reads_format_1(tmp_path):
    lock, _ = update_lock(Lock(), "t", {"A1": "h1"}, now=1, schema="s", version="1.2.3")
    path = tmp_path / "ankigen.lock"
    path.write_text(format_lock(lock))
    assert read_lock(path) == lock
    assert read_lock(path).card_lines == {"A1": 5}
    path.write_text('{"format": 1, "note_type": {"hash": "t", "mod": 1}, "cards": {}}')
    old = read_lock(path)
    assert old.version is None and old.schema is None


def test_the_shipped_lock_is_what_a_build_writes(cards, tmp_path):
    lock = cards / "ankigen.lock"
    before = lock.read_bytes()
    assert json.loads(before)["format"] == 4
    build(cards, tmp_path / "out", now=T0, frozen=True)
    assert lock.read_bytes() == before


def test_removing_a_card_builds_freely_and_needs_a_major_release(
    cards, tmp_path, runner, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    next(cards.rglob("ML0027-*.md")).unlink()
    result = runner.invoke(main, ["build", "--cards", "cards"])
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    assert "(a development build, not a release)" in result.stdout
    deck_before = (cards / "deck.yaml").read_bytes()
    record_before = (cards / "ankigen.release.json").read_bytes()

    result = runner.invoke(main, ["release", "minor", "--cards", "cards"])
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "cards/deck.yaml:4: 1.1.0 would be a minor release after 1.0.1, but ML0027 retired, "
        "which needs a major release: run `ankigen release major` (releases 2.0.0)"
    )
    assert (cards / "deck.yaml").read_bytes() == deck_before
    assert (cards / "ankigen.release.json").read_bytes() == record_before

    result = runner.invoke(main, ["release", "major", "--cards", "cards"])
    assert result.exit_code == 0, result.output
    lock = json.loads((cards / "ankigen.lock").read_text())
    assert "ML0027" not in lock["cards"]
    # the development build retired it under 1.0.1; the release says its own version
    assert lock["retired"]["ML0027"]["retired_in"] == "2.0.0"
    assert lock["version"] == "2.0.0"


def test_a_schema_change_builds_freely_and_needs_a_major_release(cards, tmp_path, monkeypatch):
    monkeypatch.setattr(notetype, "FIELDS", (*notetype.FIELDS, ("Extra", 123456789)))
    assert check(cards, now=T0).warnings == ()
    with pytest.raises(AnkigenError) as caught:
        release(cards, tmp_path / "out", "minor", now=T0, allow_empty=True)
    (problem,) = caught.value.problems
    assert problem.line == 4 and str(problem).endswith(
        "but the basic note type's fields or templates changed, which needs a major release: "
        "run `ankigen release major` (releases 2.0.0)"
    )
    made = release(cards, tmp_path / "out", "major", now=T0, allow_empty=True)
    assert made.build.output.name.endswith("-2.0.0.apkg")


def test_template_text_and_css_are_not_schema_changes(cards, monkeypatch):
    monkeypatch.setattr(notetype, "CSS", notetype.CSS + "\n.title { color: red; }\n")
    set_version(cards, "1.0.2")
    checked = check(cards, now=T0)
    assert checked.changes.note_type_changed and checked.warnings == ()


def test_a_change_at_the_released_version_is_a_development_build_with_no_warning(
    cards, tmp_path, runner, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    replace_in(next(cards.rglob("ML0027-*.md")), "Its formula", "The formula")
    strict = runner.invoke(main, ["build", "--cards", "cards", "--strict"])
    assert strict.exit_code == 0, strict.output
    assert strict.stderr == ""
    assert strict.stdout.startswith(
        "Built output/ml-and-dl-interview-questions-1.0.1-dev.apkg (a development build, not a "
        "release): 10 cards (DL 4, ML 6); 1 changed since the lock (ML0027 changed)."
    )
    assert sorted(p.name for p in (tmp_path / "output").iterdir()) == [
        "ml-and-dl-interview-questions-1.0.1-dev.apkg"
    ]
    checked = runner.invoke(main, ["check", "--cards", "cards"])
    assert checked.exit_code == 0 and checked.stderr == ""


def test_errors_and_warnings_are_reported_together(cards, tmp_path, runner, monkeypatch):
    monkeypatch.chdir(tmp_path)
    card = next(cards.rglob("ML0027-*.md"))
    replace_in(card, "Its formula", "Its <u onclick='x()'>formula</u>")
    replace_in(card, r"\alpha x", r"\alpah x")
    result = runner.invoke(main, ["check", "--cards", "cards"])
    assert result.exit_code == 1
    warning, error, summary = result.stderr.splitlines()
    assert warning.startswith("cards/ML/ML0027-leaky-relu.md:12: warning: removed onclick=")
    assert error.startswith("cards/ML/ML0027-leaky-relu.md:14: formula $$")
    assert "unknown control sequence `\\alpah` (did you mean \\alpha?)" in error
    assert summary == "ankigen: 1 error and 1 warning found; nothing was written."


def test_warnings_print_as_path_line_warning():
    assert str(Problem.warning("a.md", 3, "hm")) == "a.md:3: warning: hm"
    assert str(Problem("a.md", 3, "bad")) == "a.md:3: bad"
    assert Problem("a.md", 3, "bad").is_error and not Problem.warning("a.md", 3, "x").is_error


def test_check_has_help(runner):
    result = runner.invoke(main, ["check", "--help"])
    assert result.exit_code == 0 and "--strict" in result.stdout and "write" in result.stdout
