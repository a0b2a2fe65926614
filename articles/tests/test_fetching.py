"""The safe fetcher (DESIGN §5.4): the SSRF table of reference §C.5, limits, hygiene and TLS.

Every test runs with an empty FETCH_ALLOWED_NETWORKS unless it opens one on purpose (reference §C.4:
an allowlist left on by a fixture would make the SSRF cases pass for the wrong reason). Names resolve
through a fake resolver, and a spy on `socket.socket.connect` records every address any socket in the
process connected to, so each refusal also proves that nothing reached the forbidden address.
"""

import contextlib
import gzip
import socket
import socketserver
import ssl
import struct
import subprocess
import threading
import time
import tracemalloc
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Response

from articles import fetching
from articles.checks import check_fetch_allowed_networks
from articles.fetching import FetchError, fetch, forbidden_reason

PUBLIC_IP = "93.184.215.14"
PAGE = b"<html><head><title>Minister's statement</title></head><body><p>It was never said.</p></body></html>"


# --- fixtures --------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def fetch_settings(settings: Any) -> Any:
    """Start every test with production's allowlist (none) and short timeouts, so failures fail fast."""
    settings.FETCH_ALLOWED_NETWORKS = []
    settings.FETCH_ALLOWED_PORTS = [80, 443]
    settings.FETCH_CONNECT_TIMEOUT = 2
    settings.FETCH_READ_TIMEOUT = 3
    settings.FETCH_TOTAL_TIMEOUT = 5
    return settings


@pytest.fixture
def local(settings: Any) -> Any:
    """Let the fetcher reach servers on 127.x, as the test settings of reference §C.4 do."""
    settings.FETCH_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    return settings


