"""Import stage 2: find the formulas a scraped page lost its math delimiters for.

The listing pages were rendered with MathJax and copied as text, so every ``$..$`` and
``$$..$$`` is gone and TeX stands bare in the prose. The rules, each explainable on its own:

* A line that is all TeX (no prose words outside ``\\text{..}``-like groups, and some TeX
  command, sub/superscript or relation) is display math.
* Inside prose, a token with TeX in it (a ``\\command``, a subscript ``x_i`` or ``C_{in}``,
  a superscript ``2^n``, a ``√``) is math, together with its neighbours that continue the
  formula: numbers, single letters, ``F(x)``, operators. ``( 18 \\cdot C_{in} total)`` →
  ``($18 \\cdot C_{in}$ total)``.
* Without TeX, single letters joined by an operator are math (``x>0``, ``p = 0.5``); a run
  of numbers and operators is not (``3×3``, ``256 → 64``, ``< 5%``).
* A lone single letter is a variable (``the input x``, ``the j‑th feature``, ``K is``),
  except the words ``a``, ``A`` and ``I`` when no operator touches them, abbreviations such
  as ``e.g.``, and compounds like ``S‑shape``. A letter that none of the card's formulas
  uses is still made math, but reported as a doubt for the author to check.

Inside a recovered formula, Unicode math (``×``, ``·``, ``≤``, ``√``, Greek letters) becomes
the TeX command, so MathJax typesets it like the rest of the formula.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from ankigen.scrape.unicodetex import GREEK, to_tex

ARTICLES = frozenset({"a", "A", "I"})
RELATIONS = frozenset({"=", "<", ">", "≤", "≥", "≠", "≈", "<=", ">=", "!=", "∈"})
OPERATORS = RELATIONS | frozenset({"+", "-", "−", "*", "/", "×", "·", "±", "→", "|"})
# Word lists are easier to read as text than as one string literal per line.
MATH_FUNCTIONS = frozenset(
    "max min log ln exp sin cos tan tanh sinh cosh arg argmax argmin sup inf lim det dim "  # noqa: SIM905
    "sgn sign mod var cov".split()
)
TWO_LETTER_WORDS = frozenset(
    "is of to in at on as by or an be if it we so no do up us he me my".split()  # noqa: SIM905
)
DEFINING = frozenset(
    "is are represents denotes means stands refers equals gives and or".split()  # noqa: SIM905
)
TEXT_GROUP = re.compile(
    r"\\(?:text|textrm|textit|textbf|mbox|mathrm|mathit|mathbf|mathsf|operatorname)\s*"
    r"\{[^{}]*\}"
)
SCRIPT_GROUP = re.compile(r"[_^]\{[^{}]*\}")
COMMAND = re.compile(r"\\[A-Za-z]+")
TEX_MARK = re.compile(
    r"\\[A-Za-z]+"  # a command
    r"|(?:(?<![A-Za-z])[A-Za-z]|\\[A-Za-z]+|[})|])_(?:\{|\\[A-Za-z]|[A-Za-z0-9](?![A-Za-z0-9]))"
    r"|[A-Za-z0-9})]\^(?:\{|\\[A-Za-z]|[A-Za-z0-9+\-])"  # a superscript
    r"|[√∑∏∫∂∇∞]"
)
NUMBER = re.compile(r"^[+\-−]?\d+(?:\.\d+)?$")
SINGLE = r"(?:[A-Za-z]|[α-ωΓΔΘΛΞΠΣΦΨΩ])"
LETTER = re.compile(rf"^{SINGLE}$")
ORDINAL = re.compile(r"^([A-Za-z])([-‑]th)$")
CALL = re.compile(rf"^{SINGLE}\([^()]*\)$")
CALL_START = re.compile(rf"^[(\[]*(?:\\[A-Za-z]+|{SINGLE})\(")
BARE_FUNCTION = re.compile(r"(?<![\\A-Za-z])(log|ln|exp|max|min|sin|cos|tan|tanh|det)(?![A-Za-z])")
OPERAND = r"(?:[A-Za-z]|[+\-−]?\d+(?:\.\d+)?)"
COMPACT = re.compile(rf"^{OPERAND}(?:(?:<=|>=|!=|[<>=≤≥≠≈]){OPERAND})+$")
FORMULAISH = re.compile(r"^(?=.*[+\-*/^])(?!.*[a-z]{2})[A-Za-z0-9+\-*/()^.]+$")
PROSE_WORD = re.compile(r"[a-z]{3,}")
OPENERS = "([“‘\"'"
CLOSERS = ")]”’\"'"
SENTENCE_PUNCT = ".,;:!?"



@dataclass(frozen=True)
class Math:
    """A recovered formula: its TeX and whether it stands on its own line (display)."""

    tex: str
    display: bool


Segment = str | Math


@dataclass(frozen=True)
class Recovered:
    """A line of prose cut into text and ``Math`` pieces, and the doubts met on the way."""

    segments: tuple[Segment, ...]
    doubts: tuple[str, ...]


@dataclass(frozen=True)
class _Token:
    start: int  # of the core, in the text
    end: int
    lead: str
    core: str
    trail: str
    kind: str  # seed, op, number, letter, call, compact, formulaish, word


def is_display_line(text: str) -> bool:
    """Whether a whole line is a formula: TeX or relations, and no prose word outside it."""
    line = text.strip()
    if not line or not (TEX_MARK.search(line) or any(r in line for r in "=<>≤≥≠≈")):
        return False
    return not _prose_words(line)


def display_doubts(text: str) -> list[str]:
    """Words in a display formula that MathJax would set as separate italic letters."""
    bare = COMMAND.sub(" ", SCRIPT_GROUP.sub(" ", TEXT_GROUP.sub(" ", text)))
    return [
        f"display formula has the bare word `{word}`; consider \\text{{{word}}}"
        for word in dict.fromkeys(re.findall(r"[A-Za-z]{3,}", bare))
        if word.lower() not in MATH_FUNCTIONS
    ]


def paragraph_doubts(text: str) -> list[str]:
    """A line that is nearly all formula but for a word or two: display or prose is unclear."""
    words = _prose_words(text)
    if TEX_MARK.search(text) and 0 < len(words) <= 2 and len(text.split()) > 2 * len(words):
        listed = ", ".join(f"`{w}`" for w in words)
        return [f"nearly all formula but for {listed}: kept as prose with inline math"]
    return []


def _prose_words(line: str) -> list[str]:
    bare = COMMAND.sub(" ", SCRIPT_GROUP.sub(" ", TEXT_GROUP.sub(" ", line)))
    words = []
    for match in re.finditer(r"[A-Za-z]+", bare):
        word = match.group(0)
        if word.lower() in MATH_FUNCTIONS or bare[match.end() : match.end() + 1] == "(":
            continue  # a function name: max(0, x), Sigmoid(x)
        if (len(word) >= 3 and PROSE_WORD.search(word)) or word.lower() in TWO_LETTER_WORDS:
            words.append(word)
    return words


def formula_symbols(texts: Iterable[str]) -> frozenset[str]:
    """The single-letter variables used in these TeX snippets (``x_j`` → x, j; not ``in``)."""
    letters: set[str] = set()
    greek = {command[1:]: char for char, command in GREEK.items()}
    for tex in texts:
        letters.update(greek[c] for c in re.findall(r"\\([A-Za-z]+)", tex) if c in greek)
        bare = COMMAND.sub(" ", TEXT_GROUP.sub(" ", tex))
        letters.update(re.findall(r"(?<![A-Za-z])[A-Za-z](?![A-Za-z])", bare))
    return frozenset(letters)


def tex_fragments(text: str) -> list[str]:
    """The whitespace-separated pieces of ``text`` that carry TeX (for ``formula_symbols``)."""
    return [token.core for token in _tokenize(text) if token.kind == "seed"]


def recover_inline(text: str, symbols: frozenset[str]) -> Recovered:
    """Cut a line of prose into text and inline formulas; ``symbols`` are the card's variables."""
    text = _tidy_spacing(text)
    tokens = _tokenize(text)
    segments: list[Segment] = []
    doubts: list[str] = []
    position = 0
    unsure: list[str] = []  # what looked like math but stays text, reported once
    for run in _runs(text, tokens):
        for start, end, tex in _decide(text, run, symbols, doubts):
            why = typeset_error(tex, display=False)
            if why is not None:
                doubts.append(f"`{text[start:end]}` looks like math but {why}; left as text")
                unsure.append(text[start:end])
                continue
            if start > position:
                segments.append(text[position:start])
            segments.append(Math(tex, display=False))
            position = end
    if position < len(text):
        segments.append(text[position:])
    prose = " ".join(s for s in segments if isinstance(s, str))
    for source in unsure:
        prose = prose.replace(source, " ")
    leftover = [m.group(0) for m in TEX_MARK.finditer(prose)]
    if leftover:
        doubts.append(f"TeX left in prose ({', '.join(f'`{x}`' for x in leftover[:3])}): check it")
    return Recovered(tuple(segments), tuple(doubts))


