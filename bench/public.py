#!/usr/bin/env python
"""Readers' pages under load (DESIGN §10, reference/reliability-performance.md §D.6, R1–R4, R6): ratios from one run.

    .venv/bin/python bench/public.py [--disputes 200] [--seconds 4] [--rounds 3] [--connections 8]

Builds two PostgreSQL databases, dropped and re-created each run (and left in place afterwards for a look):
cc_bench_public_1x with --disputes published disputes, and cc_bench_public_10x, a copy of it grown to ten
times as many. The raw material (outlets, speakers, sources with a snapshot each, quotes,
statements, links) is bulk-inserted; every dispute then goes through the workflow, `submit` then
`publish` by another person, so revisions, events, the search index, the facets and
`public_changed_at` are the real thing. Each dispute cites 2 to 6 statements, some from a source
another dispute cites too; sources stand in the usual mix of states (mostly online and unchanged,
some edited, gone, moved or paywalled). The measured dispute is the first one, with six links, and
it is the same row in both databases.

Then it serves each database with gunicorn in production settings (2 sync workers each, on
127.0.0.1) and loads one URL at a time with wrk (installed with apt-get when missing; else a Python
loader: threads with keep-alive http.client connections), --connections at once:

- the trivial view: /robots.txt, a constant text through the whole middleware stack, no query;
- the dispute page with If-None-Match set to its ETag (a 304 from the validators alone), at 10× and 1×;
- the dispute page without If-None-Match (rendered every time), at 10× and 1×;
- a search, /?q=<a word in about 15% of the claims>, at 10× and 1×.

Each case gets a --warmup once, then --seconds in each of --rounds rounds over all the cases, and keeps
the medians: the machine's other load comes and goes, and rounds spread it over every case alike.

Then R6: the uncached dispute page (10×) at a constant rate, half the rate it saturated at, for
--rounds × --seconds, with latency counted from when each request was due (an open loop, as wrk2 -R;
a closed loop would hide the queueing): p99 ÷ p50, target ≤ 3.

SQL queries per request are counted in this process with the test Client and CaptureQueriesContext,
against each database, on the same dispute and the same search; the same requests are also timed there,
one at a time ("ms alone"), as a cross-check that a busy machine blurs less than the load does. Prints one table and the ratios, each
with its target and PASS or MISS, and writes them as JSON (--json, default bench/results/public.json).
A miss is reported, not fatal: the exit status is 0 whenever the run completes.

The load generator shares the machine with the server and PostgreSQL, so absolute numbers say little;
the ratios, whose two sides are measured within minutes on one machine, are what to compare. It never reads DATABASE_URL:
the databases are its own, on the server named by --postgres.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import http.client
import json
import os
import platform
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
VAR = ROOT / "var"
DATABASES = {"1×": "cc_bench_public_1x", "10×": "cc_bench_public_10x"}
SEARCH_WORD = "pipeline"  # in about 15% of the claims; no other generated text contains it
MEASURED_SLUG = "bench-measured-dispute"
TARGETS = {  # ratio name → (comparison, target), DESIGN §10 and issue 6
    "page_vs_trivial": (">=", 0.3),
    "not_modified_vs_trivial": (">=", 0.7),
    "page_p50_10x_vs_1x": ("<=", 1.3),
    "page_queries_10x_vs_1x": ("==", 1.0),
    "search_p50_10x_vs_1x": ("<=", 2.0),
    "page_p99_vs_p50_at_half_rate": ("<=", 3.0),
}

# --- generated newsroom text ----------------------------------------------------------------------

FIRST_NAMES = [
    "Olena", "Mykola", "Anna", "Piotr", "Maria", "Jonas", "Sofia", "Ahmed", "Ines", "Tomasz", "Lena", "Karim",
    "Ruth", "Pavel", "Nadia", "Oskar", "Daria", "Marco", "Eva", "Yusuf", "Irina", "Lukas", "Hanna", "Dmytro",
    "Clara", "Andrei", "Greta", "Viktor", "Leila", "Stefan",
]  # fmt: skip
LAST_NAMES = [
    "Kovalenko", "Nowak", "Schmidt", "Petrenko", "Rossi", "Dubois", "Haddad", "Lindqvist", "Horvat", "Moreau",
    "Bondar", "Fischer", "Kowalski", "Marin", "Novak", "Costa", "Weber", "Tkachenko", "Jansen", "Ozturk",
    "Ivanova", "Berg", "Popescu", "Varga", "Melnyk", "Nieminen", "Sousa", "Keller", "Lazar", "Hale",
]  # fmt: skip
ROLES = ["spokesperson", "minister", "deputy minister", "press officer", "governor", "mayor", "chief executive"]
ORGANISATIONS = [
    "Ministry of Defence", "Ministry of Energy", "Foreign Ministry", "State Grain Agency", "Port Authority",
    "National Bank", "Border Guard Service", "Electoral Commission", "Rail Freight Company", "City Council",
]  # fmt: skip
OUTLET_WORDS = ["Daily", "Herald", "Courier", "Observer", "Tribune", "Post", "Gazette", "Monitor", "Wire", "Times"]
PLACES = [
    "Odesa", "Kharkiv", "Lviv", "Dnipro", "Gdansk", "Brussels", "Warsaw", "Vilnius", "Riga", "Chisinau",
    "Constanta", "Kherson", "Mykolaiv", "Zaporizhzhia", "Tallinn",
]  # fmt: skip
TOPICS = [
    "grain exports", "the ceasefire talks", "a drone strike", "gas prices", "the harbour contract", "power outages",
    "troop movements", "the election count", "a bridge closure", "vaccine deliveries", "the budget shortfall",
    "refugee numbers", "the water supply", "a cyber attack", "rail freight", "fishing quotas", "the border queue",
    "school closures", "a prisoner exchange", "fuel rationing",
]  # fmt: skip
VERBS = ["halted", "doubled", "collapsed", "was cancelled", "was approved", "was delayed", "tripled", "resumed"]
FILLER = [
    "Officials declined to give further details when asked on Tuesday.",
    "The figures could not be independently verified.",
    "Local residents described long queues and short tempers.",
    "Analysts said the numbers were broadly in line with earlier estimates.",
    "The statement was posted on the ministry's website late in the evening.",
    "Several lawmakers called for an inquiry into the decision.",
    "A spokesperson for the regional administration did not respond to a request for comment.",
    "The report cited documents seen by the newspaper.",
    "Markets reacted calmly to the announcement.",
    "Opposition parties accused the government of hiding the true cost.",
]  # fmt: skip


def claim(rng: random.Random) -> str:
    topic = f"the {SEARCH_WORD} repairs" if rng.random() < 0.15 else rng.choice(TOPICS)
    return f"{topic[0].upper()}{topic[1:]} in {rng.choice(PLACES)} {rng.choice(VERBS)}"[:75]


def outlet_name(n: int) -> str:
    name = f"The {PLACES[n % len(PLACES)]} {OUTLET_WORDS[n // len(PLACES) % len(OUTLET_WORDS)]}"
    edition = n // (len(PLACES) * len(OUTLET_WORDS))
    return f"{name} {edition + 1}" if edition else name


def quote_status(source: Any) -> str:
    """Give a quote the status its source's state implies: gone with a gone page, reworded on an edited one."""
    from articles.models import Quote, Source

    if source.liveness == Source.Liveness.DEAD:
        return Quote.Status.GONE_WITH_PAGE
    return Quote.Status.EDITED if source.last_changed_at else Quote.Status.PRESENT


