"""Hostile input and faults: each case is a real ``python -m ankigen`` run under a memory
limit and a timeout. Each gives its ``path:line`` message and exit status 1, no traceback,
and leaves the earlier package, the lock and the release record byte-identical.

The shipped deck is built once (module fixture); each case copies that built folder, adds
its hostile input, runs ``check`` and ``build``, and compares.
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ankigen.source.layout import LOCK_FILE, RELEASE_FILE

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = "output/ml-and-dl-interview-questions-1.0.1.apkg"
STATE = (PACKAGE, f"cards/{LOCK_FILE}", f"cards/{RELEASE_FILE}")
MEMORY = 1 << 30
TIMEOUT = 60
CARD = "cards/ML/ML0031-linear-regression.md"
FRONT = "---\nid: {id}\ntitle: Hostile\n---\n"
BASIC = FRONT + "## Question\n\n{question}\n\n## Answer\n\n{answer}\n"


def _limits() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


def run(root: Path, *args: str, prelude: str = "") -> subprocess.CompletedProcess[str]:
    """``python -m ankigen ARGS`` in ``root``, bounded in memory and time; ``prelude`` is
    Python run first in the same process (to simulate a fault)."""
    code = f"{prelude}\nfrom ankigen.cli import main\nmain(prog_name='ankigen')"
    env = {**os.environ, "PYTHONPATH": str(SRC), "XDG_CACHE_HOME": str(root / ".cache")}
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        errors="backslashreplace",
        timeout=TIMEOUT,
        preexec_fn=_limits,
        check=False,
    )


@pytest.fixture(scope="module")
def built_once(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("built")
    shutil.copytree(Path(__file__).resolve().parents[1] / "cards", root / "cards")
    done = run(root, "build")
    assert done.returncode == 0, done.stderr
    return root


@pytest.fixture
def deck(built_once: Path, tmp_path: Path) -> Path:
    """A private copy of the built shipped deck (cards and output)."""
    root = tmp_path / "deck"
    shutil.copytree(built_once, root, symlinks=True, ignore=shutil.ignore_patterns(".cache"))
    return root


def refused(root: Path, where: str, message: str, *, prelude: str = "") -> str:
    """Run check and build; both fail with ``message`` at ``where`` and change nothing."""
    before = {name: (root / name).read_bytes() for name in STATE}
    output = ""
    for command in ("check", "build"):
        done = run(root, command, prelude=prelude)
        output = done.stdout + done.stderr
        assert "Traceback" not in output, output
        assert done.returncode == 1, output
        lines = [line for line in done.stderr.splitlines() if line.startswith(where)]
        assert any(message in line for line in lines), output
        assert "\x1b" not in output
    after = {name: (root / name).read_bytes() for name in STATE}
    assert after == before
    return output


def write(root: Path, relative: str, text: str) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


# 1. YAML aliases ("billion laughs") -------------------------------------------------------

LAUGHS = (
    'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{','.join(['*' + chr(97 + i)] * 9)}]\n"
        for i in range(8)
    )
)


def test_alias_bomb_in_front_matter(deck):
    write(deck, "cards/ML/ML0090-bomb.md", BASIC.format(id="ML0090", question="q", answer="a"))
    path = deck / "cards/ML/ML0090-bomb.md"
    text = path.read_text().replace("title: Hostile\n", "title: Hostile\n" + LAUGHS)
    path.write_text(text)
    out = refused(deck, "cards/ML/ML0090-bomb.md:4:", "YAML anchors and aliases")
    assert "lol" not in out


def test_alias_bomb_in_deck_yaml(deck):
    with open(deck / "cards/deck.yaml", "a") as handle:
        handle.write("laughs:\n" + "".join("  " + line + "\n" for line in LAUGHS.splitlines()))
    refused(deck, "cards/deck.yaml:", "YAML anchors and aliases")


def test_merge_key_alias_is_refused(deck):
    text = "---\nid: ML0090\nbase: &b {title: x}\n<<: *b\n---\n## Question\n\nq\n\n## Answer\n\na\n"
    write(deck, "cards/ML/ML0090-merge.md", text)
    refused(deck, "cards/ML/ML0090-merge.md:3:", "YAML anchors and aliases")


def test_long_values_are_cut_in_messages(deck):
    long_id = "DL" + "x" * 5000
    write(deck, "cards/DL/DL0090-long.md", BASIC.format(id=long_id, question="q", answer="a"))
    out = refused(deck, "cards/DL/DL0090-long.md:2:", "must be capital letters A-Z then digits")
    assert "x" * 81 not in out and "…" in out


# 2. Duplicate keys ------------------------------------------------------------------------


def test_duplicate_front_matter_key(deck):
    text = "---\nid: ML0090\ntitle: One\nid: ML0091\n---\n## Question\n\nq\n\n## Answer\n\na\n"
    write(deck, "cards/ML/ML0090-dup.md", text)
    refused(deck, "cards/ML/ML0090-dup.md:4:", "`id:` is given twice, on lines 2 and 4")


def test_duplicate_deck_yaml_key(deck):
    path = deck / "cards/deck.yaml"
    text = path.read_text()
    name_line = next(i for i, line in enumerate(text.splitlines(), 1) if line.startswith("name:"))
    last = text.count("\n") + 1
    path.write_text(text + "name: Another deck\n")
    refused(deck, f"cards/deck.yaml:{last}:", f"`name:` is given twice, on lines {name_line}")


# 3. Ids are ASCII -------------------------------------------------------------------------


@pytest.mark.parametrize("card_id", ["DL０００９", "DL٠٠٠٩", "ＤL0009", "DL0009²"])
def test_non_ascii_digits_or_letters_in_ids(deck, card_id):
    write(deck, "cards/DL/DL0009-x.md", BASIC.format(id=card_id, question="q", answer="a"))
    refused(deck, "cards/DL/DL0009-x.md:2:", "capital letters A-Z then digits 0-9")


# 4. A folder that cannot be listed --------------------------------------------------------

UNLISTABLE = """
import os
_real = os.scandir
def _scandir(path='.'):
    if os.fspath(path).endswith('/ML'):
        raise PermissionError(13, 'Permission denied', os.fspath(path))
    return _real(path)
