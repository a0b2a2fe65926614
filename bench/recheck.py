#!/usr/bin/env python
"""Re-check pipeline benchmark (reference/reliability-performance.md §D.6, R5 and R7): ratios from one run.

    .venv/bin/python bench/recheck.py [--pages 2000] [--workers 4] [--json PATH]

Serves N article pages of about 50 KB (built from the test pages, each one different) on eight
loopback addresses, 127.0.0.2 … 127.0.0.9, one ThreadingHTTPServer per address so that each is its
own site for the per-domain limiter. Then, in one run, it measures:

- raw fetch rate: the same pages fetched with plain http.client by as many threads as there are
  worker processes;
- pipeline rate: sources checked per second end to end — the dispatcher queues every source, a
  Celery worker (prefork, --workers processes) runs check_source: lease, robots.txt, the per-site
  turn, the guarded fetch, extraction, the change tiers, quote location, the database writes.
  Two passes: the first capture of each page (extraction + a new snapshot each), then the re-check
  of the same, unchanged pages, which is the steady state of a monitoring system;
- SQL queries per check, with 1 and with 20 published disputes citing the source;
- the guard's cost: fetching.fetch ÷ plain http.client on an IP-literal URL (bench/guard.py's
  figure is printed too when that script exists).

FETCH_MIN_GAP_SECONDS is 0 here: the politeness gap would otherwise measure itself. One request in
flight per site still holds. It never reads DATABASE_URL or REDIS_URL: its PostgreSQL database,
cc_bench_recheck on the server named by --postgres, is dropped, re-created and migrated each run (and
left in place afterwards for a look), and the Redis database named by --redis (default db 12) is emptied.
Prints the results as JSON, and with --json also writes the ratios, each with its target and PASS or
MISS, to that file.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import re
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
HOSTS = [f"127.0.0.{n}" for n in range(2, 10)]
PAGES_DIR = ROOT / "articles" / "tests" / "pages"

DATABASE = "cc_bench_recheck"
TARGETS = {  # ratio name → (comparison, target), DESIGN §10 and reference §D.6
    "R5_recheck_vs_raw": (">=", 0.5),
    "R7_guarded_vs_unguarded": (">=", 0.9),
    # DESIGN §10: a check does a bounded number of queries whatever the number of disputes citing the source.
    "check_queries_20_vs_1_citing": ("==", 1.0),
}
os.environ["FETCH_ALLOWED_NETWORKS"] = "127.0.0.0/8"
os.environ["FETCH_MIN_GAP_SECONDS"] = "0"
os.environ["DEBUG"] = "false"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

PAGES: dict[str, bytes] = {}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        body = PAGES.get(self.path)
        if body is None:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def build_pages(count: int) -> list[str]:
    """Make `count` different ~50 KB articles from the test page, and return their URLs."""
    base = (PAGES_DIR / "guardian-trump-putin-v1.html").read_text()
    paragraphs = re.findall(r"<p[^>]*>.*?</p>", base, flags=re.S)
    anchor = base.index(paragraphs[0])
    urls = []
    for n in range(count):
        filler = []
        size = len(base)
        k = 0
        while size < 50_000:
            text = re.sub(r"<[^>]+>", "", paragraphs[k % len(paragraphs)])
            para = f"<p>Dispatch {n}, paragraph {k}: {text}</p>\n"
            filler.append(para)
            size += len(para)
            k += 1
        path = f"/world/2024/nov/{n}/story-{n}"
        PAGES[path] = (base[:anchor] + "".join(filler) + base[anchor:]).encode()
        urls.append(f"http://{HOSTS[n % len(HOSTS)]}:{PORT}{path}")
    PAGES["/quoted"] = (PAGES_DIR / "guardian-trump-putin-v1.html").read_bytes()
    return urls


def serve() -> list[ThreadingHTTPServer]:
    servers = []
    for host in HOSTS:
        server = ThreadingHTTPServer((host, PORT), Handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
    return servers


def raw_fetch(url: str) -> int:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    conn.request("GET", parts.path, headers={"Accept-Encoding": "gzip, deflate"})
    body = conn.getresponse().read()
    conn.close()
    return len(body)


def raw_rate(urls: list[str], threads: int) -> float:
    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        total = sum(pool.map(raw_fetch, urls))
    assert total > 40_000 * len(urls)
    return len(urls) / (time.perf_counter() - started)


def prepare_database(server: str) -> None:
    """Drop and re-create this benchmark's own database, and migrate it: no other database is touched."""
    import psycopg

    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DATABASE}"')
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def reset() -> None:
    import redis

    redis.Redis.from_url(os.environ["REDIS_URL"]).flushdb()