def sentence(rng: random.Random, n: int) -> str:
    who = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
    return (
        f"{who} said on day {n % 28 + 1} that {rng.choice(TOPICS)} in {rng.choice(PLACES)} {rng.choice(VERBS)} "
        f"after {rng.randint(2, 90)} days, and that {rng.choice(TOPICS)} would follow."
    )


# --- the data set ---------------------------------------------------------------------------------


def seed(count: int, *, first: int) -> dict[str, float]:
    """Add `count` published disputes (numbered from `first`) with their sources, through the workflow.

    Pools of outlets and speakers grow with the data (one outlet per 8 disputes, one speaker per 4), so a
    speaker is cited about as often at 10× as at 1×, and a dispute has as many related disputes.
    """
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.utils import timezone

    from articles.models import Outlet, Quote, Snapshot, Source
    from disputes.models import Actor, Dispute, DisputeLink, Event, Statement

    rng = random.Random(f"counterclaim-bench-{first}")
    now = timezone.now()
    with connection.cursor() as cursor:  # each workflow step commits; the data is the same without the fsyncs
        cursor.execute("SET synchronous_commit TO off")
    users = get_user_model().objects
    editor = users.get_or_create(username="bench-editor", defaults={"email": "editor@bench.invalid"})[0]
    reviewer = users.get_or_create(username="bench-reviewer", defaults={"email": "reviewer@bench.invalid"})[0]
    started = time.perf_counter()

    with transaction.atomic():
        known = Outlet.objects.count()
        Outlet.objects.bulk_create(
            [
                Outlet(name=outlet_name(n), domain=f"news{n}.example", homepage=f"https://news{n}.example/")
                for n in range(known, known + max(count // 8, 3))
            ]
        )
        outlets = list(Outlet.objects.all())
        if not Actor.objects.filter(kind=Actor.Kind.ORGANISATION).exists():
            Actor.objects.bulk_create(
                [Actor(name=name, kind=Actor.Kind.ORGANISATION, role="") for name in ORGANISATIONS]
            )
        organisations = list(Actor.objects.filter(kind=Actor.Kind.ORGANISATION))
        known = Actor.objects.filter(kind=Actor.Kind.PERSON).count()
        names = [f"{first_name} {last}" for last in LAST_NAMES for first_name in FIRST_NAMES]
        Actor.objects.bulk_create(
            [
                Actor(
                    name=names[n % len(names)] + (f" {n // len(names) + 1}" if n >= len(names) else ""),
                    role=rng.choice(ROLES),
                    organisation=rng.choice(organisations) if rng.random() < 0.5 else None,
                )
                for n in range(known, known + max(count // 4, 5))
            ]
        )
        people = list(Actor.objects.filter(kind=Actor.Kind.PERSON))
        speakers = people + organisations

        # Each dispute's roles, in order. The first dispute has the measured shape.
        shapes: list[list[str]] = []
        for n in range(first, first + count):
            if n == 0:
                shapes.append(["appearance", "appearance", "rebuttal", "rebuttal", "context", "support"])
                continue
            roles = ["appearance"] * rng.randint(1, 2) + ["rebuttal"] * rng.randint(1, 2)
            roles += rng.sample(["context", "support", "correction"], rng.randint(0, 2))
            shapes.append(roles)

        # Sources: most links cite a new article; some quote an article another dispute already cites.
        pool: list[Source] = list(Source.objects.select_related("current_snapshot").defer("current_snapshot__raw_html"))
        texts: dict[int, list[str]] = {
            source.pk: source.current_snapshot.main_text.split("\n")  # type: ignore[union-attr]
            for source in pool
        }
        new_sources: list[Source] = []
        new_texts: list[list[str]] = []
        citations: list[list[tuple[str, Source]]] = []  # per dispute: (role, cited source)
        serial = len(pool)
        for roles in shapes:
            cited = []
            for role in roles:
                if pool and rng.random() < 0.15:
                    cited.append((role, rng.choice(pool)))
                    continue
                serial += 1
                outlet = rng.choice(outlets)
                lines = [sentence(rng, serial + k) for k in range(rng.randint(8, 16))]
                lines[rng.randrange(len(lines))] = rng.choice(FILLER)
                published = now - dt.timedelta(days=rng.randint(1, 700), minutes=rng.randint(0, 1440))
                source = Source(
                    url=f"https://{outlet.domain}/news/{published:%Y/%m}/story-{serial}",
                    outlet=outlet,
                    title=f"{claim(rng)}, officials say",
                    byline=f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
                    published_at=published,
                    language="en",
                    added_by=editor,
                    added_at=published + dt.timedelta(hours=2),
                    liveness=Source.Liveness.ALIVE,
                    last_checked_at=now - dt.timedelta(hours=rng.randint(1, 48)),
                )
                state = rng.random()
                if state < 0.08:
                    source.last_changed_at = source.last_checked_at - dt.timedelta(days=rng.randint(1, 30))
                elif state < 0.14:
                    source.liveness = Source.Liveness.DEAD
                    source.first_dead_signal_at = source.last_checked_at - dt.timedelta(days=rng.randint(1, 60))
                elif state < 0.18:
                    source.liveness = Source.Liveness.MOVED
                elif state < 0.22:
                    source.liveness = Source.Liveness.ACCESS_RESTRICTED
                new_sources.append(source)
                new_texts.append(lines)
                pool.append(source)
                cited.append((role, source))
            citations.append(cited)
        Source.objects.bulk_create(new_sources, batch_size=1000)
        snapshots = []
        for source, lines in zip(new_sources, new_texts, strict=True):
            main = "\n".join(lines)
            raw = f"<html><head><title>{source.title}</title></head><body><p>{'</p><p>'.join(lines)}</p></body></html>"
            snapshots.append(
                Snapshot(
                    source=source,
                    captured_at=source.added_at,
                    raw_html=zlib.compress(raw.encode()),
                    raw_sha256=hashlib.sha256(raw.encode()).hexdigest(),
                    main_text=main,
                    main_sha256=hashlib.sha256(main.encode()).hexdigest(),
                    full_text=f"{source.title}\n{main}\nMost read\nSubscribe to our newsletter",
                    title=source.title,
                    canonical_url=source.url,
                    extractor="bench@0",
                )
            )
            texts[source.pk] = lines
        Snapshot.objects.bulk_create(snapshots, batch_size=1000)
        for source, snapshot in zip(new_sources, snapshots, strict=True):
            source.current_snapshot = snapshot
        Source.objects.bulk_update(new_sources, ["current_snapshot"], batch_size=1000)

        # Quotes and statements, one per link.
        quotes, statements = [], []
        for cited in citations:
            for _, source in cited:
                lines = texts[source.pk]
                exact = lines[rng.randrange(len(lines))]
                text = "\n".join(lines)
                start = text.index(exact)
                quotes.append(
                    Quote(
                        source=source,
                        snapshot_id=source.current_snapshot_id,
                        exact=exact,
                        prefix=text[max(start - 32, 0) : start],
                        suffix=text[start + len(exact) :][:32],
                        start=start,
                        end=start + len(exact),
                        captured_by=editor,
                        status=quote_status(source),
                    )
                )
                attribution = rng.choices(list(Statement.Attribution), weights=[80, 10, 5, 5])[0]
                unnamed = attribution in {"anonymous_officials", "outlet_reporting"}  # no speaker needed
                statements.append(
                    Statement(
                        quote=quotes[-1],
                        speaker=None if unnamed else rng.choice(speakers),
                        attribution=attribution,
                        stated_on=(source.published_at or now).date(),
                    )
                )
        Quote.objects.bulk_create(quotes, batch_size=1000)
        Statement.objects.bulk_create(statements, batch_size=1000)

        resolutions = [value for value in Dispute.Resolution.values if value != Dispute.Resolution.CONFIRMED]
        disputes = [
            Dispute(
                slug=MEASURED_SLUG if n == 0 else f"bench-dispute-{n}",
                claim_text=claim(rng),
                summary=" ".join(rng.choice(FILLER) for _ in range(3)),
                context=rng.choice(FILLER) if rng.random() < 0.5 else "",
                resolution=rng.choice(resolutions),
                created_by=editor,
                last_edited_by=editor,
                created_at=now,
                updated_at=now,
            )
            for n in range(first, first + count)
        ]
        Dispute.objects.bulk_create(disputes, batch_size=1000)
        links = []
        statement_iter = iter(statements)
        for dispute, cited in zip(disputes, citations, strict=True):
            for position, (role, _) in enumerate(cited, start=1):
                links.append(DisputeLink(dispute=dispute, statement=next(statement_iter), role=role, position=position))
        DisputeLink.objects.bulk_create(links, batch_size=1000)
        Event.objects.bulk_create([Event(dispute=dispute, actor=editor, kind="created") for dispute in disputes])
    inserted = time.perf_counter() - started

    for dispute in disputes:  # the workflow, one dispute at a time as reviewers do it
        dispute.submit(by=editor)
        dispute.publish(by=reviewer)
    return {
        "bulk_insert_seconds": round(inserted, 1),
        "workflow_seconds": round(time.perf_counter() - started - inserted, 1),
    }


def sizes() -> dict[str, int]:
    from articles.models import Outlet, Quote, Snapshot, Source
    from disputes.models import Actor, Dispute, DisputeLink, Event, PublicFacet, Revision

    return {
        "published disputes": Dispute.objects.public().count(),
        "links": DisputeLink.objects.count(),
        "sources": Source.objects.count(),
        "snapshots": Snapshot.objects.count(),
        "quotes": Quote.objects.count(),
        "outlets": Outlet.objects.count(),
        "speakers": Actor.objects.count(),
        "revisions": Revision.objects.count(),
        "events": Event.objects.count(),
        "facets": PublicFacet.objects.count(),
        "matching the search": Dispute.objects.public().filter(search_text__contains=SEARCH_WORD).count(),
    }


# --- databases ------------------------------------------------------------------------------------


def admin(server: str, *statements: str) -> None:
    import psycopg

    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)  # type: ignore[arg-type]


def use_database(name: str) -> None:
    """Point this process's Django connection at another database (settings are shared by reference)."""
    from django.db import connection

    connection.close()
    connection.settings_dict["NAME"] = name


def analyse() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


# --- serving --------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve(label: str, database_url: str, workers: int) -> tuple[subprocess.Popen[bytes], int]:
    """Start gunicorn on a free port of 127.0.0.1, wait until it answers, and return it with its port."""
    port = free_port()
    log = VAR / f"bench-public-gunicorn-{DATABASES[label]}.log"
    env = {**os.environ, "DATABASE_URL": database_url}
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "config.wsgi:application", "--workers", str(workers),
         "--worker-class", "sync", "--bind", f"127.0.0.1:{port}", "--log-level", "warning"],
        cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn for {label} exited; see {log}")
        try:
            if status(port, "/robots.txt") == 200:
                return process, port
        except OSError:
            pass
        time.sleep(0.2)
    process.kill()
    raise SystemExit(f"gunicorn for {label} did not answer in 60 s; see {log}")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def served_etag(port: int, path: str) -> str:
    """Return the ETag this server gives the page (the in-process one may hash older code)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        return response.headers["ETag"]
    finally:
        conn.close()


def status(port: int, path: str, headers: dict[str, str] | None = None) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


# --- load -----------------------------------------------------------------------------------------

WRK_REPORT = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "WRK_JSON {\\"requests\\": %d, \\"duration_us\\": %d, \\"bytes\\": %d, \\"errors\\": %d, "
    .. "\\"p50_us\\": %d, \\"p90_us\\": %d, \\"p99_us\\": %d}\\n",
    summary.requests, summary.duration, summary.bytes, e.connect + e.read + e.write + e.status + e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99)))
end
"""


def ensure_wrk() -> str | None:
    """Return wrk's path, installing Debian's package as scripts/ensure-test-services installs Chromium."""
    found = shutil.which("wrk")
    if found or not shutil.which("apt-get"):
        return found
    sudo = [] if os.geteuid() == 0 else ["sudo", "-n"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    print("Installing wrk with apt-get…", flush=True)
    for command in (["apt-get", "install", "-y", "-qq", "wrk"], ["apt-get", "update", "-qq"],
                    ["apt-get", "install", "-y", "-qq", "wrk"]):  # fmt: skip
        done = subprocess.run(sudo + command, env=env, capture_output=True, check=False, timeout=300)
        if command[1] == "install" and done.returncode == 0:
            break
    return shutil.which("wrk")


def load_wrk(wrk: str, port: int, path: str, headers: dict[str, str], seconds: float, connections: int) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_REPORT)
    command = [wrk, "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout", "10s", "-s", script.name]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    done = subprocess.run([*command, f"http://127.0.0.1:{port}{path}"], capture_output=True, text=True, check=False)
    os.unlink(script.name)
    line = next((line for line in done.stdout.splitlines() if line.startswith("WRK_JSON ")), None)
    if line is None:
        raise SystemExit(f"wrk gave no report:\n{done.stdout}\n{done.stderr}")
    raw = json.loads(line.removeprefix("WRK_JSON "))
    return {
        "requests": raw["requests"],
        "rate": raw["requests"] / (raw["duration_us"] / 1e6),
        "p50_ms": raw["p50_us"] / 1000,
        "p90_ms": raw["p90_us"] / 1000,
        "p99_ms": raw["p99_us"] / 1000,
        "bytes_per_response": raw["bytes"] / max(raw["requests"], 1),
        "errors": raw["errors"],
    }


def load_python(port: int, path: str, headers: dict[str, str], seconds: float, connections: int) -> dict:
    """Load like wrk does, with threads: each keeps an http.client connection, reopened when the server closes."""
    deadline = time.perf_counter() + seconds
    latencies: list[list[float]] = [[] for _ in range(connections)]
    counts = {"bytes": 0, "errors": 0}
    lock = threading.Lock()

    def run(mine: list[float]) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                size = len(response.read())
            except (OSError, http.client.HTTPException):
                conn.close()
                with lock:
                    counts["errors"] += 1
                continue
            mine.append(time.perf_counter() - started)
            with lock:
                counts["bytes"] += size
                counts["errors"] += response.status >= 400

    started = time.perf_counter()
    threads = [threading.Thread(target=run, args=(mine,)) for mine in latencies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    every = sorted(latency for mine in latencies for latency in mine)

    def percentile(p: float) -> float:
        return every[min(len(every) - 1, int(len(every) * p / 100))] * 1000 if every else float("nan")

    return {
        "requests": len(every),
        "rate": len(every) / elapsed,
        "p50_ms": percentile(50),
        "p90_ms": percentile(90),
        "p99_ms": percentile(99),
        "bytes_per_response": counts["bytes"] / max(len(every), 1),  # bodies only, without headers
        "errors": counts["errors"],
    }


def load_fixed_rate(port: int, path: str, rate: float, seconds: float, connections: int) -> dict:
    """Send requests at a constant rate (an open loop, as wrk2 -R does) and time each from when it was due.

    Request i is due at start + i / rate; whichever of the `connections` threads is free sends it,
    waiting for its time. Latency counts from the due time, not the send: a request held back because
    every connection was busy is late, and a closed loop (wrk) would hide that (coordinated omission).
    """
    count = max(1, int(rate * seconds))
    start = time.perf_counter() + 0.2
    latencies: list[float] = []
    counts = {"next": 0, "errors": 0}
    lock = threading.Lock()

    def run() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        while True:
            with lock:
                index = counts["next"]
                counts["next"] += 1
            if index >= count:
                break
            due = start + index / rate
            time.sleep(max(0.0, due - time.perf_counter()))
            try:
                conn.request("GET", path)
                response = conn.getresponse()
                response.read()
                failed = response.status >= 400
            except (OSError, http.client.HTTPException):
                conn.close()
                failed = True
            with lock:
                latencies.append(time.perf_counter() - due)
                counts["errors"] += failed

    threads = [threading.Thread(target=run) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    every = sorted(latencies)

    def percentile(p: float) -> float:
        return every[min(len(every) - 1, int(len(every) * p / 100))] * 1000

    return {"requests": len(every), "target_rate": rate, "rate": len(every) / elapsed, "p50_ms": percentile(50),
            "p90_ms": percentile(90), "p99_ms": percentile(99), "errors": counts["errors"]}  # fmt: skip


# --- queries --------------------------------------------------------------------------------------


def count_queries(page: str, search: str) -> tuple[str, dict[str, int]]:
    """Return the page's ETag and the SQL queries of each kind of request, counted in this process."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1")
    etag = client.get(page)["ETag"]
    paths = {
        "trivial": ("/robots.txt", {}, 200),
        "page": (page, {}, 200),
        "not_modified": (page, {"If-None-Match": etag}, 304),
        "search": (search, {}, 200),
    }
    counts = {}
    for name, (path, headers, expected) in paths.items():
        client.get(path, headers=headers)  # first: templates compiled, connection opened
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path, headers=headers)
        assert response.status_code == expected, (name, path, response.status_code)
        counts[name] = len(queries)
    return etag, counts


def service_times(page: str, search: str, etags: dict[str, str], rounds: int = 5) -> dict[str, dict[str, float]]:
    """Time each kind of request in this process, alternating between the databases; keep the median of rounds.

    One request at a time and no HTTP: what the app itself costs, which a busy machine blurs less than load.
    """
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    times: dict[str, dict[str, list[float]]] = {label: {} for label in DATABASES}
    for _ in range(rounds):
        for label, name in DATABASES.items():
            use_database(name)
            kinds = {
                "trivial": ("/robots.txt", {}),
                "not_modified": (page, {"If-None-Match": etags[label]}),
                "page": (page, {}),
                "search": (search, {}),
            }
            for kind, (path, headers) in kinds.items():
                client.get(path, headers=headers)
                started = time.perf_counter()
                for _ in range(10):
                    client.get(path, headers=headers)
                times[label].setdefault(kind, []).append((time.perf_counter() - started) * 100)
    return {
        label: {kind: statistics.median(values) for kind, values in kinds.items()} for label, kinds in times.items()
    }


# --- the run --------------------------------------------------------------------------------------


def verdict(name: str, value: float) -> str:
    comparison, target = TARGETS[name]
    ok = {">=": value >= target, "<=": value <= target, "==": value == target}[comparison]
    return "PASS" if ok else "MISS"


def machine(wrk: str | None) -> dict[str, Any]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgres = cursor.fetchone()[0]
    gunicorn = subprocess.run([str(Path(sys.executable).parent / "gunicorn"), "--version"], capture_output=True,
                              text=True, check=False).stdout.strip()  # fmt: skip
    loader = "python threads"
    if wrk:
        loader = subprocess.run([wrk, "--version"], capture_output=True, text=True, check=False).stdout.split("\n")[0]
    model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        found = re.search(r"model name\s*:\s*(.+)", cpuinfo.read_text())
        model = found.group(1).strip() if found else ""
    git = ["git", "-C", str(ROOT)]
    commit = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False)
    dirty = subprocess.run([*git, "status", "--porcelain"], capture_output=True, text=True, check=False).stdout
    return {
        "code": commit.stdout.strip() + (" with uncommitted changes" if dirty.strip() else ""),
        "cpu": f"{platform.machine()}, {os.cpu_count()} CPUs {model}".strip(),
        "load_average_at_start": [round(value, 2) for value in os.getloadavg()],
        "python": platform.python_version(),
        "postgresql": postgres,
        "gunicorn": gunicorn,
        "loader": loader,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--disputes", type=int, default=200, help="published disputes at 1× (default 200)")
    parser.add_argument("--seconds", type=float, default=4, help="measured seconds per case and round (default 4)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds over all cases; medians are kept (default 3)")
    parser.add_argument("--warmup", type=float, default=2, help="unmeasured seconds before each case (default 2)")
    parser.add_argument("--connections", type=int, default=8, help="requests in flight (default 8)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers per server (default 2)")
    parser.add_argument("--loader", choices=["auto", "wrk", "python"], default="auto",
                        help="auto: wrk, installed if missing, else Python threads")  # fmt: skip
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432", help="server for the databases")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/9", help="Redis the app is given (REDIS_URL)")
    parser.add_argument("--json", type=Path, default=ROOT / "bench" / "results" / "public.json")
    args = parser.parse_args()
    run_started = time.perf_counter()

    # Production settings, for this process (query counts) and for gunicorn alike.
    VAR.mkdir(exist_ok=True)
    os.environ.update(
        COUNTERCLAIM_ENV="production",
        SECRET_KEY="bench-public-" + hashlib.sha256(str(time.time()).encode()).hexdigest(),
        ALLOWED_HOSTS="127.0.0.1",
        DATABASE_URL=f"{args.postgres}/{DATABASES['1×']}",
        REDIS_URL=args.redis,
        SECURE_SSL_REDIRECT="false",
        STATIC_ROOT=str(VAR / "bench-static"),
        COUNTERCLAIM_VAR_DIR=str(VAR / "bench-public"),
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        LOG_LEVEL="WARNING",
        DJANGO_SETTINGS_MODULE="config.settings",
    )
    wrk = None
    if args.loader != "python":
        wrk = ensure_wrk()
        if wrk is None and args.loader == "wrk":
            raise SystemExit("wrk is not installed and could not be installed")

    admin(args.postgres, *(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)' for name in DATABASES.values()))
    admin(args.postgres, f'CREATE DATABASE "{DATABASES["1×"]}"')
    import django
    from django.core.management import call_command

    django.setup()
    print(f"Migrating {DATABASES['1×']} and collecting static files…", flush=True)
    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)

    seeding: dict[str, dict[str, float]] = {}
    small = args.disputes
    print(f"Publishing {small} disputes at 1×…", flush=True)
    seeding["1×"] = seed(small, first=0)
    analyse()
    use_database(DATABASES["10×"])  # closes the connection: a template database must have none
    admin(args.postgres, f'CREATE DATABASE "{DATABASES["10×"]}" TEMPLATE "{DATABASES["1×"]}"')
    print(f"Copying it and publishing {small * 9} more at 10×…", flush=True)
    seeding["10×"] = seed(small * 9, first=small)
    analyse()

    from disputes.models import Dispute

    data: dict[str, dict[str, int]] = {}
    queries: dict[str, dict[str, int]] = {}
    etags: dict[str, str] = {}
    page = Dispute.objects.get(slug=MEASURED_SLUG).get_absolute_url()
    search = f"/?q={SEARCH_WORD}"
    for label, name in DATABASES.items():
        use_database(name)
        data[label] = sizes()
        etags[label], queries[label] = count_queries(page, search)
    print("Timing requests in this process…", flush=True)
    in_process = service_times(page, search, etags)
    info = machine(wrk)

    servers: dict[str, tuple[subprocess.Popen[bytes], int]] = {}
    results: dict[str, dict[str, Any]] = {}
    try:
        for label, name in DATABASES.items():
            servers[label] = serve(label, f"{args.postgres}/{name}", args.workers)
            # The ETag hashes the code (caching.release); ask the server, in case the tree changed since.
            etags[label] = served_etag(servers[label][1], page)
        cases = [  # (key, what, data set, path, headers, expected status)
            ("trivial", "trivial view /robots.txt", "10×", "/robots.txt", {}, 200),
            ("not_modified_10x", "dispute page, 304", "10×", page, {"If-None-Match": etags["10×"]}, 304),
            ("not_modified_1x", "dispute page, 304", "1×", page, {"If-None-Match": etags["1×"]}, 304),
            ("page_10x", "dispute page, uncached", "10×", page, {}, 200),
            ("page_1x", "dispute page, uncached", "1×", page, {}, 200),
            ("search_10x", f"search ?q={SEARCH_WORD}", "10×", search, {}, 200),
            ("search_1x", f"search ?q={SEARCH_WORD}", "1×", search, {}, 200),
        ]
        for _, what, label, path, headers, expected in cases:
            answer = status(servers[label][1], path, headers)
            if answer != expected:
                raise SystemExit(f"{what} at {label}: expected {expected}, got {answer} from {path}")
        total = len(cases) * (args.warmup + args.rounds * args.seconds)
        print(f"Loading {len(cases)} cases in {args.rounds} interleaved rounds of {args.seconds:g} s, after a "
              f"{args.warmup:g} s warm-up each (about {total:.0f} s)…", flush=True)  # fmt: skip
        samples: dict[str, list[dict[str, float]]] = {key: [] for key, *_ in cases}
        # Rounds, so that the machine's other load, which comes and goes, weighs alike on every case.
        for round_ in range(args.rounds):
            for key, _, label, path, headers, _ in cases:
                seconds = [args.warmup, args.seconds] if round_ == 0 and args.warmup > 0 else [args.seconds]
                for duration in seconds:  # the first, if two, is the warm-up: its figures are dropped
                    if wrk:
                        sample = load_wrk(wrk, servers[label][1], path, headers, duration, args.connections)
                    else:
                        sample = load_python(servers[label][1], path, headers, duration, args.connections)
                samples[key].append(sample)
        for key, what, label, path, _, expected in cases:
            rounds = samples[key]
            results[key] = {"what": what, "data": label, "path": path, "status": expected}
            for field in ("rate", "p50_ms", "p90_ms", "p99_ms", "bytes_per_response"):
                results[key][field] = statistics.median(sample[field] for sample in rounds)
            results[key]["requests"] = sum(sample["requests"] for sample in rounds)
            results[key]["errors"] = sum(sample["errors"] for sample in rounds)
            results[key]["rate_per_round"] = [round(sample["rate"], 1) for sample in rounds]
        # R6: the uncached page at half the rate that saturated it, at a constant rate, for every round's time.
        half = results["page_10x"]["rate"] / 2
        seconds = max(args.seconds * args.rounds, 5)
        print(f"Loading the dispute page at a constant {half:.1f} req/s (half its saturating rate) for {seconds:g} s…",
              flush=True)  # fmt: skip
        half_rate = load_fixed_rate(servers["10×"][1], page, half, seconds, args.connections)
    finally:
        for process, _ in servers.values():
            stop(process)
    info["load_average_at_end"] = [round(value, 2) for value in os.getloadavg()]

    trivial = results["trivial"]["rate"]
    ratios = {
        "page_vs_trivial": results["page_10x"]["rate"] / trivial,
        "not_modified_vs_trivial": results["not_modified_10x"]["rate"] / trivial,
        "page_p50_10x_vs_1x": results["page_10x"]["p50_ms"] / results["page_1x"]["p50_ms"],
        "page_queries_10x_vs_1x": queries["10×"]["page"] / queries["1×"]["page"],
        "search_p50_10x_vs_1x": results["search_10x"]["p50_ms"] / results["search_1x"]["p50_ms"],
        "page_p99_vs_p50_at_half_rate": half_rate["p99_ms"] / half_rate["p50_ms"],
    }
    for_reference = {
        "page_vs_trivial_at_1x": results["page_1x"]["rate"] / trivial,
        "not_modified_vs_trivial_at_1x": results["not_modified_1x"]["rate"] / trivial,
        "search_queries_10x_vs_1x": queries["10×"]["search"] / queries["1×"]["search"],
        "not_modified_queries_10x_vs_1x": queries["10×"]["not_modified"] / queries["1×"]["not_modified"],
        # The same four ratios from one request at a time in this process (no HTTP, no concurrency).
        "in_process_page_vs_trivial": in_process["10×"]["trivial"] / in_process["10×"]["page"],
        "in_process_not_modified_vs_trivial": in_process["10×"]["trivial"] / in_process["10×"]["not_modified"],
        "in_process_page_10x_vs_1x": in_process["10×"]["page"] / in_process["1×"]["page"],
        "in_process_search_10x_vs_1x": in_process["10×"]["search"] / in_process["1×"]["search"],
    }

    loader = "wrk -t1" if wrk else "Python threads"
    print()
    print(f"code {info['code']}; {info['cpu']}")
    print(f"load average {info['load_average_at_start']} at start, {info['load_average_at_end']} at end")
    print(
        f"gunicorn {args.workers} sync workers per data set; {loader}, {args.connections} connections, "
        f"{args.warmup:g} s warm-up, then the median of {args.rounds} rounds of {args.seconds:g} s per case"
    )
    print(f"PostgreSQL {info['postgresql']}")  # fmt: skip
    print(f"data: 1× {data['1×']['published disputes']} disputes, {data['1×']['sources']} sources; "
          f"10× {data['10×']['published disputes']} disputes, {data['10×']['sources']} sources; "
          f"{SEARCH_WORD!r} in {data['1×']['matching the search']} and {data['10×']['matching the search']}")  # fmt: skip
    print()
    print(f"{'case':<26}{'data':>5}{'req/s':>7}{'(rounds)':>14}{'p50 ms':>8}{'p90 ms':>8}{'p99 ms':>8}{'bytes':>7}"
          f"{'errors':>7}{'queries':>8}{'ms alone':>9}")  # fmt: skip
    for key, result in results.items():
        kind = key.removesuffix("_1x").removesuffix("_10x")
        spread = f"({min(result['rate_per_round']):.0f}-{max(result['rate_per_round']):.0f})"
        print(
            f"{result['what']:<26}{result['data']:>5}{result['rate']:>7.0f}{spread:>14}{result['p50_ms']:>8.1f}"
            f"{result['p90_ms']:>8.1f}{result['p99_ms']:>8.1f}{result['bytes_per_response']:>7.0f}"
            f"{result['errors']:>7}{queries[result['data']][kind]:>8}{in_process[result['data']][kind]:>9.1f}"
        )
    print(f"{'dispute page, constant rate':<26}{'10×':>5}{half_rate['rate']:>7.0f}{'(half)':>14}"
          f"{half_rate['p50_ms']:>8.1f}{half_rate['p90_ms']:>8.1f}{half_rate['p99_ms']:>8.1f}{'':>7}"
          f"{half_rate['errors']:>7}")  # fmt: skip
    print()
    labels = {
        "page_vs_trivial": "dispute page ÷ trivial view, req/s (10×, uncached)",
        "not_modified_vs_trivial": "304 revalidation ÷ trivial view, req/s (10×)",
        "page_p50_10x_vs_1x": "dispute page p50, 10× ÷ 1×",
        "page_queries_10x_vs_1x": "SQL queries per dispute page, 10× ÷ 1×",
        "search_p50_10x_vs_1x": f"search p50 (?q={SEARCH_WORD}), 10× ÷ 1×",
        "page_p99_vs_p50_at_half_rate": "dispute page p99 ÷ p50 at half its saturating rate",
    }
    missed = []
    for name, value in ratios.items():
        comparison, target = TARGETS[name]
        mark = verdict(name, value)
        if mark == "MISS":
            missed.append(name)
        shown = {"==": "=", ">=": "≥", "<=": "≤"}[comparison]
        print(f"{labels[name]:<54}{value:>7.2f}   target {shown} {target:<4}  {mark}")
    print(
        f"  at 1×: page ÷ trivial {for_reference['page_vs_trivial_at_1x']:.2f}, "
        f"304 ÷ trivial {for_reference['not_modified_vs_trivial_at_1x']:.2f}; "
        f"search queries 10× ÷ 1× {for_reference['search_queries_10x_vs_1x']:.2f}"
    )
    print(f"  one request at a time in this process (\"ms alone\"): page ÷ trivial "
          f"{for_reference['in_process_page_vs_trivial']:.2f}, 304 ÷ trivial "
          f"{for_reference['in_process_not_modified_vs_trivial']:.2f}, page 10× ÷ 1× "
          f"{for_reference['in_process_page_10x_vs_1x']:.2f}, search 10× ÷ 1× "
          f"{for_reference['in_process_search_10x_vs_1x']:.2f}")  # fmt: skip
    if missed:
        print(f"{len(missed)} of {len(ratios)} targets missed: {', '.join(missed)} (reported, not a failure)")
    else:
        print(f"All {len(ratios)} targets met.")

    report = {
        "machine": info,
        "settings": {
            "disputes_1x": small,
            "seconds": args.seconds,
            "rounds": args.rounds,
            "warmup": args.warmup,
            "connections": args.connections,
            "gunicorn_workers": args.workers,
            "loader": loader,
            "search_word": SEARCH_WORD,
            "dispute_page": page,
        },
        "data": data,
        "seeding": seeding,
        "queries": queries,
        "in_process_ms": {
            label: {kind: round(ms, 2) for kind, ms in kinds.items()} for label, kinds in in_process.items()
        },
        "cases": results,
        "constant_rate": {key: round(value, 2) for key, value in half_rate.items()},
        "ratios": {
            name: {
                "value": round(value, 3),
                "target": f"{TARGETS[name][0]} {TARGETS[name][1]}",
                "verdict": verdict(name, value),
            }
            for name, value in ratios.items()
        },
        "for_reference": {name: round(value, 3) for name, value in for_reference.items()},
        "run_seconds": round(time.perf_counter() - run_started, 1),
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(f"Written to {args.json} ({report['run_seconds']:.0f} s in all).")


if __name__ == "__main__":
    main()
