"""Benchmark ankigen on large synthetic decks; run by hand, never by the test suite.

    python bench/run.py [--sizes 1000,10000,50000] [--runs 3] [--json bench/results.json]

For each deck size it generates a deterministic deck (``bench/synth.py``) and measures, as the
median of ``--runs`` runs, each in a fresh interpreter (``bench/child.py``) so that every peak
memory figure belongs to one run:

- cold build: no lock, no render cache, no output (wall time and peak memory);
- no-change rebuild, and rebuild after one card changed (the lock and cache are warm);
- ``ankigen check`` alone, when the command exists;
- the floor: genanki alone writing the same notes, taken from the built package, as HTML;
- the plain approach: ``markdown.markdown()`` per card (PyYAML's default loader), then genanki.

Times are the wall time of the whole process, interpreter start included, for every column
alike. After generating a deck it waits until the files are older than ankigen's window for
just-saved files (``buildrecord.RACY_SECONDS``), as an author's cards are, so that rebuilds
trust their status as they would on the author's machine. The render cache lives in a
private ``XDG_CACHE_HOME`` under the work folder. Prints a Markdown table and writes every
number as JSON.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from synth import card_ids, card_path, generate, generate_ankdown  # noqa: E402

CHILD = HERE / "child.py"
MEASURES = ("cold", "no_change", "one_card", "check", "floor", "markdown", "ankdown")


def machine() -> dict[str, object]:
    """What the numbers were measured on."""
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        usable = os.cpu_count() or 1
    try:
        from importlib.metadata import version

        ankigen_version = version("ankigen")
    except Exception:
        ankigen_version = "unknown"
    return {
        "nproc": usable,
        "cpu": model,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "ankigen": ankigen_version,
    }


def run_child(task: str, args: list[str], cwd: Path, cache: Path) -> dict[str, object]:
    """Run one task in a fresh interpreter; its report plus the wall time of the process."""
    env = dict(os.environ, XDG_CACHE_HOME=str(cache), PYTHONHASHSEED="0")
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # compiled modules are cached, as on any install
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, str(CHILD), task, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{task} failed:\n{done.stdout}\n{done.stderr}")
    report = json.loads(done.stdout.strip().splitlines()[-1])
    if report["status"] != 0:
        raise SystemExit(f"{task} exited {report['status']}:\n{report['printed']}")
    report["seconds"] = wall
    return report


def settle_seconds() -> float:
    """How long files must be left alone before a build trusts their status (0: it never does)."""
    try:
        from ankigen.cache.build_record import RACY_SECONDS
    except ImportError:  # an ankigen that reads every file on every build
        return 0.0
    return RACY_SECONDS + 0.5


def rebuild_options() -> list[str]:
    """Options for rebuilding the same version after an edit, as an author iterating would.

    Where ankigen refused to change an already built version, that was ``--force``; since
    a build of unreleased cards is a development build, it needs none (the flag is hidden).
    """
    from ankigen.cli import main

    build = main.commands["build"]  # type: ignore[attr-defined]
    visible = [param for param in build.params if not getattr(param, "hidden", False)]
    return ["--force"] if any(param.name == "force" for param in visible) else []


def has_ankdown() -> bool:
    """Whether the peer is installed (``pip install -e '.[bench]'``)."""
    return importlib.util.find_spec("ankdown") is not None


def has_check_command() -> bool:
    """Whether this ankigen has ``ankigen check`` yet."""
    from ankigen.cli import main

    return "check" in main.commands  # type: ignore[attr-defined]


def export_notes(apkg: Path, target: Path) -> int:
    """The notes of a built package (GUID, fields, tags) as JSON for the floor; their count."""
    with tempfile.TemporaryDirectory() as work:
        with zipfile.ZipFile(apkg) as archive:
            archive.extract("collection.anki2", work)
        conn = sqlite3.connect(Path(work) / "collection.anki2")
        rows = conn.execute("SELECT guid, flds, tags FROM notes ORDER BY id").fetchall()
        conn.close()
    notes = [
        {"guid": guid, "fields": flds.split("\x1f"), "tags": tags.split()}
        for guid, flds, tags in rows
    ]
    target.write_text(json.dumps(notes, ensure_ascii=False), encoding="utf-8")
    return len(notes)


def edit_one_card(cards: Path, size: int, run: int) -> tuple[Path, bytes]:
    """Change one card's answer (a different card each run); return it and its old bytes."""
    ids = card_ids(size)
    path = card_path(cards, ids[(run + 1) * len(ids) // (run + 3)])
    old = path.read_bytes()
    path.write_bytes(old + f"\nEdited for benchmark run {run}.\n".encode())
    return path, old


def measure_size(size: int, runs: int, work: Path, seed: int, check: bool) -> dict[str, object]:
    """Every measure for one deck size: the raw runs and their medians."""
    base = work / str(size)
    shutil.rmtree(base, ignore_errors=True)
    cards = base / "cards"
    print(f"[{size}] generating …", file=sys.stderr, flush=True)
    generate(cards, size, seed)
    # An author's cards were saved before the build, not in the same instant: a file changed
    # within RACY_SECONDS of the newest file is read by every build until it settles.
    time.sleep(settle_seconds())
    out, cache = base / "output", base / "xdg-cache"
    lock = cards / "ankigen.lock"
    raw: dict[str, list[dict[str, object]]] = {name: [] for name in MEASURES}
    build_args = [str(cards.relative_to(base)), str(out.relative_to(base))]
    for run in range(runs):
        print(f"[{size}] run {run + 1}/{runs}: builds", file=sys.stderr, flush=True)
        lock.unlink(missing_ok=True)
        shutil.rmtree(out, ignore_errors=True)
        shutil.rmtree(cache, ignore_errors=True)
        raw["cold"].append(run_child("build", build_args, base, cache))
        raw["no_change"].append(run_child("build", build_args, base, cache))
        path, old = edit_one_card(cards, size, run)
        raw["one_card"].append(run_child("build", build_args + rebuild_options(), base, cache))
        if check:
            raw["check"].append(run_child("check", [build_args[0]], base, cache))
        path.write_bytes(old)
    peer_cards = base / "ankdown-cards"
    generate_ankdown(cards, peer_cards)
    apkg = next(out.glob("*.apkg"))
    notes_json = base / "notes.json"
    count = export_notes(apkg, notes_json)
    assert count == size, f"the package holds {count} notes, not {size}"
    for run in range(runs):
        print(f"[{size}] run {run + 1}/{runs}: floor, markdown", file=sys.stderr, flush=True)
        raw["floor"].append(run_child("floor", [str(notes_json), str(base / "floor")], base, cache))
        raw["markdown"].append(
            run_child("markdown", [str(cards.relative_to(base)), str(base / "md")], base, cache)
        )
        if has_ankdown():
            peer = [str(peer_cards.relative_to(base)), str(base / "ankdown")]
            raw["ankdown"].append(run_child("ankdown", peer, base, cache))
    result: dict[str, object] = {"runs": raw, "load_average": os.getloadavg()}
    for name, reports in raw.items():
        if reports:
            result[name] = {
                "seconds": statistics.median(r["seconds"] for r in reports),
                "cpu_seconds": statistics.median(r["cpu_seconds"] for r in reports),
                "peak_mb": statistics.median(r["peak_kb"] for r in reports) / 1024,
                "max_peak_mb": max(r["peak_kb"] for r in reports) / 1024,
            }
        else:
            result[name] = None
    result["no_change_summary"] = raw["no_change"][-1]["printed"].strip()[-300:]
    return result


def ratios(sizes: dict[int, dict[str, object]]) -> dict[str, float]:
    """The issue's targets as ratios within this run."""

    def seconds(size: int, name: str) -> float | None:
        entry = sizes.get(size, {}).get(name)
        return entry["seconds"] if entry else None

    found: dict[str, float] = {}
    for size in sizes:
        floor, md = seconds(size, "floor"), seconds(size, "markdown")
        for name in ("no_change", "one_card"):
            value = seconds(size, name)
            if value is not None and floor:
                found[f"{size}:{name}/floor"] = value / floor
        cold = seconds(size, "cold")
        if cold is not None and md:
            found[f"{size}:cold/markdown"] = cold / md
        peer = seconds(size, "ankdown")
        if cold is not None and peer:
            found[f"{size}:cold/ankdown"] = cold / peer
    small, large = seconds(10_000, "cold"), seconds(50_000, "cold")
    if small and large:
        found["50000/10000:cold"] = large / small
    return found


def table(results: dict[str, object]) -> str:
    """The results as a Markdown table, one row per deck size, then the target ratios."""
    head = (
        "| cards | cold build | peak memory | no-change rebuild | one card changed | check "
        "| floor: genanki alone | markdown.markdown() per card | ankdown |"
    )
    rows = [head, "|" + "---:|" * 9]
    for size, entry in results["sizes"].items():

        def cell(name: str, entry: dict[str, object] = entry) -> str:
            value = entry.get(name)
            return f"{value['seconds']:.2f} s" if value else "n/a"

        rows.append(
            f"| {int(size):,} | {cell('cold')} | {entry['cold']['peak_mb']:.0f} MB "
            f"| {cell('no_change')} | {cell('one_card')} | {cell('check')} "
            f"| {cell('floor')} | {cell('markdown')} | {cell('ankdown')} |"
        )
    lines = ["\n".join(rows), ""]
    targets = {  # the layout issue's: at 10,000 cards
        "no_change/floor": 1.0,
        "one_card/floor": 2.5,
        "cold/markdown": 0.3,
        "cold/ankdown": 2.0,
    }
    for key, value in results["ratios"].items():
        if key.startswith("50000/10000"):
            limit, label, judged = 5.5, "50,000-card ÷ 10,000-card cold build", True
        else:
            size, name = key.split(":")
            limit = targets[name]
            label = f"{int(size):,} cards: {name.replace('/', ' ÷ ').replace('_', '-')}"
            judged = size == "10000"  # the issue sets these targets at 10,000 cards
        if judged:
            mark = "meets" if value <= limit else "MISSES"
            lines.append(f"- {label}: {value:.2f}× (target ≤ {limit}×: {mark})")
        else:
            lines.append(f"- {label}: {value:.2f}× (for comparison: the target is at 10,000)")
    big = results["sizes"].get("50000")
    if big:
        peaks = {name: big[name]["max_peak_mb"] for name in ("cold", "no_change", "one_card")}
        worst = max(peaks.values())
        lines.append(
            "- 50,000 cards: peak memory (highest run) "
            + ", ".join(f"{name.replace('_', '-')} {mb:.0f} MB" for name, mb in peaks.items())
            + f" (target ≤ 600 MB: {'meets' if worst <= 600 else 'MISSES'})"
        )
    info = results["machine"]
    loads = [entry["load_average"][0] for entry in results["sizes"].values()]
    lines.append(
        f"\nMedians of {results['runs']} runs; {info['nproc']} CPUs ({info['cpu']}), "
        f"Python {info['python']}, ankigen {info['ankigen']}; 1-minute load average "
        f"{min(loads):.1f}–{max(loads):.1f} while measuring (other work on the machine)."
    )
    if not results["check_available"]:
        lines.append("`ankigen check` does not exist in this version: its column is n/a.")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Parse the options, run every size, print the table and write the JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000,50000", help="deck sizes, comma-separated")
    parser.add_argument("--runs", type=int, default=3, help="runs per measure (median; ≥ 3)")
    parser.add_argument("--json", type=Path, default=HERE / "results.json", help="JSON output")
    parser.add_argument("--seed", type=int, default=8, help="seed of the synthetic decks")
    parser.add_argument("--work", type=Path, help="work folder (default: a temporary one)")
    options = parser.parse_args(argv)
    if options.runs < 3:
        parser.error("--runs must be at least 3: the table shows medians")
    if importlib.util.find_spec("markdown") is None:
        parser.error("the comparison needs Python-Markdown: pip install -e '.[bench]'")
    sizes = [int(s) for s in options.sizes.split(",") if s.strip()]
    check = has_check_command()
    work = options.work or Path(tempfile.mkdtemp(prefix="ankigen-bench-"))
    try:
        per_size = {
            str(size): measure_size(size, options.runs, work, options.seed, check) for size in sizes
        }
    finally:
        if options.work is None:
            shutil.rmtree(work, ignore_errors=True)
    results: dict[str, object] = {
        "machine": machine(),
        "runs": options.runs,
        "seed": options.seed,
        "check_available": check,
        "sizes": per_size,
    }
    results["ratios"] = ratios({int(k): v for k, v in per_size.items()})
    options.json.parent.mkdir(parents=True, exist_ok=True)
    options.json.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(table(results))
    print(f"\nJSON: {options.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