def typeset_error(tex: str, *, display: bool) -> str | None:
    """Why ``ankigen check`` would reject ``tex``, or ``None`` when it typesets in Anki."""
    from ankigen.tex.check import tex_issues  # its tables load on first use

    issues = tex_issues(tex, display)
    return f"would not typeset ({issues[0].message})" if issues else None


def starts_with_symbol(text: str) -> bool:
    """Whether a line opens with a symbol being defined: ``x is …``, ``z_i represents …``."""
    tokens = _tokenize(_tidy_spacing(text))
    if not tokens or tokens[0].lead:
        return False
    first = tokens[0]
    if first.kind in ("seed", "call", "compact"):
        return True
    if first.kind != "letter" or len(tokens) < 2:
        return False
    return tokens[1].core in DEFINING or first.trail in (",", ":")


def _tidy_spacing(text: str) -> str:
    """Undo the scrape's spacing: the blanks it left where delimiters were, ``( 18`` → ``(18``."""
    text = re.sub(r"[ \t]+", " ", text.strip())
    text = re.sub(r"([(\[]) ", r"\1", text)
    return re.sub(r" ([)\]])", r"\1", text)


def _tokenize(text: str) -> list[_Token]:
    pieces = [(m.start(), m.end()) for m in re.finditer(r"\S+", text)]
    merged: list[tuple[int, int]] = []
    i = 0
    while i < len(pieces):
        start, end = pieces[i]
        j = _group_end(text, pieces, i)
        merged.append((start, pieces[j][1] if j is not None else end))
        i = (j if j is not None else i) + 1
    return [_token(text, start, end) for start, end in merged]