def start_worker(concurrency: int) -> subprocess.Popen[bytes]:
    (ROOT / "var").mkdir(exist_ok=True)
    log = open(ROOT / "var" / "bench-worker.log", "wb")  # noqa: SIM115
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "celery"), "-A", "config", "worker", "--pool=prefork",
         f"--concurrency={concurrency}", "--loglevel=WARNING", "--without-gossip", "--without-mingle",
         "--without-heartbeat", "-n", "bench@%h"],
        cwd=ROOT, env=os.environ.copy(), stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    from config.celery import app

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if app.control.ping(timeout=0.5):
            return process
        time.sleep(0.5)
    process.kill()  # not left running, consuming db 12's queue, after the benchmark gives up
    raise SystemExit("The worker did not start; see var/bench-worker.log")


def pipeline_rate(count: int) -> tuple[float, dict[str, int]]:
    """Make every source due, dispatch, and wait until each has one more Fetch; return checks/s."""
    from django.db.models import Count
    from django.utils import timezone

    from articles import tasks
    from articles.models import Fetch, Source

    before = Fetch.objects.count()
    Source.objects.update(next_check_at=timezone.now())
    started = time.perf_counter()
    queued = tasks.enqueue_due_sources()
    assert queued == count, queued
    while Fetch.objects.count() < before + count:
        time.sleep(0.2)
        if time.perf_counter() - started > 900:
            raise SystemExit("The pipeline did not finish in 15 minutes")
    elapsed = time.perf_counter() - started
    tiers = dict(Fetch.objects.values_list("tier").annotate(n=Count("pk")).values_list("tier", "n"))
    return count / elapsed, tiers


