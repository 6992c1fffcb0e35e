"""The README's promises: its set-up commands exist, and its Anki menu names are Anki's own."""

from __future__ import annotations

import re
from pathlib import Path

from anki.collection import Collection

REPO = Path(__file__).resolve().parent.parent
README = (REPO / "README.md").read_text(encoding="utf-8")


def label(text: str) -> str:
    """A menu label as shown: without the ``&`` that marks its keyboard accelerator."""
    return text.replace("&", "")


def test_the_two_setup_commands_are_in_the_readme_and_ci_runs_the_second():
    build = "python3 -m venv .venv && .venv/bin/pip install -e . && .venv/bin/ankigen build"
    assert build in README
    assert "\nbash scripts/test\n" in README
    assert "bash scripts/test" in (REPO / ".ci" / "run").read_text()


def test_learner_instructions_use_the_menu_names_of_current_anki(tmp_path):
    col = Collection(str(tmp_path / "collection.anki2"))
    try:
        tr = col.tr
        names = {
            "file menu": f"{label(tr.qt_accel_file())} → {label(tr.qt_accel_import())}",
            "sync": label(tr.qt_misc_sync()),
            "browse": label(tr.qt_misc_browse()),
            "update notes": f"{tr.importing_update_notes()}: {tr.importing_update_if_newer()}",
            "update note types": f"{tr.importing_update_notetypes()}: "
            f"{tr.importing_update_if_newer()}",
            "merge": tr.importing_merge_notetypes(),
            "suspend": f"{label(tr.qt_accel_cards())} → {tr.browsing_toggle_suspend()}",
            "delete": f"{label(tr.qt_accel_notes())} → {tr.actions_delete()}",
        }
    finally:
        col.close()
    learners = (REPO / "docs" / "learners.md").read_text(encoding="utf-8")
    for what, name in names.items():
        assert re.search(rf"\*{re.escape(name)}\*", learners), f"{what}: *{name}* not in README"