def _group_end(text: str, pieces: list[tuple[int, int]], i: int) -> int | None:
    """Index of the piece that closes a brace group or a call opened in piece ``i``, if any."""
    word = text[pieces[i][0] : pieces[i][1]]
    opens_call = CALL_START.match(word) or (
        re.search(r"(?:\\[A-Za-z]+|[A-Za-z}])\(", word) and TEX_MARK.search(word)
    )
    if _depth(word, "{", "}") <= 0 and not (opens_call and _depth(word, "(", ")") > 0):
        return None
    for j in range(i + 1, min(i + 8, len(pieces))):
        joined = text[pieces[i][0] : pieces[j][1]]
        later = text[pieces[j][0] : pieces[j][1]]
        bare = later.strip(SENTENCE_PUNCT + CLOSERS)
        if PROSE_WORD.fullmatch(bare) and bare not in MATH_FUNCTIONS:
            return None  # a word of prose: the group was not a formula
        if _depth(joined, "{", "}") <= 0 and _depth(joined, "(", ")") <= 0:
            return j
    return None


def _depth(text: str, opener: str, closer: str) -> int:
    text = text.replace("\\" + opener, "").replace("\\" + closer, "")
    return text.count(opener) - text.count(closer)


def _token(text: str, start: int, end: int) -> _Token:
    """Split a word into opening punctuation, core and closing punctuation.

    Brackets stay in the core when the core needs them: ``F(x).`` → ``F(x)`` and ``.``.
    """
    word = text[start:end]
    lead_n = len(word) - len(word.lstrip(OPENERS))
    trail_n = len(word) - len(word.rstrip(SENTENCE_PUNCT + CLOSERS))
    if lead_n + trail_n >= len(word):
        return _Token(start, start, word, "", "", "word")
    core = word[lead_n : len(word) - trail_n]
    while trail_n and _depth(core, "(", ")") > 0 and word[len(word) - trail_n] == ")":
        trail_n -= 1
        core = word[lead_n : len(word) - trail_n]
    while lead_n and _depth(core, "(", ")") < 0 and word[lead_n - 1] == "(":
        lead_n -= 1
        core = word[lead_n : len(word) - trail_n]
    return _Token(
        start + lead_n,
        end - trail_n,
        word[:lead_n],
        core,
        word[len(word) - trail_n :],
        _kind(core, word),
    )


def _kind(core: str, word: str) -> str:
    if not core or "`" in word:  # code the listing quotes is never math
        return "word"
    if core in OPERATORS:
        return "op"
    if re.fullmatch(r"[A-Za-z]\.(?:[A-Za-z]\.?)+", word.rstrip(SENTENCE_PUNCT + CLOSERS) + "."):
        return "word"  # e.g. i.e. U.S.
    if TEX_MARK.search(core):
        return "seed"
    if COMPACT.match(core) and re.search(r"[A-Za-z]", core):
        return "compact"
    if NUMBER.match(core):
        return "number"
    if LETTER.match(core):
        return "letter"
    if ORDINAL.match(core):
        return "ordinal"
    if CALL.match(core):
        return "call"
    if FORMULAISH.match(core):
        return "formulaish"
    return "word"