@pytest.fixture
def connections(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record the address of every socket connect() in the process, in order."""
    seen: list[str] = []
    real_connect = socket.socket.connect

    def spy(sock: socket.socket, address: Any) -> None:
        seen.append(address[0] if isinstance(address, tuple) else str(address))
        real_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", spy)
    return seen


@dataclass
class FakeDNS:
    """Names the fake resolver knows, each a list of addresses or a function returning one."""

    names: dict[str, list[str] | Callable[[], list[str]]] = field(default_factory=dict)
    lookups: list[str] = field(default_factory=list)


@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> FakeDNS:
    """Answer getaddrinfo() for made-up names; anything else goes to the real resolver."""
    fake = FakeDNS(
        names={
            "localhost": ["127.0.0.1", "::1"],
            "public.test": [PUBLIC_IP],
            "evil.test": [PUBLIC_IP, "10.0.0.5"],
            "metadata.test": ["169.254.169.254"],
            "ula.test": ["2606:4700::1111", "fd00:ec2::254"],
        }
    )
    real_getaddrinfo = socket.getaddrinfo

    def getaddrinfo(host: Any, port: Any, family: int = 0, type: int = 0, proto: int = 0, flags: int = 0) -> Any:
        name = host.rstrip(".").lower() if isinstance(host, str) else host
        if name not in fake.names:
            return real_getaddrinfo(host, port, family, type, proto, flags)
        fake.lookups.append(name)
        known = fake.names[name]
        addresses = known() if callable(known) else known
        return [
            (socket.AF_INET6, socket.SOCK_STREAM, 6, "", (ip, port, 0, 0))
            if ":" in ip
            else (socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port))
            for ip in addresses
        ]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return fake


@pytest.fixture(scope="module")
def second_loopback() -> Iterator[HTTPServer]:
    """A page server on 127.0.0.2, so a test can allow it while 127.0.0.1 stays forbidden."""
    server = HTTPServer(host="127.0.0.2", port=0)
    server.start()
    yield server
    server.clear()
    server.stop()


@pytest.fixture
def allowed(second_loopback: HTTPServer, settings: Any) -> HTTPServer:
    """Allow only 127.0.0.2 and return its server, emptied of earlier expectations."""
    settings.FETCH_ALLOWED_NETWORKS = ["127.0.0.2/32"]
    second_loopback.clear()
    return second_loopback


@dataclass
class RawServer:
    """A local TCP server whose handler writes whatever bytes a misbehaving-server test needs."""

    port: int
    requests: list[bytes]
    server_names: list[str]
    stop: threading.Event

    def url(self, path: str = "/", host: str = "127.0.0.1", scheme: str = "http") -> str:
        return f"{scheme}://{host}:{self.port}{path}"


@contextlib.contextmanager
def raw_server(
    handle: Callable[[socket.socket, threading.Event], None], *, tls: ssl.SSLContext | None = None
) -> Iterator[RawServer]:
    """Serve on 127.0.0.1: read each request head, record it, then let `handle` answer (or not)."""
    requests: list[bytes] = []
    server_names: list[str] = []
    stop = threading.Event()
    if tls is not None:
        tls.sni_callback = lambda _sock, name, _context: server_names.append(name or "")  # type: ignore[assignment,misc]

    class Handler(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            sock: socket.socket = self.request
            try:
                if tls is not None:
                    sock = tls.wrap_socket(sock, server_side=True)
                sock.settimeout(10)
                head = b""
                while b"\r\n\r\n" not in head:
                    data = sock.recv(65536)
                    if not data:
                        return
                    head += data
                requests.append(head)
                handle(sock, stop)
            except OSError:  # the client gave up or refused our certificate: that is the point
                pass

    class Server(socketserver.ThreadingTCPServer):
        daemon_threads = True
        block_on_close = False
        allow_reuse_address = True

    server = Server(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield RawServer(server.server_address[1], requests, server_names, stop)
    finally:
        stop.set()
        server.shutdown()
        server.server_close()


def header(head: bytes, name: str) -> str | None:
    """Return one header of a recorded request head, or None."""
    for line in head.decode("latin-1").split("\r\n")[1:]:
        key, _, value = line.partition(":")
        if key.strip().lower() == name.lower():
            return value.strip()
    return None


def answer(status: str, headers: dict[str, str], body: bytes = b"") -> Callable[[socket.socket, threading.Event], None]:
    """Return a handler that sends one complete response."""

    def handle(sock: socket.socket, stop: threading.Event) -> None:
        lines = [f"HTTP/1.1 {status}", *(f"{k}: {v}" for k, v in headers.items()), "", ""]
        sock.sendall("\r\n".join(lines).encode("latin-1") + body)

    return handle


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Make a self-signed certificate for example.test (openssl; the cryptography package is not installed)."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", "/CN=example.test",
         "-addext", "subjectAltName=DNS:example.test"],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


def tls_server_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    return context


@pytest.fixture(scope="module")
def gzip_bomb() -> bytes:
    """Return ~1 MB of gzip that inflates to 1 GiB of zeros, built in a fraction of a second.

    After a full flush, deflating the same megabyte of zeros gives the same bytes every time, so one
    compressed megabyte is repeated 1024 times between a gzip header and a valid trailer.
    """
    zeros = bytes(1 << 20)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    unit = compressor.compress(zeros) + compressor.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    for _ in range(1024):
        crc = zlib.crc32(zeros, crc)
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
    return header + unit * 1024 + compressor.flush() + struct.pack("<II", crc, (1 << 30) & 0xFFFFFFFF)


def assert_never_connected(connections: list[str], *addresses: str) -> None:
    for address in addresses:
        assert address not in connections, f"a socket connected to {address}"


# --- C-T1: the classifier ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1", "127.255.255.254", "0.0.0.0", "0.1.2.3",  # noqa: S104 "10.0.0.1", "172.16.0.1", "172.31.255.255",
        "192.168.1.1", "169.254.169.254", "100.64.0.1", "100.127.255.254", "198.18.0.1", "224.0.0.1",
        "239.255.255.250", "240.0.0.1", "255.255.255.255", "192.0.0.8", "192.0.2.1", "198.51.100.7", "203.0.113.9",
        "192.88.99.1",
        "::1", "::", "fe80::1", "fc00::1", "fd00:ec2::254", "fec0::1", "ff02::1", "2001:db8::1", "3fff::1",
        "100::1", "5f00::1",
        "::ffff:127.0.0.1", "::ffff:7f00:1", "::ffff:169.254.169.254", "::ffff:10.0.0.1", "::127.0.0.1",
        "2002:7f00:1::", "2002:a00:1::1", "2002:a9fe:a9fe::",
        "2001:0:4136:e378:8000:63bf:80ff:fffe",  # Teredo carrying 127.0.0.1
        "2001:0:4136:e378:8000:63bf:5d47:28f1",  # Teredo carrying a public address: Teredo is refused anyway
        "64:ff9b::7f00:1", "64:ff9b::a9fe:a9fe", "64:ff9b:1::1",
    ],
)  # fmt: skip
def test_classifier_refuses_every_non_public_address(address: str) -> None:
    assert forbidden_reason(address)


@pytest.mark.parametrize(
    "address",
    [PUBLIC_IP, "8.8.8.8", "1.1.1.1", "2606:4700::1111", "2001:4860:4860::8888", "::ffff:8.8.8.8",
     "64:ff9b::808:808", "2002:5db8:d70e::1"],
)  # fmt: skip
def test_classifier_allows_public_addresses(address: str) -> None:
    assert forbidden_reason(address) == ""


def test_classifier_unwraps_before_trusting_ipaddress() -> None:
    # ipaddress calls the IPv4-compatible ::127.0.0.1 global; our list does not (reference §C.2).
    import ipaddress

    assert ipaddress.ip_address("::127.0.0.1").is_global
    assert forbidden_reason("::127.0.0.1")
    assert forbidden_reason("::ffff:127.0.0.1") == "a loopback address (this server itself), wrapped in an IPv6 address"


# --- C-T2, C-T3, C-T6, C-T11: refused before any connection ---------------------------------------------


@pytest.mark.parametrize(
    ("url", "error_class", "in_message"),
    [
        ("http://127.0.0.1/", "forbidden_address", "loopback address (this server itself) (127.0.0.1)"),
        ("http://10.0.0.5/", "forbidden_address", "private network address (10.0.0.5)"),
        ("http://172.16.0.1/", "forbidden_address", "172.16.0.1"),
        ("http://192.168.1.1/", "forbidden_address", "192.168.1.1"),
        ("http://169.254.169.254/latest/meta-data/", "forbidden_address", "link-local"),
        ("http://100.64.0.1/", "forbidden_address", "carrier-grade NAT"),
        ("http://0.0.0.0/", "forbidden_address", "0.0.0.0"),  # noqa: S104
        ("http://[::1]/", "forbidden_address", "::1"),
        ("http://[::]/", "forbidden_address", "unspecified"),
        ("http://[::ffff:127.0.0.1]/", "forbidden_address", "wrapped in an IPv6 address"),
        ("http://[::ffff:7f00:1]/", "forbidden_address", "loopback"),
        ("http://[::ffff:169.254.169.254]/", "forbidden_address", "link-local"),
        ("http://[2002:7f00:1::]/", "forbidden_address", "loopback"),  # 6to4
        ("http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/", "forbidden_address", "loopback"),  # Teredo
        ("http://[64:ff9b::7f00:1]/", "forbidden_address", "loopback"),  # NAT64
        ("http://[fc00::1]/", "forbidden_address", "private"),
        ("http://[fd00:ec2::254]/", "forbidden_address", "private"),
        ("http://[fe80::1]/", "forbidden_address", "link-local"),
        ("https://[::1]:443/", "forbidden_address", "loopback"),
        ("http://2130706433/", "forbidden_address", "127.0.0.1"),  # decimal
        ("http://0x7f000001/", "forbidden_address", "127.0.0.1"),  # hexadecimal
        ("http://127.1/", "forbidden_address", "127.0.0.1"),  # short form
        ("http://0177.0.0.1/", "invalid_url", "IPv4"),  # octal: httpx refuses to parse it
        ("http://localhost/", "forbidden_address", "loopback"),
        ("http://LOCALHOST./", "forbidden_address", "loopback"),
        ("http://evil.test/", "forbidden_address", "10.0.0.5"),  # one bad record among good ones
        ("http://metadata.test/", "forbidden_address", "169.254.169.254"),
        ("http://ula.test/", "forbidden_address", "fd00:ec2::254"),
        ("ftp://public.test/", "invalid_url", "http"),
        ("file:///etc/passwd", "invalid_url", "http"),
        ("gopher://public.test:70/_GET", "invalid_url", "http"),
        ("data:text/html,<h1>hi</h1>", "invalid_url", "http"),
        ("javascript:alert(1)", "invalid_url", "http"),
        ("http://user@public.test/", "invalid_url", "user name"),
        ("http://user:secret@public.test/", "invalid_url", "user name"),
        ("http://public.test@127.0.0.1/", "invalid_url", "user name"),
        ("http://169.254.169.254:8888\\@public.test/", "invalid_url", "backslash"),  # GHSA-rph4-96w6-q594
        ("http://public.test/\x00", "invalid_url", "control"),
        ("http://pub lic.test/", "invalid_url", "spaces"),
        ("http://public.test:22/", "forbidden_port", "port 22"),
        ("http://public.test:6379/", "forbidden_port", "port 6379"),
        ("http://public.test:5432/", "forbidden_port", "port 5432"),
        ("https://public.test:8443/", "forbidden_port", "port 8443"),
    ],
)
def test_refused_before_any_connection(
    url: str, error_class: str, in_message: str, dns: FakeDNS, connections: list[str]
) -> None:
    with pytest.raises(FetchError) as caught:
        fetch(url)
    assert caught.value.error_class == error_class
    assert caught.value.permanent
    assert in_message in caught.value.message
    assert connections == []


def test_ssrf_cases_run_with_an_empty_allowlist(settings: Any) -> None:
    # The autouse fixture resets it, whatever the environment says (reference §C.4's caveat).
    assert settings.FETCH_ALLOWED_NETWORKS == []


def test_port_is_refused_before_the_name_is_even_resolved(dns: FakeDNS) -> None:
    with pytest.raises(FetchError, match="port 22"):
        fetch("http://public.test:22/")
    assert dns.lookups == []


def test_resolver_failure_is_a_dns_error() -> None:
    with pytest.raises(FetchError) as caught:
        fetch("http://no-such-host.invalid/")
    assert caught.value.error_class == "dns"
    assert not caught.value.permanent


# --- C-T10: the allowlist --------------------------------------------------------------------------------


def test_allowlist_opens_only_the_networks_it_names(
    httpserver_ipv4: HTTPServer, settings: Any, connections: list[str]
) -> None:
    httpserver_ipv4.expect_request("/page").respond_with_data(PAGE, content_type="text/html")
    url = httpserver_ipv4.url_for("/page")

    with pytest.raises(FetchError) as caught:
        fetch(url)
    assert caught.value.error_class == "forbidden_port"  # the test server's random port gives it away first

    settings.FETCH_ALLOWED_NETWORKS = ["127.0.0.2/32"]
    with pytest.raises(FetchError) as caught:
        fetch(url)
    assert caught.value.error_class == "forbidden_address"
    assert connections == []

    settings.FETCH_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    page = fetch(url)
    assert page.status == 200
    assert page.body == PAGE
    assert connections == ["127.0.0.1"]


def test_allowlisted_host_may_use_any_port_but_a_mixed_host_may_not(
    allowed: HTTPServer, dns: FakeDNS, connections: list[str]
) -> None:
    allowed.expect_request("/").respond_with_data(PAGE, content_type="text/html")
    dns.names["mixed.test"] = ["127.0.0.2", PUBLIC_IP]

    assert fetch(f"http://127.0.0.2:{allowed.port}/").status == 200
    with pytest.raises(FetchError) as caught:
        fetch(f"http://mixed.test:{allowed.port}/")
    assert caught.value.error_class == "forbidden_port"
    assert connections == ["127.0.0.2"]


# --- C-T4: DNS rebinding ---------------------------------------------------------------------------------


def test_name_is_resolved_once_and_the_vetted_address_is_used(
    allowed: HTTPServer, dns: FakeDNS, connections: list[str]
) -> None:
    answers = iter([["127.0.0.2"]])
    dns.names["rebind.test"] = lambda: next(answers, ["127.0.0.1"])  # the second answer would be loopback
    allowed.expect_request("/a").respond_with_response(Response(status=302, headers={"Location": "/b"}))
    allowed.expect_request("/b").respond_with_data(PAGE, content_type="text/html")

    page = fetch(f"http://rebind.test:{allowed.port}/a")

    assert page.status == 200
    assert page.resolved_ip == "127.0.0.2"
    assert dns.lookups == ["rebind.test"]
    assert set(connections) == {"127.0.0.2"}
    assert [request.headers["Host"] for request, _ in allowed.log] == [f"rebind.test:{allowed.port}"] * 2


# --- C-T5: redirects -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("location", "error_class", "never"),
    [
        ("http://127.0.0.1:{canary}/admin/", "forbidden_address", "127.0.0.1"),
        ("http://169.254.169.254/latest/meta-data/", "forbidden_address", "169.254.169.254"),
        ("http://[::ffff:169.254.169.254]/latest/meta-data/", "forbidden_address", "::ffff:169.254.169.254"),
        ("http://metadata.test/latest/meta-data/", "forbidden_address", "169.254.169.254"),
        ("http://evil.test/", "forbidden_address", "10.0.0.5"),
        ("http://2130706433:{canary}/", "forbidden_address", "127.0.0.1"),
        ("file:///etc/passwd", "invalid_url", ""),
        ("gopher://127.0.0.1:{canary}/_SET%20x", "invalid_url", "127.0.0.1"),
        ("http://public.test:6379/", "forbidden_port", PUBLIC_IP),
        ("http://x@127.0.0.1:{canary}/", "invalid_url", "127.0.0.1"),
    ],
)
def test_redirect_to_a_forbidden_address_is_refused_before_connecting(
    location: str,
    error_class: str,
    never: str,
    allowed: HTTPServer,
    httpserver_ipv4: HTTPServer,
    dns: FakeDNS,
    connections: list[str],
) -> None:
    canary = httpserver_ipv4  # on 127.0.0.1, which this test does not allow
    canary.expect_request("/admin/").respond_with_data("secret")
    target = location.format(canary=canary.port)
    allowed.expect_request("/go").respond_with_response(Response(status=302, headers={"Location": target}))

    with pytest.raises(FetchError) as caught:
        fetch(f"http://127.0.0.2:{allowed.port}/go")

    assert caught.value.error_class == error_class
    assert caught.value.message.startswith(f"The page redirects to {target}")
    assert connections == ["127.0.0.2"]
    if never:
        assert_never_connected(connections, never)
    assert canary.log == []


def test_more_than_five_redirects_are_refused(allowed: HTTPServer, connections: list[str]) -> None:
    allowed.expect_request("/loop").respond_with_response(Response(status=302, headers={"Location": "/loop"}))

    with pytest.raises(FetchError) as caught:
        fetch(f"http://127.0.0.2:{allowed.port}/loop")

    assert caught.value.error_class == "too_many_redirects"
    assert caught.value.permanent
    assert len(allowed.log) == 6  # the first request and five redirects followed


def test_five_redirects_are_followed_and_recorded(allowed: HTTPServer) -> None:
    base = f"http://127.0.0.2:{allowed.port}"
    for hop in range(5):
        status = (301, 302, 303, 307, 308)[hop]
        allowed.expect_request(f"/{hop}").respond_with_response(
            Response(status=status, headers={"Location": f"{base}/{hop + 1}"})
        )
    allowed.expect_request("/5").respond_with_data(PAGE, content_type="text/html")

    page = fetch(f"{base}/0")

    assert page.status == 200
    assert page.final_url == f"{base}/5"
    assert page.redirect_chain == [(301, f"{base}/0"), (302, f"{base}/1"), (303, f"{base}/2"),
                                   (307, f"{base}/3"), (308, f"{base}/4")]  # fmt: skip


def test_relative_location_is_resolved_against_the_current_address(allowed: HTTPServer) -> None:
    base = f"http://127.0.0.2:{allowed.port}"
    allowed.expect_request("/news/2024/story").respond_with_response(
        Response(status=301, headers={"Location": "../2025/story?page=1#top"})
    )
    allowed.expect_request("/news/2025/story", query_string="page=1").respond_with_data(PAGE, content_type="text/html")

    page = fetch(f"{base}/news/2024/story")

    assert page.status == 200
    assert page.final_url == f"{base}/news/2025/story?page=1"
    assert page.redirect_chain == [(301, f"{base}/news/2024/story")]


def test_a_redirect_without_location_is_returned_as_is(allowed: HTTPServer) -> None:
    allowed.expect_request("/").respond_with_data("choose", status=300, content_type="text/plain")
    page = fetch(f"http://127.0.0.2:{allowed.port}/")
    assert page.status == 300
    assert page.redirect_chain == []


# --- C-T12: what we send ---------------------------------------------------------------------------------


def test_sends_an_honest_user_agent_and_never_a_cookie(httpserver_ipv4: HTTPServer, local: Any, settings: Any) -> None:
    httpserver_ipv4.expect_request("/login").respond_with_response(
        Response(status=302, headers={"Location": "/story", "Set-Cookie": "session=abc123; Path=/"})
    )
    httpserver_ipv4.expect_request("/story").respond_with_response(
        Response(PAGE, content_type="text/html", headers={"Set-Cookie": "tracker=1"})
    )

    page = fetch(httpserver_ipv4.url_for("/login"))

    assert page.status == 200
    assert "set-cookie" not in page.headers
    assert len(httpserver_ipv4.log) == 2
    for request, _ in httpserver_ipv4.log:
        assert request.headers["User-Agent"] == settings.FETCH_USER_AGENT
        assert "Cookie" not in request.headers
        assert "Authorization" not in request.headers
        assert "If-None-Match" not in request.headers
        assert request.headers["Accept-Encoding"] == "gzip, deflate"


def test_conditional_get_sends_validators_and_returns_a_304(httpserver_ipv4: HTTPServer, local: Any) -> None:
    validators = {"If-None-Match": '"v1"', "If-Modified-Since": "Wed, 21 Oct 2015 07:28:00 GMT"}
    httpserver_ipv4.expect_request("/story", headers=validators).respond_with_response(
        Response(status=304, headers={"ETag": '"v1"'})
    )

    page = fetch(httpserver_ipv4.url_for("/story"), etag='"v1"', last_modified="Wed, 21 Oct 2015 07:28:00 GMT")

    assert page.status == 304
    assert page.body == b""
    assert page.headers["etag"] == '"v1"'


def test_validator_with_a_line_break_is_not_sent(httpserver_ipv4: HTTPServer, local: Any) -> None:
    httpserver_ipv4.expect_request("/story").respond_with_data(PAGE, content_type="text/html")
    fetch(httpserver_ipv4.url_for("/story"), etag='"v1"\r\nX-Injected: 1')
    request, _ = httpserver_ipv4.log[0]
    assert "X-Injected" not in request.headers
    assert "If-None-Match" not in request.headers


def test_environment_proxies_are_ignored(
    httpserver_ipv4: HTTPServer, local: Any, monkeypatch: pytest.MonkeyPatch, connections: list[str]
) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.setenv(name, "http://127.0.0.9:9")
    monkeypatch.setenv("NO_PROXY", "")
    httpserver_ipv4.expect_request("/story").respond_with_data(PAGE, content_type="text/html")

    page = fetch(httpserver_ipv4.url_for("/story"))

    assert page.body == PAGE
    assert connections == ["127.0.0.1"]


def test_host_header_keeps_the_name_while_connecting_to_the_vetted_address(
    httpserver_ipv4: HTTPServer, local: Any, dns: FakeDNS, connections: list[str]
) -> None:
    dns.names["example.test"] = ["127.0.0.1"]
    httpserver_ipv4.expect_request("/story").respond_with_data(PAGE, content_type="text/html")

    page = fetch(f"http://example.test:{httpserver_ipv4.port}/story")

    request, _ = httpserver_ipv4.log[0]
    assert request.headers["Host"] == f"example.test:{httpserver_ipv4.port}"
    assert page.resolved_ip == "127.0.0.1"
    assert page.requested_url == page.final_url == f"http://example.test:{httpserver_ipv4.port}/story"
    assert connections == ["127.0.0.1"]


# --- answers we return, and answers we refuse -----------------------------------------------------------


def test_a_page_comes_back_with_its_selected_headers(httpserver_ipv4: HTTPServer, local: Any) -> None:
    httpserver_ipv4.expect_request("/story").respond_with_response(
        Response(
            PAGE,
            content_type="text/html; charset=UTF-8",
            headers={"ETag": '"abc"', "Last-Modified": "Wed, 21 Oct 2015 07:28:00 GMT", "X-Secret": "no"},
        )
    )

    page = fetch(httpserver_ipv4.url_for("/story"))

    assert page.content_type == "text/html"
    assert page.headers["etag"] == '"abc"'
    assert page.headers["last-modified"] == "Wed, 21 Oct 2015 07:28:00 GMT"
    assert "x-secret" not in page.headers
    assert page.elapsed_ms >= 0


@pytest.mark.parametrize(
    ("status", "headers"),
    [(404, {}), (410, {}), (403, {"cf-mitigated": "challenge"}), (429, {"Retry-After": "120"}),
     (503, {"Retry-After": "30"}), (500, {})],
)  # fmt: skip
def test_non_2xx_answers_are_returned_not_raised(
    status: int, headers: dict[str, str], httpserver_ipv4: HTTPServer, local: Any
) -> None:
    httpserver_ipv4.expect_request("/story").respond_with_data(
        b"<h1>Nope</h1>", status=status, headers=headers, content_type="text/html"
    )

    page = fetch(httpserver_ipv4.url_for("/story"))

    assert page.status == status
    assert page.body == b"<h1>Nope</h1>"
    for name, value in headers.items():
        assert page.headers[name.lower()] == value


@pytest.mark.parametrize(
    "content_type", ["image/png", "application/pdf", "application/octet-stream", "video/mp4", "application/zip"]
)
def test_binary_content_types_are_refused_and_named(content_type: str, httpserver_ipv4: HTTPServer, local: Any) -> None:
    httpserver_ipv4.expect_request("/file").respond_with_data(b"\x89PNG" + bytes(1000), content_type=content_type)

    with pytest.raises(FetchError) as caught:
        fetch(httpserver_ipv4.url_for("/file"))

    assert caught.value.error_class == "content_type"
    assert caught.value.permanent
    assert content_type in caught.value.message


def test_a_binary_error_page_is_still_returned(httpserver_ipv4: HTTPServer, local: Any) -> None:
    httpserver_ipv4.expect_request("/file").respond_with_data(b"\x89PNG", status=404, content_type="image/png")
    assert fetch(httpserver_ipv4.url_for("/file")).status == 404


def test_accept_any_type_is_for_robots_txt(httpserver_ipv4: HTTPServer, local: Any) -> None:
    httpserver_ipv4.expect_request("/robots.txt").respond_with_data(
        b"User-agent: *\nDisallow:", content_type="application/octet-stream"
    )
    page = fetch(httpserver_ipv4.url_for("/robots.txt"), accept_any_type=True)
    assert page.body == b"User-agent: *\nDisallow:"


@pytest.mark.parametrize(
    ("encoding", "encode"),
    [
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("deflate", lambda data: zlib.compress(data)[2:-4]),  # raw deflate, as some servers send it
        ("identity", lambda data: data),
    ],
)
def test_compressed_bodies_are_decoded(
    encoding: str, encode: Callable[[bytes], bytes], httpserver_ipv4: HTTPServer, local: Any
) -> None:
    httpserver_ipv4.expect_request("/story").respond_with_data(
        encode(PAGE), content_type="text/html", headers={"Content-Encoding": encoding}
    )
    assert fetch(httpserver_ipv4.url_for("/story")).body == PAGE


def test_an_encoding_we_did_not_ask_for_is_refused(httpserver_ipv4: HTTPServer, local: Any) -> None:
    httpserver_ipv4.expect_request("/story").respond_with_data(
        b"\x1b\x00", content_type="text/html", headers={"Content-Encoding": "br"}
    )
    with pytest.raises(FetchError) as caught:
        fetch(httpserver_ipv4.url_for("/story"))
    assert caught.value.error_class == "protocol"
    assert "br" in caught.value.message


def test_connection_refused_is_a_transient_connect_error(local: Any) -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]  # bound, not listening: connecting is refused
        with pytest.raises(FetchError) as caught:
            fetch(f"http://127.0.0.1:{port}/")
    assert caught.value.error_class == "connect"
    assert not caught.value.permanent
    assert "connection refused" in caught.value.message


def test_a_server_that_hangs_up_is_a_protocol_error(local: Any) -> None:
    with raw_server(lambda sock, stop: sock.close()) as server, pytest.raises(FetchError) as caught:
        fetch(server.url())
    assert caught.value.error_class == "protocol"


# --- C-T7: size ------------------------------------------------------------------------------------------


def test_announced_oversized_page_is_refused_before_reading(local: Any, settings: Any) -> None:
    size = 50 * 1024 * 1024

    def announce_then_stall(sock: socket.socket, stop: threading.Event) -> None:
        sock.sendall(f"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {size}\r\n\r\n".encode())
        sock.sendall(bytes(65536))
        stop.wait(10)  # the rest never comes: reading it would end in a timeout, not too_large

    with raw_server(announce_then_stall) as server:
        started = time.monotonic()
        with pytest.raises(FetchError) as caught:
            fetch(server.url())
    assert caught.value.error_class == "too_large"
    assert caught.value.message == (
        "The page is larger than 5 MB, the most we download (the server announced 50.0 MB); we stopped."
    )
    assert time.monotonic() - started < 1


def stream_chunked(total: int, status: str = "200 OK") -> Callable[[socket.socket, threading.Event], None]:
    """Return a handler that streams `total` bytes in 64 KiB chunks with no Content-Length."""
    piece = b"x" * 65536
    frame = b"%x\r\n%b\r\n" % (len(piece), piece)

    def handle(sock: socket.socket, stop: threading.Event) -> None:
        sock.sendall(f"HTTP/1.1 {status}\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\n".encode())
        for _ in range(total // len(piece)):
            if stop.is_set():
                return
            sock.sendall(frame)
        sock.sendall(b"0\r\n\r\n")

    return handle


def test_streamed_50_mb_stops_at_the_cap_with_bounded_memory(local: Any, settings: Any) -> None:
    with raw_server(stream_chunked(50 * 1024 * 1024)) as server:
        tracemalloc.start()
        try:
            with pytest.raises(FetchError) as caught:
                fetch(server.url())
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert caught.value.error_class == "too_large"
    assert peak < 2 * settings.FETCH_MAX_BYTES


def test_gzip_bomb_stops_at_the_cap_with_bounded_memory(local: Any, settings: Any, gzip_bomb: bytes) -> None:
    def send_bomb(sock: socket.socket, stop: threading.Event) -> None:
        head = "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Encoding: gzip\r\n"
        sock.sendall(f"{head}Content-Length: {len(gzip_bomb)}\r\n\r\n".encode())
        view = memoryview(gzip_bomb)
        for start in range(0, len(view), 65536):
            if stop.is_set():
                return
            sock.sendall(view[start : start + 65536])

    with raw_server(send_bomb) as server:
        started = time.monotonic()
        tracemalloc.start()
        try:
            with pytest.raises(FetchError) as caught:
                fetch(server.url())
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert caught.value.error_class == "too_large"
    assert peak < 2 * settings.FETCH_MAX_BYTES  # 1 GiB decoded would not fit; 64 MiB per chunk neither
    assert time.monotonic() - started < 5


def test_oversized_error_page_is_truncated_not_refused(local: Any, settings: Any) -> None:
    # Liveness needs a 404's status and first bytes, not an error.
    with raw_server(stream_chunked(20 * 1024 * 1024, status="404 Not Found")) as server:
        page = fetch(server.url())
    assert page.status == 404
    assert len(page.body) == settings.FETCH_MAX_BYTES


# --- C-T8: time ------------------------------------------------------------------------------------------


def never_answer(sock: socket.socket, stop: threading.Event) -> None:
    stop.wait(30)


def drip_body(sock: socket.socket, stop: threading.Event) -> None:
    sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 100000\r\n\r\n")
    while not stop.wait(1):
        sock.sendall(b"x")


def drip_headers(sock: socket.socket, stop: threading.Event) -> None:
    for byte in b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nX-Padding: " + b"y" * 1000:
        if stop.wait(0.5):
            return
        sock.sendall(bytes([byte]))


@pytest.mark.parametrize("handle", [never_answer, drip_body, drip_headers], ids=["never", "drip-body", "drip-headers"])
def test_total_deadline_cuts_slow_servers(
    handle: Callable[[socket.socket, threading.Event], None], local: Any, settings: Any
) -> None:
    # Each read is well within the read timeout; only the total deadline can stop these.
    settings.FETCH_TOTAL_TIMEOUT = 2
    settings.FETCH_READ_TIMEOUT = 10
    with raw_server(handle) as server:
        started = time.monotonic()
        with pytest.raises(FetchError) as caught:
            fetch(server.url())
        elapsed = time.monotonic() - started
    assert caught.value.error_class == "timeout"
    assert not caught.value.permanent
    assert "within 2 seconds" in caught.value.message
    assert 1.5 < elapsed < settings.FETCH_TOTAL_TIMEOUT + 1


def test_read_timeout_applies_between_bytes(local: Any, settings: Any) -> None:
    settings.FETCH_READ_TIMEOUT = 1
    with raw_server(never_answer) as server:
        started = time.monotonic()
        with pytest.raises(FetchError) as caught:
            fetch(server.url())
    assert caught.value.error_class == "timeout"
    assert "stopped answering for 1 seconds" in caught.value.message
    assert time.monotonic() - started < 2


def test_total_deadline_covers_a_resolver_that_hangs(dns: FakeDNS, settings: Any) -> None:
    settings.FETCH_CONNECT_TIMEOUT = 1
    dns.names["slow.test"] = lambda: time.sleep(3) or [PUBLIC_IP]  # type: ignore[func-returns-value]
    started = time.monotonic()
    with pytest.raises(FetchError) as caught:
        fetch("http://slow.test/")
    assert caught.value.error_class == "dns"
    assert time.monotonic() - started < 2


# --- TLS -------------------------------------------------------------------------------------------------


def test_self_signed_certificate_is_refused(
    certificate: tuple[Path, Path], local: Any, dns: FakeDNS, connections: list[str]
) -> None:
    dns.names["example.test"] = ["127.0.0.1"]
    tls = tls_server_context(certificate)
    with raw_server(answer("200 OK", {"Content-Length": "0"}), tls=tls) as server, pytest.raises(FetchError) as caught:
        fetch(server.url(host="example.test", scheme="https"))
    assert caught.value.error_class == "tls"
    assert caught.value.permanent
    assert "certificate" in caught.value.message
    assert server.server_names == ["example.test"]  # SNI carried the name, though we dialled the IP
    assert connections == ["127.0.0.1"]


def test_tls_connects_to_the_vetted_ip_with_name_sni_and_host(
    certificate: tuple[Path, Path], local: Any, dns: FakeDNS, monkeypatch: pytest.MonkeyPatch, connections: list[str]
) -> None:
    trusting = ssl.create_default_context(cafile=str(certificate[0]))
    monkeypatch.setattr(fetching, "_ssl_context", lambda: trusting)
    dns.names["example.test"] = ["127.0.0.1"]
    respond = answer("200 OK", {"Content-Type": "text/html", "Content-Length": str(len(PAGE))}, PAGE)
    with raw_server(respond, tls=tls_server_context(certificate)) as server:
        page = fetch(server.url("/story", host="example.test", scheme="https"))
    assert page.body == PAGE
    assert page.resolved_ip == "127.0.0.1"
    assert server.server_names == ["example.test"]
    assert header(server.requests[0], "Host") == f"example.test:{server.port}"
    assert connections == ["127.0.0.1"]


def test_certificate_must_match_the_name_not_the_address(
    certificate: tuple[Path, Path], local: Any, dns: FakeDNS, monkeypatch: pytest.MonkeyPatch
) -> None:
    trusting = ssl.create_default_context(cafile=str(certificate[0]))
    monkeypatch.setattr(fetching, "_ssl_context", lambda: trusting)
    dns.names["other.test"] = ["127.0.0.1"]
    tls = tls_server_context(certificate)
    with raw_server(answer("200 OK", {"Content-Length": "0"}), tls=tls) as server, pytest.raises(FetchError) as caught:
        fetch(server.url(host="other.test", scheme="https"))
    assert caught.value.error_class == "tls"
    assert "other.test" in caught.value.message


def test_default_tls_context_verifies() -> None:
    context = fetching._ssl_context()
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname


# --- the system check (C-T10) ---------------------------------------------------------------------------


def test_check_refuses_private_networks_with_debug_off(settings: Any) -> None:
    settings.DEBUG = False
    settings.FETCH_ALLOW_PRIVATE_IN_PRODUCTION = False
    settings.FETCH_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    assert [error.id for error in check_fetch_allowed_networks(None)] == ["articles.E001"]


@pytest.mark.parametrize(
    ("debug", "allow_in_production", "networks"),
    [(False, True, ["127.0.0.0/8"]), (True, False, ["127.0.0.0/8"]), (False, False, [])],
)
def test_check_passes_when_debugging_opted_in_or_empty(
    debug: bool, allow_in_production: bool, networks: list[str], settings: Any
) -> None:
    settings.DEBUG = debug
    settings.FETCH_ALLOW_PRIVATE_IN_PRODUCTION = allow_in_production
    settings.FETCH_ALLOWED_NETWORKS = networks
    assert check_fetch_allowed_networks(None) == []


def test_check_refuses_an_entry_that_is_not_a_network(settings: Any) -> None:
    settings.DEBUG = True
    settings.FETCH_ALLOWED_NETWORKS = ["localhost"]
    assert [error.id for error in check_fetch_allowed_networks(None)] == ["articles.E002"]
