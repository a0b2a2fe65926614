#!/usr/bin/env python
"""Every benchmark in one run, and every ratio in one table (reference/reliability-performance.md §D.6, issue 7).

    .venv/bin/python bench/run.py [--quick] [--json bench/results/all.json]    (or: make bench)

Runs bench/guard.py, bench/recheck.py, bench/edit_corpus.py and bench/public.py one after the other, each in its own process
with its output kept in bench/results/<name>.log and its figures in bench/results/<name>.json. Then it
prints one table of every ratio (value, target, PASS or MISS, and which benchmark measured it) under a
line describing the machine and the code, and writes all of it to bench/results/all.json.

The full run takes about five minutes on two cores. --quick runs the same benchmarks on small data and
short loads (about a minute and a half) to show that everything still runs; its figures go to
bench/results/quick/ and mean little. A MISS is reported, not fatal: the exit status is 1 only when a
benchmark did not run to the end.

Each benchmark uses databases of its own (cc_bench_public_1x and _10x, cc_bench_recheck, re-created each
run) and never reads DATABASE_URL, so a run cannot touch a real or a test database. They share the
machine with whatever else runs on it: the load average at start and end is printed with the table.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
TIMEOUT_SECONDS = 20 * 60  # per benchmark; each has its own limits, this only stops a hung one

# name → (script, arguments of the full run, arguments of the quick run)
BENCHMARKS: dict[str, tuple[str, list[str], list[str]]] = {
    "guard": ("bench/guard.py", ["--requests", "1000", "--rounds", "20"], ["--requests", "300", "--rounds", "10"]),
    "recheck": ("bench/recheck.py", ["--pages", "2000", "--workers", "4"], ["--pages", "200", "--workers", "4"]),
    "edit_corpus": ("bench/edit_corpus.py", [], ["--languages", "en,uk,de"]),
    "public": (
        "bench/public.py",
        ["--disputes", "200", "--seconds", "4", "--rounds", "3", "--warmup", "2"],
        ["--disputes", "50", "--seconds", "2", "--rounds", "1", "--warmup", "1"],
    ),
}

# What each ratio compares, as the table shows it; a name missing here is shown as it is.
LABELS = {
    ("public", "page_vs_trivial"): "R1 dispute page ÷ trivial view, req/s (10×, uncached)",
    ("public", "not_modified_vs_trivial"): "R2 304 revalidation ÷ trivial view, req/s (10×)",
    ("public", "page_p50_10x_vs_1x"): "R3 dispute page p50, 10× ÷ 1×",
    ("public", "page_queries_10x_vs_1x"): "R3 SQL queries per dispute page, 10× ÷ 1×",
    ("public", "search_p50_10x_vs_1x"): "R4 search p50, 10× ÷ 1×",
    ("public", "page_p99_vs_p50_at_half_rate"): "R6 dispute page p99 ÷ p50 at half its saturating rate",
    ("recheck", "R5_recheck_vs_raw"): "R5 re-checks/s ÷ raw fetches/s (unchanged pages)",
    ("recheck", "check_queries_20_vs_1_citing"): "SQL queries per check, 20 citing disputes ÷ 1",
    ("recheck", "R7_guarded_vs_unguarded"): "R7 guarded fetch ÷ http.client, new connection",
    ("guard", "R7_guarded_vs_unguarded"): "R7 guarded fetch ÷ httpx, new connection",
    ("public", "page_vs_trivial_at_1x"): "R1 at 1×",
    ("public", "not_modified_vs_trivial_at_1x"): "R2 at 1×",
    ("public", "search_queries_10x_vs_1x"): "SQL queries per search, 10× ÷ 1×",
    ("public", "not_modified_queries_10x_vs_1x"): "SQL queries per 304, 10× ÷ 1×",
    ("public", "in_process_page_vs_trivial"): "R1 one request at a time, in process",
    ("public", "in_process_not_modified_vs_trivial"): "R2 one request at a time, in process",
    ("public", "in_process_page_10x_vs_1x"): "R3 one request at a time, in process",
    ("public", "in_process_search_10x_vs_1x"): "R4 one request at a time, in process",
    ("recheck", "R5_first_capture_vs_raw"): "R5 first captures/s ÷ raw fetches/s (new pages)",
    ("guard", "guarded_vs_unguarded_keep_alive"): "guarded fetch ÷ httpx keep-alive",
    ("chaos", "R8_checks_recorded_vs_due"): "R8 checks recorded ÷ sources due, under chaos",
    ("edit_corpus", "E1_substantive_min"): "E1 negation/number/date/hedge/denial edits substantive (worst)",
    ("edit_corpus", "E2_punctuation_min"): "E2 punctuation-only edits present or minor (worst)",
    ("edit_corpus", "E3_inserted_before_min"): "E3 sentence inserted before a quote: present (worst)",
    ("edit_corpus", "E4_deleted_gone_min"): "E4 paragraph deleted: gone (worst language)",
    ("edit_corpus", "E4_deleted_reanchored_max"): "E4 deleted paragraph shown as other words (cases)",
    ("edit_corpus", "E5_unchanged_min"): "E5 unchanged quotes present (worst language)",
    ("edit_corpus", "E6_locator_vs_extraction_p95_max"): "E6 locator ÷ page extraction, p95 (worst language)",
    ("edit_corpus", "E6_gone_vs_extraction_p95_max"): "E6 gone verdict ÷ page extraction, p95 (worst)",
}
CHAOS = RESULTS / "chaos.json"  # written by `make chaos` (tools/chaos.py), which make bench does not run


def chaos_rows() -> tuple[list[dict[str, Any]], str]:
    """R8 from the last chaos run on this machine, if there was one, and a line saying where it comes from."""
    if not CHAOS.exists():
        return [], "R8 (exactly-once under chaos) comes from `make chaos`, which has not run on this machine."
    result = json.loads(CHAOS.read_text())
    when = result.get("finished_at", "an earlier run")
    rows, _ = ratios_of("chaos", result)
    for row in rows:
        row["benchmark"] = "chaos"
    return rows, (
        f"R8 is from the last `make chaos` ({when} UTC; lost {result.get('lost')}, duplicates "
        f"{result.get('duplicates')}), which make bench does not run: it restarts PostgreSQL and Redis."
    )


def run_benchmark(name: str, quick: bool, results: Path, postgres: str) -> dict[str, Any]:
    """Run one benchmark in its own process, its output to a log; return how it went and its figures."""
    script, full, small = BENCHMARKS[name]
    report = results / f"{name}.json"
    log = results / f"{name}.log"
    report.unlink(missing_ok=True)  # a failed run must not leave the previous figures looking current
    command = [sys.executable, script, *(small if quick else full), "--json", str(report.relative_to(ROOT))]
    if name in {"recheck", "public"}:
        command += ["--postgres", postgres]
    if name == "recheck":
        command.append("--without-guard-script")  # guard.py runs on its own here
    print(f"{' '.join([Path(command[0]).name, *command[1:]])}  (output in {log.relative_to(ROOT)})", flush=True)
    started = time.perf_counter()
    with log.open("wb") as output:
        process = subprocess.Popen(command, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT)
        try:
            status = process.wait(TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            # SIGINT first: the benchmark's own clean-up (gunicorn, the Celery worker) runs on KeyboardInterrupt.
            process.send_signal(signal.SIGINT)
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            status = None
    seconds = round(time.perf_counter() - started, 1)
    outcome: dict[str, Any] = {"command": command[1:], "log": str(log.relative_to(ROOT)), "seconds": seconds}
    if status == 0 and report.exists():
        outcome["result"] = json.loads(report.read_text())
        print(f"  done in {seconds:.0f} s", flush=True)
        return outcome
    outcome["failed"] = f"timed out after {TIMEOUT_SECONDS} s" if status is None else f"exit status {status}"
    tail = log.read_text(errors="replace").splitlines()[-15:]
    print(f"  FAILED ({outcome['failed']}) after {seconds:.0f} s; the end of its output:", flush=True)
    print("\n".join(f"    {line}" for line in tail), flush=True)
    return outcome


def ratios_of(name: str, result: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Return a benchmark's ratios with targets, and those it gives for reference only, as table rows."""
    with_target = [
        {
            "benchmark": name,
            "name": key,
            "label": LABELS.get((name, key), key),
            "value": ratio["value"],
            "target": ratio["target"],
            "verdict": ratio["verdict"],
        }
        for key, ratio in result.get("ratios", {}).items()
    ]
    for_reference = [
        {"benchmark": name, "name": key, "label": LABELS.get((name, key), key), "value": value}
        for key, value in result.get("for_reference", {}).items()
    ]
    return with_target, for_reference


