"""ankigen's formula checker agrees with the real MathJax 3, configured as Anki configures it.

The MathJax side runs in Node.js (``tests/js/typeset-formulas.js`` with the pinned
``mathjax-full`` that ``scripts/test`` installs). Every formula goes through the same HTML
ankigen puts in a field (``Formula.to_html``), so MathJax finds it as Anki's would.
"""

from __future__ import annotations

import json
import random
import shutil
import subprocess
from pathlib import Path

import pytest

from ankigen.commands.build import render_cards
from ankigen.render.formulas import Formula
from ankigen.tex.check import mathjax_rejects, shipped_tex, tables
from tests.browser import require

REPO = Path(__file__).resolve().parent.parent
JS = REPO / "tests" / "js"
CORPUS = REPO / "tests" / "fixtures" / "mathjax_corpus.txt"
TABLES = REPO / "src" / "ankigen" / "data" / "mathjax-tex.json"


def node_script(script: str, stdin: str = "") -> str:
    require(JS / "node_modules" / "mathjax-full" / "package.json", "mathjax-full (tests/js)")
    node = shutil.which("node")
    require(Path(node) if node else None, "Node.js")
    done = subprocess.run(
        [str(node), str(JS / script)], input=stdin, capture_output=True, text=True, check=True
    )
    return done.stdout


def mathjax_verdicts(formulas: list[tuple[str, bool]]) -> list[tuple[bool, list[str]]]:
    """For each (tex, display): whether MathJax rejects it, and what it said."""
    pages = [Formula(tex, display, 1).to_html() for tex, display in formulas]
    results = json.loads(node_script("typeset-formulas.js", json.dumps(pages)))
    verdicts = []
    for (tex, _), result in zip(formulas, results, strict=True):
        found = [math for math, _ in result["math"]]
        # found as one formula, whole: else Anki shows (part of) it as text
        whole = found == [" ".join(tex.strip().split("\n"))]
        verdicts.append((bool(result["errors"]) or not whole, result["errors"] or found))
    return verdicts


def rejects(tex: str, display: bool) -> bool:
    """The checker's verdict on the TeX as it is shipped (what MathJax reads)."""
    return mathjax_rejects(shipped_tex(Formula(tex, display, 1)), display)


def corpus() -> list[tuple[str, str, bool]]:
    rows = []
    for line in CORPUS.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            label, kind, tex = line.split(" ", 2)
            rows.append((label, tex, kind == "display"))
    return rows


def shipped_formulas() -> list[tuple[str, bool]]:
    _, cards = render_cards(REPO / "cards")
    return [(formula.tex, formula.display) for card in cards for formula in card.formulas]


def mutations(count: int, seed: int) -> list[tuple[str, bool]]:
    """Good formulas broken at random (a character dropped, a piece of TeX inserted, …)."""
    rng = random.Random(seed)
    good = [tex for label, tex, _ in corpus() if label == "good" and "\\ce" not in tex]
    pieces = [*"{}[]()^_&'#$ ", "\\left", "\\right", "\\begin{matrix}", "\\end{matrix}"]
    pieces += ["\\frac", "\\foo", "\\sqrt", "\\\\", "\\hline", "\\limits", "\\over", "\\text"]
    found = []
    for _ in range(count):
        tex = rng.choice(good)
        at = rng.randrange(len(tex) + 1)
        roll = rng.random()
        if roll < 0.4:
            tex = tex[:at] + tex[at + 1 :]
        elif roll < 0.8:
            tex = tex[:at] + rng.choice(pieces) + tex[at:]
        else:
            start, end = sorted((at, rng.randrange(len(tex) + 1)))
            tex = tex[:start] + tex[end:]
        if tex.strip():
            found.append((tex, rng.random() < 0.5))
    return found


def test_the_corpus_has_enough_good_and_bad_formulas():
    rows = corpus()
    assert len(rows) >= 60
    assert sum(label == "good" for label, _, _ in rows) >= 25
    assert sum(label == "bad" for label, _, _ in rows) >= 25


def test_checker_and_mathjax_agree_on_the_corpus_and_the_shipped_cards():
    rows = corpus()
    shipped = shipped_formulas()
    assert len(shipped) >= 20
    formulas = [(tex, display) for _, tex, display in rows] + shipped
    labels = [label for label, _, _ in rows] + ["good"] * len(shipped)
    disagreements = []
    for (tex, display), label, (rejected, said) in zip(
        formulas, labels, mathjax_verdicts(formulas), strict=True
    ):
        assert rejected == (label == "bad"), f"the corpus label of {tex!r} is wrong: {said}"
        if rejects(tex, display) != rejected:
            disagreements.append((tex, display, said))
    assert disagreements == []


def test_checker_and_mathjax_agree_on_randomly_broken_formulas():
    formulas = mutations(400, seed=4)
    verdicts = mathjax_verdicts(formulas)
    assert sum(rejected for rejected, _ in verdicts) >= 100  # the mutations do break things
    disagreements = [
        (tex, display, said)
        for (tex, display), (rejected, said) in zip(formulas, verdicts, strict=True)
        if rejects(tex, display) != rejected
    ]
    assert disagreements == []


def test_the_committed_tables_are_what_the_pinned_mathjax_knows():
    assert node_script("dump-tex-tables.js") == TABLES.read_text(encoding="utf-8")
    data = tables()
    assert {"frac", "sqrt", "ce", "coloneqq", "operatorname"} <= set(data.macros)
    assert {"align", "pmatrix", "cases", "multlined"} <= set(data.environments)


@pytest.mark.parametrize(
    ("tex", "display"),
    [(r"\begin{align} a &= b \end{align}", False), ("50% of x", False), ("a $ b", False)],
)
def test_what_mathjax_accepts_but_ankigen_refuses_is_accepted_by_mathjax(tex, display):
    """The stricter rules are ankigen's own: MathJax typesets these without a word."""
    ((rejected, said),) = mathjax_verdicts([(tex, display)])
    assert not rejected, said
