"""One measured task of the benchmark, run by ``bench/run.py`` in a fresh interpreter.

Usage: ``python bench/child.py TASK ARGS...`` with TASK one of

- ``build CARDS OUT [extra ankigen build options]``: ``ankigen build`` in this process;
- ``check CARDS``: ``ankigen check``;
- ``floor NOTES_JSON OUT``: genanki alone writes pre-rendered notes (the floor);
- ``markdown CARDS OUT``: the plain approach, ``markdown.markdown()`` per card, then genanki;
- ``ankdown CARDS OUT``: ankdown, the fastest Markdown-to-Anki peer (C Markdown, no checks),
  on the same cards written in its own format (``bench/synth.py``'s ``ankdown_text``).

The last line of standard output is a JSON report: exit status, peak memory, and the time
spent inside this process. While the task runs, a thread samples the resident memory of this
process and all its descendants (worker processes included) from ``/proc`` every 50 ms, as
proportional set size (pages a forked worker shares with its parent count once, split
between them); the report's peak is the larger of that and this process's own peak resident
memory (VmHWM).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import resource
import sys
import threading
import time
from pathlib import Path

START = time.perf_counter()
SAMPLE_SECONDS = 0.05  # reading smaps_rollup costs the kernel time: not too often


def _memory_kb(pid: int) -> int:
    """Proportional set size: shared pages (a forked worker's) counted once in all, not twice."""
    for name, field in ((f"/proc/{pid}/smaps_rollup", "Pss:"), (f"/proc/{pid}/status", "VmRSS:")):
        try:
            with open(name, encoding="ascii") as handle:
                for line in handle:
                    if line.startswith(field):
                        return int(line.split()[1])
        except OSError:
            continue
    return 0


def _high_water_kb() -> int:
    """This process's peak resident memory since it started this program (VmHWM)."""
    try:
        with open("/proc/self/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _descendants(pid: int) -> list[int]:
    found: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for tid in tasks:
        try:
            with open(f"/proc/{pid}/task/{tid}/children", encoding="ascii") as handle:
                children = [int(c) for c in handle.read().split()]
        except OSError:
            continue
        for child in children:
            found.append(child)
            found.extend(_descendants(child))
    return found


class MemorySampler(threading.Thread):
    """Largest sum of the memory of this process and its descendants seen so far."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak_kb = 0
        self._halt = threading.Event()

    def run(self) -> None:
        me = os.getpid()
        while not self._halt.is_set():
            total = sum(_memory_kb(pid) for pid in [me, *_descendants(me)])
            self.peak_kb = max(self.peak_kb, total)
            self._halt.wait(SAMPLE_SECONDS)

    def stop(self) -> None:
        self._halt.set()
        self.join()


def run_cli(args: list[str]) -> tuple[int, str]:
    """``ankigen ARGS`` in this process; its exit status and what it printed."""
    from ankigen.cli import main

    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        try:
            main(args, prog_name="ankigen")
            status = 0
        except SystemExit as exc:
            status = exc.code if isinstance(exc.code, int) else 1
    return status, out.getvalue()


def genanki_model():
    """A model shaped like ankigen's: four fields, one template."""
    import genanki

    return genanki.Model(
        1900000002,
        "Synthetic Benchmark Deck (floor)",
        fields=[{"name": n} for n in ("ID", "Title", "Question", "Answer")],
        templates=[
            {
                "name": "Question → Answer",
                "qfmt": "{{ID}} {{Title}}<div>{{Question}}</div>",
                "afmt": "{{FrontSide}}<hr id=answer>{{Answer}}",
            }
        ],
    )


def floor(notes_json: Path, out: Path) -> None:
    """genanki alone: the notes, already rendered to HTML, written as an .apkg."""
    import genanki

    notes = json.loads(notes_json.read_text(encoding="utf-8"))
    model = genanki_model()
    deck = genanki.Deck(1900000001, "Synthetic Benchmark Deck")
    for note in notes:
        deck.add_note(
            genanki.Note(model=model, fields=note["fields"], tags=note["tags"], guid=note["guid"])
        )
    out.mkdir(parents=True, exist_ok=True)
    genanki.Package(deck).write_to_file(out / "floor.apkg", timestamp=1_800_000_000)


def markdown_per_card(cards: Path, out: Path) -> None:
    """The plain approach: read each card, PyYAML's default loader, ``markdown.markdown()``."""
    import genanki
    import markdown
    import yaml

    model = genanki_model()
    deck = genanki.Deck(1900000001, "Synthetic Benchmark Deck")
    for path in sorted(cards.rglob("*.md")):
        text = path.read_text(encoding="utf-8")
        _, front, body = text.split("---\n", 2)
        meta = yaml.safe_load(front)
        question, answer = body.split("## Answer", 1)
        question = question.replace("## Question", "", 1)
        fields = [
            meta["id"],
            meta["title"],
            markdown.markdown(question),
            markdown.markdown(answer),
        ]
        tags = [meta["id"][:2], *(meta.get("tags") or [])]
        deck.add_note(
            genanki.Note(model=model, fields=fields, tags=tags, guid=genanki.guid_for(meta["id"]))
        )
    out.mkdir(parents=True, exist_ok=True)
    genanki.Package(deck).write_to_file(out / "markdown.apkg", timestamp=1_800_000_000)


def ankdown(cards: Path, out: Path) -> None:
    """ankdown on a folder of its own card files, as its command line runs it, into one .apkg."""
    from ankdown import ankdown as peer

    out.mkdir(parents=True, exist_ok=True)
    # ``$…$`` math, as ``--config "{dollar: True}"`` would set it; ankdown 0.7.1 reads that
    # option with a PyYAML call that PyYAML 6 no longer has
    peer.CONFIG["dollar"] = True
    sys.argv = ["ankdown", "-r", str(cards.resolve()), "-p", str((out / "ankdown.apkg").resolve())]
    with contextlib.redirect_stdout(io.StringIO()):
        peer.main()


def main(argv: list[str]) -> int:
    """Run the task named in ``argv`` and print its report as the last line."""
    task, *args = argv
    sampler = MemorySampler()
    sampler.start()
    status, printed = 0, ""
    if task == "build":
        status, printed = run_cli(["build", "--cards", args[0], "--out", args[1], *args[2:]])
    elif task == "check":
        status, printed = run_cli(["check", "--cards", args[0], *args[1:]])
    elif task == "floor":
        floor(Path(args[0]), Path(args[1]))
    elif task == "markdown":
        markdown_per_card(Path(args[0]), Path(args[1]))
    elif task == "ankdown":
        ankdown(Path(args[0]), Path(args[1]))
    else:
        raise SystemExit(f"unknown task {task!r}")
    elapsed = time.perf_counter() - START
    sampler.stop()
    own_usage = resource.getrusage(resource.RUSAGE_SELF)
    worker_usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    # Linux keeps ru_maxrss across exec: it would include the bench's own memory at spawn
    own, workers = _high_water_kb(), worker_usage.ru_maxrss
    cpu = sum(u.ru_utime + u.ru_stime for u in (own_usage, worker_usage))
    report = {
        "cpu_seconds": cpu,
        "status": status,
        "printed": printed[-2000:],
        "seconds_in_process": elapsed,
        "maxrss_self_kb": own,
        "maxrss_children_kb": workers,
        "peak_sampled_kb": sampler.peak_kb,
        "peak_kb": max(own, sampler.peak_kb),
    }
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
