"""`make run` on embedded defaults: a fresh SQLite file, the seed story, the web app and the worker."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEED_SLUG = "kyiv-informed-in-advance-of-trump-putin-call"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url: str) -> tuple[int, str, dict[str, str]]:
    with urllib.request.urlopen(url, timeout=10) as response:  # the app we just started, on 127.0.0.1
        return response.status, response.read().decode(), dict(response.headers)


@pytest.fixture
def embedded_env(tmp_path: Path) -> dict[str, str]:
    dropped = {"DATABASE_URL", "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE", "COUNTERCLAIM_ENV", "DJANGO_SETTINGS_MODULE"}
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env.update(COUNTERCLAIM_VAR_DIR=str(tmp_path / "var"), PORT=str(free_port()), PYTHONUNBUFFERED="1")
    return env


def test_run_starts_web_and_worker_on_embedded_defaults(embedded_env: dict[str, str], tmp_path: Path) -> None:
    log_path = tmp_path / "run.log"
    port = embedded_env["PORT"]
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "scripts/run.py"], cwd=ROOT, env=embedded_env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        output = ""
        while time.monotonic() < deadline:
            output = log_path.read_text()
            if "Counterclaim is running at" in output and "ready." in output:
                break
            assert process.poll() is None, output
            time.sleep(0.5)
        else:
            pytest.fail(f"make run did not come up:\n{output}")

        # The logins are printed, and the database is the fresh SQLite file under the var dir.
        assert "editor" in output and "reviewer" in output and "password" in output.lower()
        assert (tmp_path / "var" / "counterclaim.sqlite3").exists()
        assert "filesystem://" in output  # the worker runs on the embedded broker, no Redis

        status, body, headers = get(f"http://127.0.0.1:{port}/d/{SEED_SLUG}/")
        assert status == 200
        assert "Reports that the Ukrainian side was informed in advance" in body
        assert "Set-Cookie" not in headers

        status, body, _ = get(f"http://127.0.0.1:{port}/")
        assert status == 200 and "Kyiv was told in advance" in body
    finally:
        os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in the terminal sends
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            pytest.fail("make run did not stop on Ctrl-C")
    # Ctrl-C stopped everything it started: nothing listens on the port any more.
    with socket.socket() as sock:
        assert sock.connect_ex(("127.0.0.1", int(port))) != 0
    assert "Stopping" in log_path.read_text()
