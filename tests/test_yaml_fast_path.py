"""Front matter read without PyYAML (``yamlsource._simple``) is read exactly as PyYAML reads it.

The fast path takes only lines it can prove plain; everything else goes to PyYAML. Random
front matter, built from words YAML reads as other types (``yes``, ``null``, ``1.5``, dates),
quotes, colons, comments and lists, must give the same values and key lines both ways
whenever the fast path answers at all.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ankigen.source.yamlsource import YamlSyntaxError, _parse_yaml, _simple, parse_mapping

PLAIN = [
    "Residual", "connection", "Über", "größe", "a", "y", "n", "(x)", "a/b", "c++", "e.g.",
    "DL0001", "x-1", "it's", "A,", "Yes1", "nulls", "offset", "b.c",
]  # fmt: skip
RISKY = [
    "yes", "No", "TRUE", "off", "On", "null", "Null", "~", "1", "1.5", "1e3", "0x1F", ".inf",
    "2026-12-07", "12:30", "x:", "#tag", "a#b", "'q'", '"q"', "-", "--", "×", "—", "&anchor",
    "*alias", "!tag", "|", ">", "%", "@", "`", "{a}", "[a]", ",", "?", "\t",
]  # fmt: skip
# mostly words YAML reads as text, so that the fast path is taken often; some of every risk
WORDS = st.sampled_from(PLAIN * 12 + RISKY)
KEYS = ["id", "title", "tags", "type", "x_1", "Title", "yes", "2", "a b"]


@st.composite
def front_matter(draw: st.DrawFn) -> str:
    lines = []
    keys = draw(st.permutations(KEYS))[: draw(st.integers(1, 4))]
    for key in keys:
        if draw(st.booleans()):
            items = draw(st.lists(WORDS, max_size=4))
            value = "[" + draw(st.sampled_from([", ", ",", " , "])).join(items) + "]"
        else:
            value = draw(st.sampled_from([" ", "  "])).join(
                draw(st.lists(WORDS, min_size=1, max_size=4))
            )
        gap = draw(st.sampled_from([" "] * 8 + ["  ", ""]))
        tail = draw(st.sampled_from([""] * 8 + [" ", " # note"]))
        lines.append(f"{key}:{gap}{value}{tail}")
        if draw(st.integers(0, 4)) == 0:
            lines.append(draw(st.sampled_from(["", " "])))
    return "\n".join(lines)


@settings(max_examples=1000, deadline=None)
@given(front_matter())
def test_the_fast_path_reads_front_matter_as_pyyaml_does(text):
    fast = _simple(text, 2)
    if fast is None:
        return
    slow = _parse_yaml(text, 2)
    assert (fast.values, fast.key_lines) == (slow.values, slow.key_lines)


def test_the_fast_path_takes_the_usual_front_matter():
    text = "id: DL0001\ntitle: Residual Connection, explained (again)\ntags: [cnn, resnet]"
    found = _simple(text, 2)
    assert found is not None
    assert found.values == {
        "id": "DL0001",
        "title": "Residual Connection, explained (again)",
        "tags": ["cnn", "resnet"],
    }
    assert found.key_lines == {"id": 2, "title": 3, "tags": 4}


def test_what_yaml_reads_otherwise_goes_to_yaml():
    for text in ("title: yes", "title: 1.5", "tags: [a, null]", "title: a # b", "title: 'x'"):
        assert _simple(text, 2) is None
    assert parse_mapping("title: yes", 2).values == {"title": True}
    try:
        parse_mapping("title: [a", 2)
    except YamlSyntaxError as exc:
        assert exc.line >= 2
    else:
        raise AssertionError("an unclosed flow list is a YAML error")