def machine(postgres: str) -> dict[str, Any]:
    """Describe the machine and the code the figures come from."""
    import psycopg

    model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        found = re.search(r"model name\s*:\s*(.+)", cpuinfo.read_text())
        model = found.group(1).strip() if found else ""
    memory = ""
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        found = re.search(r"MemTotal:\s*(\d+) kB", meminfo.read_text())
        memory = f"{int(found.group(1)) / 1024**2:.1f} GB" if found else ""
    with psycopg.connect(f"{postgres}/postgres") as conn:
        server_version = conn.execute("SHOW server_version").fetchone()[0]  # type: ignore[index]
    git = ["git", "-C", str(ROOT)]
    commit = subprocess.run([*git, "log", "-1", "--format=%h %cs"], capture_output=True, text=True, check=False)
    dirty = subprocess.run([*git, "status", "--porcelain"], capture_output=True, text=True, check=False)
    return {
        "cpu": model or platform.processor() or platform.machine(),
        "architecture": platform.machine(),
        "cores": os.cpu_count(),
        "memory": memory,
        "system": platform.platform(),
        "python": platform.python_version(),
        "postgresql": server_version.split()[0],
        "commit": commit.stdout.strip(),
        "uncommitted_files": len(dirty.stdout.splitlines()),
    }


