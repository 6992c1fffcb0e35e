"""Formulas, MathJax's tables: its control sequences, environments and delimiters as Anki
configures it, and how each of MathJax's parse methods reads its arguments.

The tables come from ``data/mathjax-tex.json``, generated from the ``mathjax-full`` package by
``tests/js/dump-tex-tables.js``; the argument specs below are read off MathJax's methods.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

# Argument specs of MathJax's parse methods (the method names its tables give each macro):
#   m  an argument parsed as math        t  an argument taken as text (braces must balance)
#   o  an optional [argument]            s  an optional *
#   d  a delimiter, as after \left       D  a dimension such as 1em
#   N  a positive whole number           a  a body with & and \\ (plain TeX's \matrix{..})
#   U  a character code, like 65 or x41     x  text with $math$ inside (MathJax's internalMath)
# A method not listed reads no arguments here; where MathJax would still read one, this
# checker is lenient rather than wrong.
METHOD_ARGS: dict[str, str] = {
    "Accent": "m",
    "Aboxed": "m",
    "BBox": "om",
    "Boldsymbol": "m",
    "Braket": "m",
    "CFrac": "omm",
    "Cancel": "m",
    "CancelTo": "tm",
    "Class": "tm",
    "Color": "ot",
    "ColorBox": "tx",
    "Cramped": "om",
    "DefineColor": "ttt",
    "Enclose": "tom",
    "FBox": "x",
    "FColorBox": "ttx",
    "FrameBox": "oox",
    "Frac": "mm",
    "HBox": "x",
    "HandleLabel": "t",
    "HandleOperatorName": "sm",
    "HandleRef": "t",
    "HandleTag": "st",  # "sx" in display math, the only place a tag is typeset
    "Href": "tm",
    "Hskip": "D",
    "Id": "tm",
    "Lap": "m",
    "Machine": "t",
    "MakeBig": "d",
    "MathChoice": "mmmm",
    "MathFont": "m",
    "MathLap": "om",
    "MathMBox": "m",
    "MathMakeBox": "oom",
    "Mathtip": "mm",
    "Matrix": "a",
    "MoveLeftRight": "Dm",
    "MoveRoot": "t",
    "MtLap": "x",
    "Overset": "mm",
    "Overunderset": "mmm",
    "Phantom": "m",
    "Prescript": "mmm",
    "RaiseLower": "Dm",
    "Rule": "ttt",
    "SetOptions": "t",
    "SideSet": "mm",
    "Smash": "om",
    "SplitFrac": "mm",
    "Sqrt": "om",
    "Style": "tm",
    "TableColor": "ot",
    "TeXAtom": "m",
    "TextColor": "otm",
    "UnderOver": "m",
    "UnderOverBracket": "oom",
    "Underset": "mm",
    "Unicode": "oU",
    "VDotsWithin": "t",
    "XMathStrut": "om",
    "rule": "ott",
    "xArrow": "om",
}
# Environments that read arguments after \begin{name}, by MathJax method.
ENVIRONMENT_ARGS: dict[str, str] = {
    "AlignAt": "N",
    "AlignedArray": "ot",
    "AmsEqnArray": "o",
    "Empheq": "ot",
    "MtMatrix": "o",
    "MtMultlined": "oo",
    "MtSmallMatrix": "o",
    "NumCases": "t",
    "SpreadLines": "t",
    "XalignAt": "N",
}
# Methods whose environments are whole displayed equations (MathJax's "equation structures",
# which cannot nest). LaTeX allows them only in display math.
EQUATION_METHODS = {"EqnArray", "Equation", "Multline", "FlalignArray", "XalignAt", "Empheq"}
OPERATOR_METHODS = {"NamedFn", "HandleOperatorName"}
# Switches and markers: they make no atom, so x^2\displaystyle^3 is still one base.
NO_ATOM_METHODS = {
    "SetFont",
    "SetSize",
    "SetStyle",
    "Color",
    "HandleLabel",
    "HandleTag",
    "HandleNoTag",
    "Nonscript",
    "DefineColor",
}
OVER_METHOD = "Over"
# After ^ or _, these push no finished atom, so MathJax wants the script in braces.
SCRIPT_BREAKERS = {
    "SetFont",
    "SetSize",
    "SetStyle",
    "Color",
    "BeginEnd",
    "TeXAtom",
    OVER_METHOD,
    "NamedFn",
    "CrLaTeX",
    "Cr",
    "Not",
    "Matrix",
    "HLine",
}
# MathJax's dimensions (ParseUtil.matchDimen): a number and a unit, like 1em or -.5pt.
_NUMBER_UNIT = r"\s*[-+]?(?:[.,]\d+|\d+(?:[.,]\d*)?)\s*(?:pt|em|ex|mu|px|mm|cm|in|pc)"
DIMENSION = re.compile(_NUMBER_UNIT + " ?")
DIMENSION_ONLY = re.compile(_NUMBER_UNIT + r"\s*")
LETTERS = re.compile(r"[A-Za-z]+ ?")
MAX_EXPANSIONS = 10_000  # MathJax's maxMacros: beyond it, a definition must be recursive


@dataclass(frozen=True)
class TexTables:
    """MathJax's tables as Anki configures it: macros, environments and delimiters."""

    macros: dict[str, list[Any]]
    environments: dict[str, list[Any]]
    delimiters: frozenset[str]


@cache
def tables() -> TexTables:
    """The tables generated from mathjax-full (``data/mathjax-tex.json``)."""
    text = resources.files("ankigen").joinpath("data/mathjax-tex.json").read_text("utf-8")
    data = json.loads(text)
    return TexTables(data["macros"], data["environments"], frozenset(data["delimiters"]))