def queries_per_check(citing: int) -> dict[str, int]:
    """Count the SQL queries of one in-process check with `citing` published disputes quoting the source."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from articles import checking
    from articles.models import Outlet, Quote, Source
    from disputes.models import Actor, Dispute, DisputeLink, Statement

    PAGES["/quoted"] = (PAGES_DIR / "guardian-trump-putin-v1.html").read_bytes()
    outlet, _ = Outlet.objects.get_or_create(domain=HOSTS[0], defaults={"name": "Bench"})
    source = Source.objects.create(url=f"http://{HOSTS[0]}:{PORT}/quoted?citing={citing}", outlet=outlet)
    PAGES[f"/quoted?citing={citing}"] = PAGES["/quoted"]
    quote_text = "Reports that the Ukrainian side was informed in advance of the alleged call are false."
    speaker, _ = Actor.objects.get_or_create(name="Heorhii Tykhyi")
    for n in range(citing):
        quote = Quote.objects.create(source=source, exact=quote_text)
        dispute = Dispute.objects.create(slug=f"bench-{citing}-{n}", claim_text="Kyiv was told of the call")
        statement = Statement.objects.create(quote=quote, speaker=speaker)
        DisputeLink.objects.create(dispute=dispute, statement=statement, role="appearance")
        dispute.restore_imported(state="published")

    def one(version: str) -> int:
        PAGES[f"/quoted?citing={citing}"] = (PAGES_DIR / f"guardian-trump-putin-{version}.html").read_bytes()
        with CaptureQueriesContext(connection) as queries:
            checking.run_check(source.pk, slot=timezone.now(), owner="bench", block_up_to=5)
        return len(queries)

    counts = {
        "first capture": one("v1"),
        "unchanged": one("v1"),
        "copy-edit": one("v2-copyedit"),
        "quote removed (suspected)": one("v3-quote-removed"),
        "confirmed and flagged": one("v3-quote-removed"),
    }
    flagged = Dispute.objects.filter(slug__startswith=f"bench-{citing}-", needs_recheck=True).count()
    assert flagged == citing, (flagged, citing)
    return counts


def guard_ratio(rounds: int = 300) -> float:
    """Return fetches/s through fetching.fetch ÷ plain http.client, same IP-literal URL, one thread."""
    from articles import fetching

    url = f"http://{HOSTS[0]}:{PORT}/quoted"
    for _ in range(20):
        fetching.fetch(url)
        raw_fetch(url)
    started = time.perf_counter()
    for _ in range(rounds):
        fetching.fetch(url)
    guarded = rounds / (time.perf_counter() - started)
    started = time.perf_counter()
    for _ in range(rounds):
        raw_fetch(url)
    unguarded = rounds / (time.perf_counter() - started)
    return guarded / unguarded


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=4, help="worker processes, and raw-fetch threads")
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432", help="server for the database")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/12", help="Redis database to empty and use")
    parser.add_argument("--json", type=Path, help="also write the results, with each ratio's verdict, here")
    parser.add_argument("--without-guard-script", action="store_true",
                        help="do not run bench/guard.py too (bench/run.py runs it on its own)")  # fmt: skip
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = f"{args.postgres}/{DATABASE}"
    os.environ["REDIS_URL"] = args.redis

    prepare_database(args.postgres)
    reset()
    urls = build_pages(args.pages)
    servers = serve()
    results: dict[str, object] = {
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
        "pages": args.pages,
        "workers": args.workers,
        "page_kb": round(sum(len(PAGES[urlsplit(u).path]) for u in urls) / len(urls) / 1024, 1),
        "fetch_min_gap_seconds": 0,
    }

    raw_rate(urls[:200], args.workers)  # warm up the servers
    results["raw_fetch_per_s"] = round(raw_rate(urls, args.workers), 1)

    from articles.models import Outlet, Source

    outlets = {host: Outlet.objects.create(domain=host, name=host) for host in HOSTS}
    Source.objects.bulk_create(
        [Source(url=url, outlet=outlets[urlsplit(url).hostname]) for url in urls], batch_size=500
    )
    worker = start_worker(args.workers)
    try:
        first, first_tiers = pipeline_rate(args.pages)
        again, again_tiers = pipeline_rate(args.pages)
    finally:
        worker.terminate()
        worker.wait(30)
    results["pipeline_first_capture_per_s"] = round(first, 1)
    results["pipeline_recheck_per_s"] = round(again, 1)
    results["tiers"] = {"first pass": first_tiers, "both passes": again_tiers}
    results["R5_recheck_vs_raw"] = round(again / results["raw_fetch_per_s"], 3)  # type: ignore[operator]
    results["R5_first_capture_vs_raw"] = round(first / results["raw_fetch_per_s"], 3)  # type: ignore[operator]

    one, twenty = queries_per_check(1), queries_per_check(20)
    results["queries_per_check"] = {"1 citing dispute": one, "20 citing disputes": twenty}
    results["check_queries_20_vs_1_citing"] = round(sum(twenty.values()) / sum(one.values()), 3)

    results["R7_guarded_vs_unguarded"] = round(guard_ratio(), 3)
    guard_script = ROOT / "bench" / "guard.py"
    if guard_script.exists() and not args.without_guard_script:
        done = subprocess.run([sys.executable, str(guard_script)], cwd=ROOT, capture_output=True, text=True,
                              timeout=300, check=False)  # fmt: skip
        results["bench/guard.py says"] = (done.stdout.strip() or done.stderr.strip())[-2000:]
    for server in servers:
        server.shutdown()
    results["ratios"] = {
        name: {"value": results[name], "target": f"{comparison} {target}", "verdict": verdict(name, results[name])}
        for name, (comparison, target) in TARGETS.items()
    }
    results["for_reference"] = {"R5_first_capture_vs_raw": results["R5_first_capture_vs_raw"]}
    print(json.dumps(results, indent=2, ensure_ascii=False))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")


def verdict(name: str, value: object) -> str:
    comparison, target = TARGETS[name]
    ok = {">=": value >= target, "<=": value <= target, "==": value == target}[comparison]  # type: ignore[operator]
    return "PASS" if ok else "MISS"


PORT = int(os.environ.get("BENCH_PORT", "8765"))

if __name__ == "__main__":
    main()
