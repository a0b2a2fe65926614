"""`make chaos` exits 1 on any missed target (tools/chaos.py). The run itself takes nine minutes and
restarts PostgreSQL and Redis, so it is not part of `make test`; its verdicts are checked here."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent


def load(name: str, path: str) -> Any:
    spec = importlib.util.spec_from_file_location(name, ROOT / path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


chaos = load("chaos_script", "tools/chaos.py")


def results(**changes: Any) -> dict[str, Any]:
    met = {
        "lost": 0,
        "duplicates": 0,
        "stuck_leases": 0,
        "R8_checks_recorded_vs_due": 1.0,
        "quiescent": True,
        "restarts": [
            {"service": "Redis", "consumed_again_seconds": 3.1},
            {"service": "PostgreSQL", "consumed_again_seconds": 0.3},
        ],
    }
    return {**met, **changes}


def test_a_run_that_meets_every_target_passes() -> None:
    assert chaos.verdicts(results()) == []


@pytest.mark.parametrize(
    ("changes", "missed"),
    [
        ({"lost": 2}, "lost is 2, not 0"),
        ({"duplicates": 167}, "duplicates is 167, not 0"),
        ({"stuck_leases": 3}, "stuck_leases is 3, not 0"),
        ({"R8_checks_recorded_vs_due": 1.334}, "R8 is 1.3340, not 1.000"),
        ({"quiescent": False}, "did not reach quiescence"),
        ({"restarts": [{"service": "Redis", "consumed_again_seconds": 61.0}]}, "61.0 s after Redis"),
        ({"restarts": [{"service": "PostgreSQL", "consumed_again_seconds": None}]}, "None s after PostgreSQL"),
    ],
)
def test_each_missed_target_is_named(changes: dict[str, Any], missed: str) -> None:
    misses = chaos.verdicts(results(**changes))
    assert len(misses) == 1 and missed in misses[0], misses


def test_the_web_summary_measures_the_longest_failing_stretch() -> None:
    probes = [(0.0, "/healthz", 200), (0.5, "/healthz", 503), (1.0, "/healthz", 0), (2.5, "/healthz", 503),
              (3.0, "/healthz", 200), (3.5, "/healthz", 503)]  # fmt: skip
    summary = chaos.web_summary(probes)["/healthz"]
    assert summary["requests"] == 6
    assert summary["by_status"] == {"200": 2, "503": 3, "0": 1}
    assert summary["longest_failing_seconds"] == 2.5  # from the first failure to the next good answer


def test_the_benchmark_table_takes_r8_from_the_last_chaos_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bench = load("bench_run_script", "bench/run.py")
    monkeypatch.setattr(bench, "CHAOS", tmp_path / "chaos.json")
    rows, line = bench.chaos_rows()
    assert rows == [] and "has not run" in line

    ratio = {"value": 1.0, "target": "== 1.0", "verdict": "PASS"}
    (tmp_path / "chaos.json").write_text(
        '{"finished_at": "2026-11-26 22:32", "lost": 0, "duplicates": 0, "ratios": {"R8_checks_recorded_vs_due": '
        + str(ratio).replace("'", '"')
        + "}}"
    )
    rows, line = bench.chaos_rows()
    assert [(row["label"], row["value"], row["verdict"], row["benchmark"]) for row in rows] == [
        ("R8 checks recorded ÷ sources due, under chaos", 1.0, "PASS", "chaos")
    ]
    assert "2026-11-26 22:32" in line
