"""Import stage 2, Unicode math: a scraped formula's ``×``, ``√x``, ``≤`` and Greek as TeX."""

from __future__ import annotations

import re

GREEK = {
    "α": "\\alpha",
    "β": "\\beta",
    "γ": "\\gamma",
    "δ": "\\delta",
    "ε": "\\epsilon",
    "ζ": "\\zeta",
    "η": "\\eta",
    "θ": "\\theta",
    "κ": "\\kappa",
    "λ": "\\lambda",
    "μ": "\\mu",
    "ν": "\\nu",
    "ξ": "\\xi",
    "π": "\\pi",
    "ρ": "\\rho",
    "σ": "\\sigma",
    "τ": "\\tau",
    "φ": "\\phi",
    "χ": "\\chi",
    "ψ": "\\psi",
    "ω": "\\omega",
    "Γ": "\\Gamma",
    "Δ": "\\Delta",
    "Θ": "\\Theta",
    "Λ": "\\Lambda",
    "Ξ": "\\Xi",
    "Π": "\\Pi",
    "Σ": "\\Sigma",
    "Φ": "\\Phi",
    "Ψ": "\\Psi",
    "Ω": "\\Omega",
}
UNICODE_TEX = {
    "×": "\\times",
    "·": "\\cdot",
    "⋅": "\\cdot",
    "−": "-",
    "≤": "\\le",
    "≥": "\\ge",
    "≠": "\\ne",
    "≈": "\\approx",
    "±": "\\pm",
    "→": "\\to",
    "∞": "\\infty",
    "∑": "\\sum",
    "∏": "\\prod",
    "∫": "\\int",
    "∂": "\\partial",
    "∇": "\\nabla",
    "∈": "\\in",
    **GREEK,
}
SQRT = re.compile(
    r"√\s*(\([^()]*\)|\{[^{}]*\}|\\[A-Za-z]+|[A-Za-z0-9](?:_\{[^{}]*\}|_[A-Za-z0-9])?"
    r"|\d+(?:\.\d+)?)"
)


def to_tex(text: str) -> str:
    """``text`` with Unicode math (``×``, ``√x``, ``≤``, Greek) written as TeX commands.

    Nothing else changes: spacing inside ``\\text{ if }`` matters to TeX.
    """
    text = SQRT.sub(lambda m: "\\sqrt{" + _unwrap(m.group(1)) + "}", text)
    out: list[str] = []
    for index, char in enumerate(text):
        command = UNICODE_TEX.get(char)
        if command is None or not command.startswith("\\"):
            out.append(command or char)
            continue
        before = text[index - 1] if index else " "
        after = text[index + 1] if index + 1 < len(text) else " "
        binary = char not in GREEK and char not in "∑∏∫∂∇∞"
        if binary and not before.isspace() and before not in "({":
            out.append(" ")
        out.append(command)
        if (binary and not after.isspace() and after not in ")}") or after.isalpha():
            out.append(" ")
    return re.sub(r"(?<!\\)%", r"\\%", "".join(out)).strip()  # % starts a TeX comment


def _unwrap(argument: str) -> str:
    if argument[:1] in "({" and argument[-1:] in ")}":
        return argument[1:-1].strip()
    return argument