def _runs(text: str, tokens: list[_Token]) -> list[list[_Token]]:
    """Maximal stretches of tokens that could belong to one formula.

    A stretch ends at a word, at punctuation after a token (``x,``) unless it closes a bracket
    the stretch opened, and at an opening bracket unless an operator comes before it.
    """
    runs: list[list[_Token]] = []
    current: list[_Token] = []
    for token in tokens:
        if token.kind == "ordinal":  # the j‑th: only the letter is math
            runs.extend([current, [token]] if current else [[token]])
            current = []
            continue
        joins = (
            token.kind != "word"
            and current
            and (not token.lead or (set(token.lead) <= {"("} and current[-1].kind == "op"))
            and not _breaks_after(text, current)
        )
        if joins:
            current.append(token)
            continue
        if current:
            runs.append(current)
        current = [token] if token.kind != "word" else []
    if current:
        runs.append(current)
    return runs


def _breaks_after(text: str, run: list[_Token]) -> bool:
    trail = run[-1].trail
    if not trail:
        return False
    opened = _depth(text[run[0].start : run[-1].end], "(", ")")
    return not (set(trail) <= {")"} and opened >= len(trail))


def _decide(
    text: str, run: list[_Token], symbols: frozenset[str], doubts: list[str]
) -> list[tuple[int, int, str]]:
    """The formulas in one run, as (start, end, tex) spans of the text."""
    run = _trim(run)
    if not run:
        return []
    kinds = {t.kind for t in run}
    letters = [_letter(t) for t in run if t.kind in ("letter", "call")]
    if "seed" in kinds or "compact" in kinds or ("op" in kinds and letters) or kinds == {"call"}:
        start, end = run[0].start, run[-1].end
        opened = _depth(text[start:end], "(", ")")
        closing = run[-1].trail[: max(opened, 0)]
        if closing and set(closing) <= {")"}:
            end += len(closing)
        source = text[start:end]
        if "seed" not in kinds:
            unknown = {x for x in letters if x not in symbols} | _compact_letters(run, symbols)
            named = set(letters) | _compact_letters(run, frozenset())
            relation = kinds <= {"letter", "op", "compact", "number"}
            if relation and named and unknown == named:  # `a < b`, with no formula to go by
                doubts.append(
                    f"`{source}` kept as text: {', '.join(sorted(unknown))} "
                    f"{'is' if len(unknown) == 1 else 'are'} in none of this card's formulas "
                    f"(write ${source}$ if it is math)"
                )
                return []
            if unknown:
                doubts.append(
                    f"`{source}` read as math; {', '.join(sorted(unknown))} "
                    "not in this card's formulas"
                )
        return [(start, end, to_tex(BARE_FUNCTION.sub(r"\\\1", source)))]
    spans = []
    for token in run:
        if token.kind not in ("letter", "ordinal"):
            continue
        letter = _letter(token)
        if token.core in ARTICLES:
            if letter in symbols:
                doubts.append(
                    f"`{letter}` left as a word, though this card's formulas use {letter}"
                )
            continue
        if letter not in symbols:
            doubts.append(f"lone letter `{letter}` read as math; it is not in this card's formulas")
        spans.append((token.start, token.start + len(letter), to_tex(letter)))
    return spans


def _trim(run: list[_Token]) -> list[_Token]:
    """Drop operators and article words (``a``) from the ends of a run."""

    def article(i: int) -> bool:
        token = run[i]
        if token.core not in ARTICLES:
            return False
        neighbours = [run[j] for j in (i - 1, i + 1) if 0 <= j < len(run)]
        return not any(n.kind == "op" for n in neighbours)

    start, end = 0, len(run)
    changed = True
    while changed and start < end:
        changed = False
        if run[start].kind == "op" or (run[start].kind == "formulaish" and end - start == 1):
            start, changed = start + 1, True
        elif run[end - 1].kind == "op":
            end, changed = end - 1, True
        elif end - start > 1 and article(start):
            start, changed = start + 1, True
        elif end - start > 1 and article(end - 1):
            end, changed = end - 1, True
    return run[start:end]


def _letter(token: _Token) -> str:
    ordinal = ORDINAL.match(token.core)
    return ordinal.group(1) if ordinal else token.core[0]


def _compact_letters(run: list[_Token], symbols: frozenset[str]) -> set[str]:
    found: set[str] = set()
    for token in run:
        if token.kind == "compact":
            found.update(x for x in re.findall(r"[A-Za-z]", token.core) if x not in symbols)
    return found
