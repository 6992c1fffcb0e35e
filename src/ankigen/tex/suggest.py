"""Suggestions for a misspelt control sequence or environment: the nearest known name.

Distance is the optimal string alignment distance (Damerau–Levenshtein without re-editing a
substring): an insertion, a deletion, a substitution or a swap of two neighbouring letters
costs one, so ``\\frca`` is one step from ``\\frac`` and ``\\sqtr`` one from ``\\sqrt``.
A name is suggested only when it is near (one step for short names, two for longer ones);
among equally near ones, the one sharing the longest start, then the first alphabetically.
Some names come from LaTeX packages Anki's MathJax does not have: those get a hint of their own.
"""

from __future__ import annotations

from collections.abc import Iterable

# LaTeX commands an author may know from elsewhere, and what to write in Anki's MathJax instead
KNOWN_ELSEWHERE = {
    "bm": "`\\bm` is LaTeX's bm package, which Anki's MathJax does not have: write "
    "`\\boldsymbol{…}`",
    "mathbbm": "`\\mathbbm` is LaTeX's bbm package, which Anki's MathJax does not have: write "
    "`\\mathbb{…}`",
}


def distance(a: str, b: str) -> int:
    """The optimal string alignment distance between ``a`` and ``b``."""
    rows = [list(range(len(b) + 1))]
    for i in range(1, len(a) + 1):
        row = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            row[j] = min(rows[i - 1][j] + 1, row[j - 1] + 1, rows[i - 1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                row[j] = min(row[j], rows[i - 2][j - 2] + 1)
        rows.append(row)
    return rows[-1][-1]


def nearest(name: str, known: Iterable[str]) -> str | None:
    """The known name nearest to ``name``, if one is near enough to be what was meant."""
    if len(name) < 2:
        return None
    limit = 1 if len(name) <= 4 else 2
    best: tuple[int, int, str] | None = None
    for candidate in known:
        if abs(len(candidate) - len(name)) > limit or candidate == name:
            continue
        steps = distance(name, candidate)
        if steps > limit:
            continue
        shared = next(
            (k for k, (x, y) in enumerate(zip(name, candidate, strict=False)) if x != y),
            min(len(name), len(candidate)),
        )
        key = (steps, -shared, candidate)
        if best is None or key < best:
            best = key
    return best[2] if best else None


def elsewhere_hint(name: str) -> str | None:
    """The hint for a LaTeX command Anki's MathJax lacks, if it is a well-known one."""
    return KNOWN_ELSEWHERE.get(name) or None
