"""Only `articles/fetching.py` may open connections to other websites (DESIGN §5.4, reference §C.5 C-T13).

changedetection.io's later SSRF advisories (GHSA-hm22-wg2m-35v4, GHSA-56fq-63vj-9992) were new fetch
paths that skipped the gate. This test reads every project module with `ast` and fails when one other
than the fetcher imports an HTTP client, a raw socket or trafilatura's downloader. Broker connections
(celery, kombu, redis) are not web fetches and are not listed.
"""

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCANNED = ("articles", "disputes", "config", "scripts")
SKIPPED_DIRS = {"tests", "migrations", ".venv", "bench", "__pycache__", "node_modules"}
THE_FETCHER = "articles/fetching.py"

CLIENTS = (
    "httpx", "httpcore", "requests", "urllib3", "urllib.request", "http.client", "socket",
    "aiohttp", "pycurl", "ftplib", "telnetlib", "xmlrpc.client", "websocket", "websockets",
    "trafilatura.fetch_url", "trafilatura.downloads", "trafilatura.fetch_response", "trafilatura.spider",
)  # fmt: skip

# Each exception names the one module it may use and why.
ALLOWED = {
    # The launcher behind `make run` checks that its own ports on 127.0.0.1 are free and that the
    # web server it started is listening; it never fetches a web page.
    "scripts/run.py": {"socket"},
}


def project_modules() -> Iterator[Path]:
    for folder in SCANNED:
        for path in sorted((ROOT / folder).rglob("*.py")):
            if SKIPPED_DIRS.isdisjoint(path.relative_to(ROOT).parts):
                yield path
    yield from sorted(ROOT.glob("*.py"))  # manage.py; conftest.py is test code
    # scripts/ also holds executables without the .py suffix; read the ones written in Python.
    for path in sorted((ROOT / "scripts").iterdir()):
        if (
            path.is_file()
            and path.suffix == ""
            and path.read_text(errors="replace").startswith("#!/usr/bin/env python")
        ):
            yield path


def imported_names(tree: ast.AST) -> Iterator[tuple[str, int]]:
    """Yield every dotted name a module imports or reaches by attribute (`urllib.request.urlopen`)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module, node.lineno
            for alias in node.names:
                yield f"{node.module}.{alias.name}", node.lineno
        elif isinstance(node, ast.Attribute):
            dotted = dotted_name(node)
            if dotted:
                yield dotted, node.lineno
        elif (
            isinstance(node, ast.Call)
            and dotted_name(node.func) in {"__import__", "importlib.import_module", "import_module"}
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            yield node.args[0].value, node.lineno


def dotted_name(node: ast.expr) -> str:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return ""
    parts.append(node.id)
    return ".".join(reversed(parts))


def client_of(name: str) -> str:
    """Return the client a dotted name belongs to ("httpx.Client" -> "httpx"), or ""."""
    for client in CLIENTS:
        if name == client or name.startswith(f"{client}."):
            return client
    return ""


def uses_of_clients(path: Path) -> list[tuple[str, int]]:
    tree = ast.parse(path.read_text(), filename=str(path))
    return [(client, line) for name, line in imported_names(tree) if (client := client_of(name))]


def test_only_the_fetcher_opens_connections() -> None:
    offenders = []
    for path in project_modules():
        relative = path.relative_to(ROOT).as_posix()
        if relative == THE_FETCHER:
            continue
        allowed = ALLOWED.get(relative, set())
        offenders += [
            f"{relative}:{line} uses {client}" for client, line in uses_of_clients(path) if client not in allowed
        ]
    assert offenders == [], "Fetch web pages through articles.fetching.fetch only:\n" + "\n".join(offenders)


def test_the_scan_sees_the_fetcher_and_the_whole_project() -> None:
    # Guard the guard: a scan that read nothing would pass for the wrong reason.
    scanned = {path.relative_to(ROOT).as_posix() for path in project_modules()}
    assert {THE_FETCHER, "config/settings.py", "manage.py"} <= scanned
    assert not any("/tests/" in name or "/migrations/" in name for name in scanned)
    assert {"httpx", "httpcore", "socket"} <= {client for client, _ in uses_of_clients(ROOT / THE_FETCHER)}


def test_the_detector_catches_every_spelling() -> None:
    sources = {
        "import httpx": "httpx",
        "import urllib.request": "urllib.request",
        "from urllib import request": "urllib.request",
        "from http.client import HTTPConnection": "http.client",
        "import urllib\nurllib.request.urlopen('http://x')": "urllib.request",
        "from trafilatura import fetch_url": "trafilatura.fetch_url",
        "import trafilatura\ntrafilatura.fetch_url('http://x')": "trafilatura.fetch_url",
        "from trafilatura.downloads import fetch_response": "trafilatura.downloads",
        "import importlib\nimportlib.import_module('requests')": "requests",
        "from socket import create_connection": "socket",
    }
    for source, client in sources.items():
        found = {client_of(name) for name, _ in imported_names(ast.parse(source))}
        assert client in found, source
    harmless = "from urllib.parse import urlsplit\nimport trafilatura\ntrafilatura.extract('<p>x</p>')\nimport kombu"
    assert {client_of(name) for name, _ in imported_names(ast.parse(harmless))} == {""}
