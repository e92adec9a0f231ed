"""``make bench``: run every benchmark, then write benchmarks/results/table.md and the README's benchmarks table.

    .venv/bin/python benchmarks/run.py [--only api,history] [--table-only]

Each benchmark is one script (one measured path) writing benchmarks/results/<name>.json with its targets and
every measurement behind them; this collects the targets into one markdown table, with the machine and the
load average, and puts it between the README's ``bench:table`` markers.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
README = ROOT / "README.md"
BEGIN, END = "<!-- bench:table -->", "<!-- /bench:table -->"

# In the order of the targets; each is `benchmarks/<script>.py`, writing results/<result>.json.
BENCHMARKS = [
    ("api", "api"),
    ("history", "history"),
    ("collection", "collection"),
    ("websockets_fanout", "websockets"),
    ("ingest", "ingest"),
    ("storage", "storage"),
    ("storage_layout", "storage_layout"),
    ("export", "export"),
    ("pricing", "pricing"),
]


def _value(target: dict[str, Any]) -> str:
    value = target["value"]
    if value is None:
        return "n/a"
    if target["unit"] == "" and abs(value) < 1e-3:
        return f"{value:.1e}"
    if abs(value) >= 1000:
        return f"{value:,.0f} {target['unit']}".strip()
    return f"{value:.3g} {target['unit']}".strip()


def table(results: dict[str, dict[str, Any]]) -> str:
    lines = ["| Benchmark | Measured | Target | Met | Notes |", "|---|---|---|---|---|"]
    for _, name in BENCHMARKS:
        result = results.get(name)
        if result is None:
            continue
        for target in result.get("targets", []):
            sign = "≥" if target["comparison"] == "ge" else "≤"
            goal = f"{sign} {target['target']:g} {target['unit']}".strip()
            met = {True: "yes", False: "**no**", None: "n/a"}[target["met"]]
            note = target.get("note", "").replace("|", "/")
            lines.append(f"| {target['name']} | {_value(target)} | {goal} | {met} | {note} |")
    machine = next((r["machine"] for r in results.values() if "cpu_count" in r.get("machine", {})), {})
    loads = [r["machine"]["load_average"][0] for r in results.values() if "load_average" in r.get("machine", {})]
    stamps = sorted(r.get("timestamp", "") for r in results.values())
    lines += [
        "",
        f"Machine: {machine.get('cpu_model', '?')}, {machine.get('cpu_count', '?')} cores, "
        f"{machine.get('memory_gb', '?')} GB, Python {machine.get('python', '?')}, PostgreSQL "
        f"{machine.get('postgresql', '?')}, Django {machine.get('Django', '?')}; one-minute load average at the "
        f"start of each benchmark {min(loads, default=0):.1f} to {max(loads, default=0):.1f} (the machine is shared). "
        f"Run {stamps[0] if stamps else '?'} to {stamps[-1] if stamps else '?'}.",
    ]
    return "\n".join(lines) + "\n"


def readme_update(text: str) -> None:
    readme = README.read_text()
    if BEGIN not in readme or END not in readme:
        print("README.md has no bench:table markers; table left in benchmarks/results/table.md", file=sys.stderr)
        return
    head, rest = readme.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    README.write_text(f"{head}{BEGIN}\n{text}{END}{tail}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="comma-separated scripts, e.g. api,history")
    parser.add_argument("--table-only", action="store_true", help="rebuild the table from the JSON files")
    args = parser.parse_args()
    wanted = {s for s in args.only.split(",") if s}
    failed = []
    if not args.table_only:
        for script, _ in BENCHMARKS:
            if wanted and script not in wanted:
                continue
            print(f"== benchmarks/{script}.py", flush=True)
            started = time.monotonic()
            code = subprocess.run([sys.executable, str(ROOT / "benchmarks" / f"{script}.py")], cwd=ROOT).returncode
            print(f"== benchmarks/{script}.py: exit {code} after {time.monotonic() - started:.0f} s", flush=True)
            if code:
                failed.append(script)
        sys.path.insert(0, str(ROOT / "benchmarks"))
        import support

        support.template_drop()  # leave nothing behind on the shared servers
    results = {}
    for _, name in BENCHMARKS:
        path = RESULTS / f"{name}.json"
        if path.exists():
            results[name] = json.loads(path.read_text())
    text = table(results)
    (RESULTS / "table.md").write_text(text)
    readme_update(text)
    print(text)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