os.scandir = _scandir
"""


def test_unlistable_card_folder_is_an_error_not_a_removal(deck):
    out = refused(deck, "cards/ML:1:", "cannot read this folder (Permission denied)", prelude=UNLISTABLE)
    assert "retire" not in out


@pytest.mark.skipif(os.geteuid() == 0, reason="root lists folders whatever their permissions")
def test_unlistable_card_folder_by_permissions(deck):
    folder = deck / "cards/ML"
    folder.chmod(0)
    try:
        refused(deck, "cards/ML:1:", "cannot read this folder")
    finally:
        folder.chmod(0o755)


def test_walk_files_raises_for_an_unlistable_folder(tmp_path, monkeypatch):
    from ankigen.errors import AnkigenError
    from ankigen.source import load

    (tmp_path / "A").mkdir()
    (tmp_path / "A" / "x.md").write_text("x")
    real = os.scandir

    def scandir(path):
        if os.fspath(path).endswith("/A"):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real(path)

    monkeypatch.setattr(load.os, "scandir", scandir)
    with pytest.raises(AnkigenError, match="A:1: cannot read this folder"):
        load.discover(tmp_path)


# 5. Devices, FIFOs and sizes --------------------------------------------------------------

NOT_A_FILE = {"zero": "it is a device, not a file", "fifo": "it is a FIFO (named pipe), not a file"}


def _special(path: Path, kind: str) -> None:
    path.unlink(missing_ok=True)
    if kind == "zero":
        path.symlink_to("/dev/zero")
    else:
        os.mkfifo(path)


@pytest.mark.parametrize("kind", ["zero", "fifo"])
@pytest.mark.parametrize(
    "relative",
    ["cards/ML/ML0090-special.md", f"cards/{LOCK_FILE}", f"cards/{RELEASE_FILE}", "cards/deck.yaml"],
)
def test_device_or_fifo_input(deck, relative, kind):
    state = {name: (deck / name).read_bytes() for name in STATE}
    _special(deck / relative, kind)
    for command in ("check", "build"):
        done = run(deck, command)
        output = done.stdout + done.stderr
        assert "Traceback" not in output
        assert done.returncode == 1, output
        assert f"{relative}:1:" in done.stderr and NOT_A_FILE[kind] in done.stderr, output
    for name, data in state.items():
        if name != relative:
            assert (deck / name).read_bytes() == data


@pytest.mark.parametrize(
    ("kind", "said"),
    [
        ("fifo", NOT_A_FILE["fifo"]),
        ("link-to-fifo", NOT_A_FILE["fifo"]),
        ("zero", "is outside the cards folder"),  # a link leading out is refused first
    ],
)
def test_image_that_is_a_device_or_fifo(deck, kind, said):
    if kind == "link-to-fifo":
        _special(deck / "cards/ML/pipe", "fifo")
        (deck / "cards/ML/plot.png").symlink_to("pipe")
    else:
        _special(deck / "cards/ML/plot.png", kind)
    with open(deck / CARD, "a") as handle:
        handle.write("\n![plot](plot.png)\n")
    line = (deck / CARD).read_text().count("\n")
    refused(deck, f"{CARD}:{line}:", said)


@pytest.mark.parametrize(
    ("relative", "size", "said"),
    [
        ("cards/ML/ML0090-big.md", 2 << 20, "it is 2 MiB, over the 1 MiB a card file may have"),
        ("cards/ML/huge.png", 65 << 20, "it is 65 MiB, over the 64 MiB an image may have"),
    ],
)
def test_size_caps(deck, relative, size, said):
    with open(deck / relative, "wb") as handle:
        handle.truncate(size)  # sparse: no disk used
    where = f"{relative}:1:"
    if relative.endswith(".png"):
        with open(deck / CARD, "a") as handle:
            handle.write("\n![huge](huge.png)\n")
        where = f"{CARD}:{(deck / CARD).read_text().count(chr(10))}:"
    refused(deck, where, said)


def test_oversized_lock(deck):
    lock = deck / f"cards/{LOCK_FILE}"
    state = {name: (deck / name).read_bytes() for name in STATE}
    with open(lock, "r+b") as handle:
        handle.truncate(257 << 20)
    done = run(deck, "build")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert f"cards/{LOCK_FILE}:1: cannot read lock file: it is 257 MiB, over the 256 MiB" in (
        done.stderr
    )
    assert (deck / PACKAGE).read_bytes() == state[PACKAGE]


# 6. Stray files are not read whole --------------------------------------------------------


def test_stray_large_file_is_not_read(deck):
    with open(deck / "cards/ML/holiday.mov", "wb") as handle:
        handle.truncate(3 << 30)  # 3 GiB, sparse; the run has 1 GiB of address space
    with open(deck / "cards/ML/scan.png", "wb") as handle:
        handle.truncate(1100 << 20)  # hashed in chunks though never used
    for _ in range(2):
        done = run(deck, "build")
        assert done.returncode == 0, done.stderr
    assert "No changes" in done.stdout
    with open(deck / "cards/ML/holiday.mov", "ab") as handle:
        handle.write(b"x")
    done = run(deck, "build")
    assert done.returncode == 0 and "Traceback" not in done.stderr


def test_a_change_to_a_read_file_is_still_seen(deck):
    (deck / "cards/ML/figure.png").write_bytes(b"\x89PNG one")
    with open(deck / CARD, "a") as handle:
        handle.write("\n![figure](figure.png)\n")
    assert run(deck, "build").returncode == 0
    assert "No changes" in run(deck, "build").stdout
    (deck / "cards/ML/figure.png").write_bytes(b"\x89PNG two")
    assert "No changes" not in run(deck, "build").stdout


# 7. File names that are not UTF-8 ---------------------------------------------------------


def test_card_file_name_not_utf8(deck):
    text = BASIC.format(id="ML0090", question="q", answer="a").encode()
    with open(os.fsencode(deck / "cards/ML") + b"/\xff.md", "wb") as handle:
        handle.write(text)
    refused(deck, "cards/ML/\\xff.md:1:", "is not valid UTF-8: rename it")


def test_card_folder_name_not_utf8(deck):
    folder = os.fsencode(deck / "cards/ML") + b"/\xfe"
    os.mkdir(folder)
    with open(folder + b"/ML0090-x.md", "wb") as handle:
        handle.write(BASIC.format(id="ML0090", question="q", answer="a").encode())
    refused(deck, "cards/ML/\\xfe/ML0090-x.md:1:", "is not valid UTF-8: rename it")


# 8. Hand-edited lock and release record ---------------------------------------------------

LOCK_EDITS = [
    ('"note_id": 1795708626000', '"note_id": 9223372036854775807', 5, "note_id is 92233"),
    ('"note_id": 1795708626000', '"note_id": 99999999999999999999', 5, "more than 19 digits"),
    ('"note_id": 1795708626000', '"note_id": ' + "9" * 5000, 5, "more than 19 digits"),
    ('"mod": 1795708626,', '"mod": Infinity,', 5, "Infinity is not a number"),
    ('"mod": 1795708626,', '"mod": NaN,', 5, "NaN is not a number"),
    ('"mod": 1795708626,', '"mod": 1e999,', 5, "1e999 is not a whole number"),
    ('"mod": 1795708626,', '"mod": -1,', 5, "mod is -1, not from 0"),
    ('"note_id": 1795708626000', '"note_id": 0', 5, "note_id is 0, not from 1"),
    ('"note_id": 1795708626100', '"note_id": 1795708626000', 6, "is also DL0001's"),
    ('"mod": 1795708626,', '"mod": "soon",', 5, "mod is str 'soon', not a number"),
    ('"deck_id": 1843956106', '"deck_id": -3', 1, "deck_id is -3"),
    (
        '"title": "Residual Connection"',
        '"title": "Residual Connection", "clozes": [99999999999999999999]',
        5,
        "more than 19 digits",
    ),
    ('"title": "Residual Connection"', '"title": "R", "clozes": [0]', 5, "a cloze number is 0"),
]


@pytest.mark.parametrize(("old", "new", "line", "said"), LOCK_EDITS)
def test_hand_edited_lock(deck, old, new, line, said):
    lock = deck / f"cards/{LOCK_FILE}"
    text = lock.read_text()
    assert old in text
    lock.write_text(text.replace(old, new, 1))
    out = refused(deck, f"cards/{LOCK_FILE}:{line}:", said)
    assert f"git checkout -- cards/{LOCK_FILE}" in out


def test_deeply_nested_lock(deck):
    (deck / f"cards/{LOCK_FILE}").write_text('{"format": 4, "cards": ' + "[" * 100_000 + "]" * 100_000 + "}")
    refused(deck, f"cards/{LOCK_FILE}:1:", "corrupt lock file")


@pytest.mark.parametrize(
    ("old", "new", "said"),
    [
        ('"time": 1796632800', '"time": 1e400', "1e400 is not a whole number"),
        ('"time": 1796632800', '"time": NaN', "NaN is not a number"),
        ('"time": 1796632800', '"time": ' + "7" * 5000, "more than 19 digits"),
        ('"time": 1796632800', '"time": -5', "time is -5"),
    ],
)
def test_hand_edited_release_record(deck, old, new, said):
    record = deck / f"cards/{RELEASE_FILE}"
    text = record.read_text()
    assert old in text
    record.write_text(text.replace(old, new, 1))
    out = refused(deck, f"cards/{RELEASE_FILE}:", said)
    assert f"git checkout -- cards/{RELEASE_FILE}" in out


def test_deeply_nested_release_record(deck):
    (deck / f"cards/{RELEASE_FILE}").write_text("[" * 100_000 + "]" * 100_000)
    refused(deck, f"cards/{RELEASE_FILE}:1:", "corrupt release manifest")


@pytest.mark.parametrize("number", ["99999999999999999999999", "9" * 5000, "0"])
def test_cloze_numbers_past_any_limit(deck, number):
    text = FRONT.format(id="ML0090") + f"## Text\n\na {{{{c{number}::x}}}} b\n"
    write(deck, "cards/ML/ML0090-cloze.md", text.replace("title: Hostile\n", "title: H\ntype: cloze\n"))
    refused(deck, "cards/ML/ML0090-cloze.md:8:", "deletions are numbered c1 to c100")


# 9. Nesting the sanitizer would take quadratic time over -------------------------------------


@pytest.mark.parametrize(
    "answer",
    [">" * 100_000 + " deep", "<div>" * 80_000 + "x" + "</div>" * 80_000, "- " * 100_000 + "x"],
    ids=["blockquotes", "divs", "lists"],
)
def test_deep_nesting_in_a_field(deck, answer):
    write(deck, "cards/ML/ML0090-deep.md", BASIC.format(id="ML0090", question="q", answer=answer))
    refused(deck, "cards/ML/ML0090-deep.md:11:", "nests more than 100 levels deep")


def test_nesting_within_the_limit_still_builds(deck):
    answer = ">" * 50 + " fine"
    write(deck, "cards/ML/ML0090-deep.md", BASIC.format(id="ML0090", question="q", answer=answer))
    assert run(deck, "check").returncode == 0


# 10. Formulas nested deeper than MathJax typesets ------------------------------------------


@pytest.mark.parametrize(
    "tex",
    [
        "{" * 3000 + "x" + "}" * 3000,
        "\\frac{" * 400 + "x" + "}{y}" * 400,
        "\\left(" * 300 + "x" + "\\right)" * 300,
        "\\begin{matrix}" * 250 + "x" + "\\end{matrix}" * 250,
    ],
    ids=["braces", "frac", "left-right", "environments"],
)
def test_formula_nested_too_deep(deck, tex):
    write(deck, "cards/ML/ML0090-tex.md", BASIC.format(id="ML0090", question="q", answer=f"$${tex}$$"))
    refused(deck, "cards/ML/ML0090-tex.md:11:", "nested more than 200 deep")


# 11. Terminal escapes in messages ---------------------------------------------------------


def test_escape_sequences_in_a_heading(deck):
    text = FRONT.format(id="ML0090") + "## Question\n\nq\n\n## \x1b]0;pwned\x07\x1b[2J Answer\n\na\n"
    write(deck, "cards/ML/ML0090-esc.md", text)
    out = refused(deck, "cards/ML/ML0090-esc.md:9:", "control character U+001B")
    assert "\x1b" not in out and "\x07" not in out


def test_escape_sequences_in_yaml_values_and_keys(deck):
    text = '---\nid: "ML\\e[31m0090"\ntitle: t\n"\\e]0;x\\a": 1\n---\n## Question\n\nq\n\n## Answer\n\na\n'
    write(deck, "cards/ML/ML0090-esc.md", text)
    out = refused(deck, "cards/ML/ML0090-esc.md:2:", "`id` holds a control character U+001B")
    assert "unknown front-matter key '\\x1b]0;x\\x07'" in out
    assert "\x1b" not in out and "\x07" not in out


def test_escape_sequences_in_a_file_name_are_printed_escaped(deck):
    text = "---\nid: ML0090\nid: ML0091\n---\n## Question\n\nq\n\n## Answer\n\na\n"
    write(deck, "cards/ML/\x1b[2Jx.md", text)
    out = refused(deck, "cards/ML/\\x1b[2Jx.md:3:", "`id:` is given twice")
    assert "\x1b" not in out


def test_problem_text_escapes_control_characters():
    from ankigen.errors import Problem

    shown = str(Problem("a\x1b.md", 3, "bad \x1b[31m \x9b \u202e end"))
    assert shown == "a\\x1b.md:3: bad \\x1b[31m \\x9b \\u202e end"
