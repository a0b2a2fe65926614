"""What the SSRF guard costs: guarded vs unguarded fetches of one local page (DESIGN §10, reference §D.6).

Serves one ~50 KB page on 127.0.0.1 (a minimal keep-alive HTTP/1.1 server in a child process, so the
server does not share the client's GIL) and fetches it, in interleaved rounds:

- guarded: `articles.fetching.fetch`, with every check: URL parsing twice, address vetting, a pinned
  connection, the deadline on every socket operation, the capped streaming decoder;
- unguarded: a plain `httpx.Client` aimed at the IP literal, one new connection per request, which is
  what the guard does too (each fetch has its own pool: fetches of one site are seconds apart);
- unguarded keep-alive: the same client reusing its connection, for reference only.

No DNS on any side (the URL is an IP literal). Prints the median rate of the rounds and the ratios;
the target is guarded ÷ unguarded ≥ 0.9. With --json, also writes them, with the verdict, to that file.

    DATABASE_URL=… .venv/bin/python bench/guard.py [--requests 300] [--rounds 10] [--json PATH]
"""

import argparse
import json
import logging
import multiprocessing
import os
import socket
import statistics
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ["FETCH_ALLOWED_NETWORKS"] = "127.0.0.1/32"  # before settings load: the bench server is local

import django

django.setup()

import httpx  # noqa: E402
from django.conf import settings  # noqa: E402

from articles import fetching  # noqa: E402

PAGE_SIZE = 50 * 1024
TARGET = 0.9  # guarded ÷ unguarded, new connection each (reference §D.6, R7)


def page() -> bytes:
    paragraph = b"<p>The minister said the figures were never published, and the agency disagreed.</p>\n"
    body = b"<!doctype html><html><head><title>Bench</title></head><body>\n"
    body += paragraph * ((PAGE_SIZE - len(body) - 15) // len(paragraph))
    return body + b"</body></html>\n"


def serve(listener: socket.socket) -> None:
    """Answer every request on every connection with the same page, keeping connections open."""
    body = page()
    head = b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: %d\r\n\r\n" % len(body)
    response = head + body

    def connection(sock: socket.socket) -> None:
        with sock:
            buffer = b""
            while True:
                while b"\r\n\r\n" not in buffer:
                    data = sock.recv(65536)
                    if not data:
                        return
                    buffer += data
                _, _, buffer = buffer.partition(b"\r\n\r\n")
                sock.sendall(response)

    while True:
        sock, _ = listener.accept()
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        threading.Thread(target=connection, args=(sock,), daemon=True).start()


def rate(fetch_once: Callable[[], int], count: int) -> float:
    """Return fetches per second over `count` fetches, checking each returned the whole page."""
    started = time.perf_counter()
    for _ in range(count):
        assert fetch_once() == len(page())
    return count / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300, help="fetches per kind (default 300)")
    parser.add_argument("--rounds", type=int, default=10, help="interleaved rounds (default 10)")
    parser.add_argument("--json", type=Path, help="also write the rates and ratios, with the verdict, here")
    args = parser.parse_args()
    per_round = max(1, args.requests // args.rounds)

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    server = multiprocessing.get_context("fork").Process(target=serve, args=(listener,), daemon=True)
    server.start()
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/story"

    logging.getLogger("httpx").setLevel(logging.WARNING)  # its per-request INFO line would be most of the cost
    fresh = httpx.Client(trust_env=False, limits=httpx.Limits(max_keepalive_connections=0))
    kept = httpx.Client(trust_env=False)
    kinds: dict[str, Callable[[], int]] = {
        "guarded (articles.fetching.fetch)": lambda: len(fetching.fetch(url).body),
        "unguarded httpx, new connection": lambda: len(fresh.get(url).content),
        "unguarded httpx, keep-alive": lambda: len(kept.get(url).content),
    }
    for fetch_once in kinds.values():  # warm up: imports, TLS context, first connections
        rate(fetch_once, 20)

    rates: dict[str, list[float]] = {name: [] for name in kinds}
    for _ in range(args.rounds):
        for name, fetch_once in kinds.items():
            rates[name].append(rate(fetch_once, per_round))
    server.terminate()

    medians = {name: statistics.median(values) for name, values in rates.items()}
    guarded, unguarded, keep_alive = medians.values()
    print(f"page {len(page()) / 1024:.0f} KB, {args.rounds} rounds x {per_round} fetches per kind, median of rounds")
    print(f"  (FETCH_MAX_BYTES={settings.FETCH_MAX_BYTES}, Python {sys.version.split()[0]}, httpx {httpx.__version__})")
    for name, value in medians.items():
        spread = f"{min(rates[name]):.0f}-{max(rates[name]):.0f}"
        print(f"  {name:<36} {value:8.0f} fetches/s  (rounds {spread})")
    verdict = "meets" if guarded / unguarded >= TARGET else "MISSES"
    print(f"guarded / unguarded (new connection each): {guarded / unguarded:.2f}  ({verdict} the {TARGET} target)")
    print(f"guarded / unguarded keep-alive (reference): {guarded / keep_alive:.2f}")
    if args.json:
        report = {
            "settings": {"page_bytes": len(page()), "rounds": args.rounds, "fetches_per_round": per_round},
            "versions": {"python": sys.version.split()[0], "httpx": httpx.__version__},
            "fetches_per_s": {name: round(value, 1) for name, value in medians.items()},
            "fetches_per_s_per_round": {name: [round(v, 1) for v in values] for name, values in rates.items()},
            "ratios": {
                "R7_guarded_vs_unguarded": {
                    "value": round(guarded / unguarded, 3),
                    "target": f">= {TARGET}",
                    "verdict": "PASS" if guarded / unguarded >= TARGET else "MISS",
                },
            },
            "for_reference": {"guarded_vs_unguarded_keep_alive": round(guarded / keep_alive, 3)},
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