def table(report: dict[str, Any]) -> str:
    """Lay out the machine line and every ratio as the README shows them."""
    info = report["machine"]
    start, end = (" ".join(f"{value:.2f}" for value in info[key]) for key in ("load_at_start", "load_at_end"))
    code = f"commit {info['commit']}"
    if info["uncommitted_files"]:
        code += f" (+{info['uncommitted_files']} uncommitted files in the tree)"
    lines = [
        f"{report['mode']} run of {report['started_at']} UTC, {report['seconds']:.0f} s; {code}",
        f"{info['cpu']}, {info['cores']} cores, {info['memory']}; Python {info['python']}, "
        f"PostgreSQL {info['postgresql']}",
        f"load average (1, 5, 15 min) {start} at start, {end} at end",
        "",
        f"{'ratio':<54}{'value':>7}  {'target':<8}{'':<6}{'benchmark'}",
    ]
    shown = {"==": "=", ">=": "≥", "<=": "≤"}
    for row in report["ratios"]:
        comparison, target = row["target"].split()
        lines.append(
            f"{row['label']:<54}{row['value']:>7.2f}  {shown[comparison] + ' ' + target:<8}{row['verdict']:<6}"
            f"{row['benchmark']}"
        )
    lines.append("for reference, no target:")
    for row in report["for_reference"]:
        lines.append(f"{'  ' + row['label']:<54}{row['value']:>7.2f}  {'':<14}{row['benchmark']}")
    failed = [name for name, outcome in report["benchmarks"].items() if "failed" in outcome]
    missed = [f"{row['name']} ({row['benchmark']})" for row in report["ratios"] if row["verdict"] != "PASS"]
    lines.append("")
    if failed:
        lines.append(f"Did not run to the end: {', '.join(failed)} (see their logs in bench/results/).")
    met = len(report["ratios"]) - len(missed)
    lines.append(f"{met} of {len(report['ratios'])} targets met." + (" Missed: " + ", ".join(missed) if missed else ""))
    lines.append(report["chaos_source"])
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small data, short loads: a smoke run of about 1.5 min")
    parser.add_argument("--json", type=Path, help="where to write everything (default bench/results/all.json)")
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432", help="server for the databases")
    args = parser.parse_args()
    results = RESULTS / "quick" if args.quick else RESULTS
    results.mkdir(parents=True, exist_ok=True)
    output = args.json or results / "all.json"

    started_at = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M")
    load_at_start = [round(value, 2) for value in os.getloadavg()]
    started = time.perf_counter()
    benchmarks = {name: run_benchmark(name, args.quick, results, args.postgres) for name in BENCHMARKS}
    ratios: list[dict[str, Any]] = []
    for_reference: list[dict[str, Any]] = []
    for name, outcome in benchmarks.items():
        with_target, reference = ratios_of(name, outcome.get("result", {}))
        ratios += with_target
        for_reference += reference
    chaos, chaos_source = chaos_rows()
    ratios += chaos
    ratios.sort(key=lambda row: row["label"].split()[0])  # R1 … R8, then the query budgets
    report: dict[str, Any] = {
        "mode": "quick" if args.quick else "full",
        "started_at": started_at,
        "seconds": round(time.perf_counter() - started, 1),
        "machine": {
            **machine(args.postgres),
            "load_at_start": load_at_start,
            "load_at_end": [round(value, 2) for value in os.getloadavg()],
        },
        "ratios": ratios,
        "chaos_source": chaos_source,
        "for_reference": for_reference,
        "benchmarks": benchmarks,
    }
    report["table"] = table(report)
    print()
    print(report["table"])
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(f"Written to {output.relative_to(ROOT) if output.is_relative_to(ROOT) else output}.")
    if any("failed" in outcome for outcome in benchmarks.values()):
        sys.exit(1)


if __name__ == "__main__":
    main()
