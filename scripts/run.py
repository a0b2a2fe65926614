#!/usr/bin/env python
"""Start Counterclaim on one machine: migrate, load the seed story, run the web app and the worker.

`make run` calls this with the project's virtualenv. With no DATABASE_URL / REDIS_URL it uses the
embedded defaults (SQLite under var/, Celery on kombu's filesystem transport under var/); with them
it uses PostgreSQL and Redis. Ctrl-C stops everything it started.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
HOST = os.environ.get("HOST", "127.0.0.1")
PORT = int(os.environ.get("PORT", "8000"))


def manage(*args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, check=True)


def port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def wait_for_port(host: str, port: int, timeout: float, process: subprocess.Popen[bytes]) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.2)
    return False


def stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    for process in processes:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def main() -> int:
    os.chdir(ROOT)
    if not port_is_free(HOST, PORT):
        print(f"Port {PORT} on {HOST} is already in use. Stop what runs there, or choose another: PORT=8001 make run")
        return 1
    database = os.environ.get("DATABASE_URL") or "SQLite under var/ (embedded default)"
    broker = os.environ.get("REDIS_URL") or "filesystem queue under var/celery (embedded default)"
    print(f"Database: {database}\nBroker:   {broker}\n")

    manage("migrate", "--noinput", "--verbosity", "0")
    manage("load_seeds", "--demo-users")

    # Each child in its own process group, so Ctrl-C here stops them cleanly and only once.
    web = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"{HOST}:{PORT}", "--noreload"], cwd=ROOT, start_new_session=True
    )
    worker = subprocess.Popen(
        [str(BIN / "celery"), "-A", "config", "worker", "--beat", "--pool=solo", "--loglevel=INFO",
         "--hostname", f"counterclaim@{socket.gethostname()}"],
        cwd=ROOT,
        start_new_session=True,
    )  # fmt: skip
    processes = [web, worker]
    try:
        if not wait_for_port(HOST, PORT, 30, web):
            print("The web app did not start; see the messages above.")
            stop(processes)
            return 1
        print(f"\n  Counterclaim is running at http://{HOST}:{PORT}/")
        print(f"  Sign in at http://{HOST}:{PORT}/login/ with the demo logins above; admin at /admin/.")
        print("  The background worker (with its scheduler) runs alongside. Press Ctrl-C to stop both.\n")
        while all(process.poll() is None for process in processes):
            time.sleep(0.5)
        failed = next(process for process in processes if process.poll() is not None)
        name = "web app" if failed is web else "worker"
        print(f"The {name} stopped (exit code {failed.returncode}); stopping the rest.")
        return failed.returncode or 1
    except KeyboardInterrupt:
        print("\nStopping…")
        return 0
    finally:
        stop(processes)


if __name__ == "__main__":
    sys.exit(main())
