"""Fetch a web page safely: the only code in Counterclaim that opens outbound connections (DESIGN §5.4).

Workers re-fetch addresses that editors paste in, on a schedule, from inside our network. An unguarded
fetch would be a standing server-side request forgery against Redis, PostgreSQL, the admin site and the
cloud metadata service. So `fetch`:

- accepts http and https only, on ports 80 and 443, with no user name, backslash or control character,
  and only when two URL parsers agree on the host;
- resolves the host once and refuses if ANY address is not public, after unwrapping IPv4-mapped, 6to4,
  Teredo and NAT64 addresses (`ipaddress.is_global` alone misses some of these: reference §C.2);
- connects to the vetted address and never resolves the name again, so DNS rebinding cannot swap it,
  while the Host header, SNI and certificate check still use the name;
- follows at most five redirects itself, putting each one through the same gate before connecting;
- sends no cookies, credentials or proxy settings from the environment, and an honest User-Agent;
- gives up at a total deadline and at a size cap counted after decompression.

How the pinning works: httpcore's connection pool asks its network backend to `connect_tcp(host, port)`.
Our backend never resolves; it connects to the addresses this fetch vetted for that host and port, and
wraps the socket so that every read, write and TLS handshake also stops at the fetch's deadline (a
per-read timeout alone lets a server dripping one byte a second hold a worker forever). httpx is used
only to parse URLs; its client would add a cookie jar, environment proxies and a decoder that inflates
a whole gzip chunk at once.

Addresses inside settings.FETCH_ALLOWED_NETWORKS are let through, on any port: that is how tests and a
local demo reach 127.0.0.1. A system check (`articles.checks`) refuses that setting in production.
"""

import contextlib
import functools
import ipaddress
import select
import socket
import ssl
import threading
import time
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import urldefrag, urljoin, urlsplit

import certifi
import httpcore
import httpx
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from articles.urlnorm import InvalidURL, normalise_url

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# XML (application/xml, text/xml, RSS) is left out on purpose: we cite articles, and the extractor reads HTML.
ALLOWED_CONTENT_TYPES = frozenset({"text/html", "application/xhtml+xml", "text/plain"})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
KEPT_HEADERS = (
    "content-type", "etag", "last-modified", "retry-after", "location",
    "cf-mitigated", "server", "x-robots-tag", "content-length",
)  # fmt: skip
ACCEPT = b"text/html,application/xhtml+xml;q=0.9,text/plain;q=0.8,*/*;q=0.1"
# Only what zlib undoes with a bounded output size; a server that answers in br or zstd anyway is refused.
ACCEPT_ENCODING = b"gzip, deflate"
DEFAULT_PORTS = {"http": 80, "https": 443}

_LOOPBACK = "a loopback address (this server itself)"
_PRIVATE = "a private network address"
_LINK_LOCAL = "a link-local address (where cloud metadata services live)"
_DOCUMENTATION = "an address reserved for documentation"
_RESERVED = "a reserved address"
_MULTICAST = "a multicast address"
# Checked in order, before the `ipaddress` flags: CGNAT, IPv4-compatible IPv6 (::127.0.0.1) and a few
# others are "global" or "not private" to `ipaddress`, and its ranges have been wrong before (CVE-2024-4032).
_FORBIDDEN_NETWORKS: tuple[tuple[IPNetwork, str], ...] = tuple(
    (ipaddress.ip_network(cidr), reason)
    for cidr, reason in (
        ("0.0.0.0/8", "a “this network” address (0.0.0.0/8)"),
        ("10.0.0.0/8", _PRIVATE),
        ("100.64.0.0/10", "a carrier-grade NAT address"),
        ("127.0.0.0/8", _LOOPBACK),
        ("169.254.0.0/16", _LINK_LOCAL),
        ("172.16.0.0/12", _PRIVATE),
        ("192.0.0.0/24", _RESERVED),
        ("192.0.2.0/24", _DOCUMENTATION),
        ("192.88.99.0/24", "a 6to4 relay address"),
        ("192.168.0.0/16", _PRIVATE),
        ("198.18.0.0/15", "an address reserved for network benchmarks"),
        ("198.51.100.0/24", _DOCUMENTATION),
        ("203.0.113.0/24", _DOCUMENTATION),
        ("224.0.0.0/4", _MULTICAST),
        ("240.0.0.0/4", _RESERVED),  # includes the broadcast address 255.255.255.255
        ("::/128", "the unspecified address"),
        ("::1/128", _LOOPBACK),
        ("::/96", "an IPv4-compatible IPv6 address (deprecated)"),
        ("::ffff:0:0:0/96", "an IPv4-translated IPv6 address"),
        ("64:ff9b:1::/48", "a local NAT64 address"),
        ("100::/64", "a discard-only address"),
        ("2001::/23", _RESERVED),  # protocol assignments, Teredo among them
        ("2001:db8::/32", _DOCUMENTATION),
        ("3fff::/20", _DOCUMENTATION),
        ("5f00::/16", "a segment-routing address"),
        ("fc00::/7", _PRIVATE),  # unique local addresses, AWS metadata's fd00:ec2::254 among them
        ("fe80::/10", _LINK_LOCAL),
        ("fec0::/10", _PRIVATE),  # site-local, deprecated
        ("ff00::/8", _MULTICAST),
    )
)
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


@dataclass(frozen=True)
class FetchedPage:
    """What a server answered, after redirects: any status, selected headers and a capped, decoded body."""

    requested_url: str
    final_url: str
    status: int
    headers: dict[str, str]
    body: bytes
    redirect_chain: list[tuple[int, str]]  # (status, address that answered with it) per redirect followed
    resolved_ip: str
    elapsed_ms: int
    content_type: str


class FetchError(Exception):
    """A page we did not fetch, in words for an editor, and whether trying again could help."""

    def __init__(
        self,
        message: str,
        permanent: bool = False,
        *,
        error_class: str = "connect",
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent
        self.error_class = error_class
        self.retry_after = retry_after

    def __repr__(self) -> str:
        return f"FetchError({self.error_class}, {self.message!r}, permanent={self.permanent})"


def fetch(url: str, *, etag: str = "", last_modified: str = "", accept_any_type: bool = False) -> FetchedPage:
    """Fetch one page under every rule of DESIGN §5.4, or raise FetchError saying why not.

    Non-2xx answers are returned with their headers and a capped body; a 304 has an empty body.
    `accept_any_type` skips the content-type allowlist (robots.txt); the size cap still applies.
    """
    started = time.monotonic()
    deadline = started + settings.FETCH_TOTAL_TIMEOUT
    backend = _PinnedBackend(deadline)
    chain: list[tuple[int, str]] = []
    current = url
    pool = httpcore.ConnectionPool(ssl_context=_ssl_context(), http1=True, http2=False, network_backend=backend)
    with pool:
        while True:
            try:
                hop = _parse(current)
                _vet(hop, backend, deadline)
            except FetchError as exc:
                if not chain:
                    raise
                raise FetchError(
                    f"The page redirects to {current}, which we do not follow. {exc.message}",
                    exc.permanent,
                    error_class=exc.error_class,
                ) from None
            with _http_errors(hop.host, deadline):
                response = pool.handle_request(_request(hop, etag=etag, last_modified=last_modified))
                try:
                    headers = _kept_headers(response.headers)
                    location = headers.get("location", "")
                    if response.status in REDIRECT_STATUSES and location:
                        if len(chain) >= settings.FETCH_MAX_REDIRECTS:
                            raise FetchError(
                                f"The page redirects more than {settings.FETCH_MAX_REDIRECTS} times; we stopped.",
                                permanent=True,
                                error_class="too_many_redirects",
                            )
                        chain.append((response.status, current))
                        current = urldefrag(urljoin(current, location)).url
                        continue
                    body = b""
                    if response.status != 304:
                        body = _read_body(response, headers, accept_any_type=accept_any_type)
                finally:
                    response.close()
            return FetchedPage(
                requested_url=url,
                final_url=current,
                status=response.status,
                headers=headers,
                body=body,
                redirect_chain=chain,
                resolved_ip=backend.connected.get((hop.host, hop.port), ""),
                elapsed_ms=int((time.monotonic() - started) * 1000),
                content_type=_media_type(headers.get("content-type", "")),
            )


def forbidden_reason(address: str | IPAddress) -> str:
    """Return why we never fetch from this address ("a loopback address…"), or "" if it is public."""
    ip = ipaddress.ip_address(address) if isinstance(address, str) else address
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(ip)
        if embedded is not None:
            reason = forbidden_reason(embedded)
            if reason:
                return f"{reason}, wrapped in an IPv6 address"
            if ip.ipv4_mapped is not None or ip in _NAT64:
                return ""  # the packets go to that public IPv4 address
    for network, reason in _FORBIDDEN_NETWORKS:
        if ip in network:
            return reason
    if ip.is_loopback:
        return _LOOPBACK
    if ip.is_link_local:
        return _LINK_LOCAL
    if ip.is_private or (isinstance(ip, ipaddress.IPv6Address) and ip.is_site_local):
        return _PRIVATE
    if ip.is_multicast:
        return _MULTICAST
    if ip.is_unspecified or ip.is_reserved:
        return _RESERVED
    if not ip.is_global:
        return "an address that is not on the public internet"
    return ""


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """Return the IPv4 address an IPv6 address carries (mapped, 6to4, Teredo client, NAT64), if any."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def allowed_networks() -> tuple[IPNetwork, ...]:
    """Return settings.FETCH_ALLOWED_NETWORKS parsed, raising ImproperlyConfigured on a bad entry."""
    return _parse_networks(tuple(settings.FETCH_ALLOWED_NETWORKS or ()))


@functools.lru_cache(maxsize=8)
def _parse_networks(cidrs: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    try:
        return tuple(ipaddress.ip_network(cidr, strict=False) for cidr in cidrs)
    except ValueError as exc:
        raise ImproperlyConfigured(f"FETCH_ALLOWED_NETWORKS has an entry that is not a network: {exc}") from None


def _is_allowed(ip: IPAddress, networks: tuple[IPNetwork, ...]) -> bool:
    candidates = [ip]
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        candidates.append(ip.ipv4_mapped)
    return any(candidate in network for candidate in candidates for network in networks)


@dataclass(frozen=True)
class _Hop:
    """One request's target, parsed once: the host as sent in Host and SNI, and the vetted port."""

    scheme: str
    host: str  # ASCII (IDNA) name or IP literal, without brackets
    port: int
    target: bytes  # path and query, percent-encoded

    @property
    def host_header(self) -> bytes:
        host = f"[{self.host}]" if ":" in self.host else self.host
        if self.port != DEFAULT_PORTS[self.scheme]:
            host = f"{host}:{self.port}"
        return host.encode("ascii")


def _parse(url: str) -> _Hop:
    """Parse an address we may fetch, or raise FetchError(invalid_url) saying what is wrong with it."""
    try:
        normalise_url(url)  # scheme, userinfo, backslashes, control characters, host syntax
        parsed = httpx.URL(url)
    except (InvalidURL, httpx.InvalidURL) as exc:
        raise FetchError(str(exc), permanent=True, error_class="invalid_url") from None
    # Parser differentials are how SSRF filters get bypassed (GHSA-rph4-96w6-q594): if urllib and httpx
    # disagree about the host, we would vet one machine and connect to another.
    seen_by_urllib = (urlsplit(url).hostname or "").lower()
    host = parsed.raw_host.decode("ascii").lower()
    if seen_by_urllib not in {host, parsed.host.lower()}:
        message = "The address is ambiguous: we cannot tell which server it names."
        raise FetchError(message, permanent=True, error_class="invalid_url")
    port = parsed.port or DEFAULT_PORTS[parsed.scheme]
    return _Hop(scheme=parsed.scheme, host=host, port=port, target=parsed.raw_path)


def _vet(hop: _Hop, backend: "_PinnedBackend", deadline: float) -> None:
    """Resolve the hop's host once per fetch and refuse it unless every address and the port are allowed."""
    key = (hop.host, hop.port)
    if key in backend.vetted:
        return  # vetted earlier in this fetch; resolving again would open the door to rebinding
    networks = allowed_networks()
    port_ok = hop.port in set(settings.FETCH_ALLOWED_PORTS or ())
    if not port_ok and not networks:
        raise _port_error(hop.port)
    # One resolution per name per fetch, even when a redirect changes only the port.
    addresses = backend.resolved.get(hop.host) or _resolve(hop.host, hop.port, deadline)
    backend.resolved[hop.host] = addresses
    for ip in addresses:
        if _is_allowed(ip, networks):
            continue
        reason = forbidden_reason(ip)
        if reason:
            raise FetchError(
                f"The address resolves to {reason} ({ip}), which we never fetch.",
                permanent=True,
                error_class="forbidden_address",
            )
    if not port_ok and not all(_is_allowed(ip, networks) for ip in addresses):
        raise _port_error(hop.port)
    backend.vetted[key] = addresses


def _port_error(port: int) -> FetchError:
    ports = " and ".join(str(p) for p in sorted(settings.FETCH_ALLOWED_PORTS or ())) or "none"
    return FetchError(
        f"The address uses port {port}; we only fetch web pages from the standard ports ({ports}).",
        permanent=True,
        error_class="forbidden_port",
    )


def literal_address(host: str) -> IPAddress | None:
    """Return the address a host name spells out without DNS (an IP literal, or 2130706433), else None."""
    with contextlib.suppress(ValueError):
        return ipaddress.ip_address(host)
    with contextlib.suppress(OSError):
        # Legacy IPv4 spellings (2130706433, 0x7f000001, 127.1) name an address to the C library: vet that one.
        return ipaddress.IPv4Address(socket.inet_aton(host))
    return None


def _resolve(host: str, port: int, deadline: float) -> list[IPAddress]:
    """Return every address of `host`, in the resolver's order, within the connect timeout."""
    literal = literal_address(host)
    if literal is not None:
        return [literal]
    # The trailing dot stops the resolver trying search domains ("redis" -> "redis.internal.example").
    name = host if host.endswith(".") else f"{host}."
    answers: list[Any] = []
    failures: list[BaseException] = []

    def lookup() -> None:
        try:
            answers.extend(socket.getaddrinfo(name, port, type=socket.SOCK_STREAM))
        except (OSError, UnicodeError) as exc:
            failures.append(exc)

    # getaddrinfo() has no timeout of its own; a thread lets the deadline cover a resolver that hangs.
    thread = threading.Thread(target=lookup, name=f"resolve {host}", daemon=True)
    thread.start()
    wait = min(settings.FETCH_CONNECT_TIMEOUT, deadline - time.monotonic())
    thread.join(max(wait, 0))
    if thread.is_alive():
        raise FetchError(f"The name server did not answer for {host} in time.", error_class="dns")
    addresses: list[IPAddress] = []
    for *_, sockaddr in answers:
        ip = ipaddress.ip_address(str(sockaddr[0]).split("%")[0])
        if ip not in addresses:
            addresses.append(ip)
    if failures or not addresses:
        raise FetchError(f"We could not find the address of {host} (the name does not resolve).", error_class="dns")
    return addresses


def _request(hop: _Hop, *, etag: str, last_modified: str) -> httpcore.Request:
    headers = [
        (b"Host", hop.host_header),
        (b"User-Agent", settings.FETCH_USER_AGENT.encode("ascii", "replace")),
        (b"Accept", ACCEPT),
        (b"Accept-Encoding", ACCEPT_ENCODING),
    ]
    # Validators come from servers; a value with a line break could smuggle a header, so it is dropped.
    if etag and etag.isprintable():
        headers.append((b"If-None-Match", etag.encode("latin-1", "replace")))
    if last_modified and last_modified.isprintable():
        headers.append((b"If-Modified-Since", last_modified.encode("latin-1", "replace")))
    timeouts = {
        "connect": settings.FETCH_CONNECT_TIMEOUT,
        "read": settings.FETCH_READ_TIMEOUT,
        "write": settings.FETCH_READ_TIMEOUT,
        "pool": settings.FETCH_CONNECT_TIMEOUT,
    }
    url = httpcore.URL(scheme=hop.scheme, host=hop.host, port=hop.port, target=hop.target)
    return httpcore.Request(b"GET", url, headers=headers, extensions={"timeout": timeouts})


def _kept_headers(raw: Iterable[tuple[bytes, bytes]]) -> dict[str, str]:
    """Return the response headers the pipeline uses, names lower-cased; Set-Cookie and the rest are dropped."""
    kept: dict[str, str] = {}
    for name, value in raw:
        key = name.decode("latin-1").lower()
        if key in KEPT_HEADERS:
            try:
                text = value.decode("utf-8")
            except UnicodeDecodeError:
                text = value.decode("latin-1")
            kept[key] = f"{kept[key]}, {text}" if key in kept else text
    return kept


def _media_type(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def _read_body(response: httpcore.Response, headers: dict[str, str], *, accept_any_type: bool) -> bytes:
    """Read a response body, decompressed, within settings.FETCH_MAX_BYTES.

    A 2xx page over the cap, or of a type we do not read, is refused; other statuses are truncated at the
    cap instead, because liveness only needs their first bytes.
    """
    limit = settings.FETCH_MAX_BYTES
    strict = 200 <= response.status < 300
    media_type = _media_type(headers.get("content-type", ""))
    # A missing Content-Type is let through: old servers omit it, and the cap bounds what we read.
    if strict and not accept_any_type and media_type and media_type not in ALLOWED_CONTENT_TYPES:
        raise FetchError(
            f"The address points to a file of type {media_type}, not a web page; we did not download it.",
            permanent=True,
            error_class="content_type",
        )
    announced = headers.get("content-length", "")
    if strict and announced.isdigit() and int(announced) > limit:
        raise _too_large(limit, announced=int(announced))
    encodings = [
        token.strip().lower()
        for value in _header_values(response.headers, b"content-encoding")
        for token in value.split(",")
        if token.strip().lower() not in {"", "identity"}
    ]
    if len(encodings) > 1 or (encodings and encodings[0] not in _Decoder.ENCODINGS):
        raise FetchError(
            f"The server sent the page compressed as {', '.join(encodings)}, which we did not ask for.",
            permanent=True,
            error_class="protocol",
        )
    decoder = _Decoder(encodings[0] if encodings else "identity")
    body = bytearray()
    received = 0
    for chunk in cast(Iterable[bytes], response.stream):  # a sync pool streams sync iterables
        received += len(chunk)
        # Decoded bytes are capped below; the raw count is capped too, so an endless run of empty
        # deflate blocks cannot keep us downloading until the deadline.
        if received > limit and strict:
            raise _too_large(limit)
        # One byte more than the room left is enough to know the page is too large.
        for piece in decoder.decode(chunk, limit - len(body) + 1):
            body += piece
        if len(body) > limit or received > limit:
            if strict:
                raise _too_large(limit)
            del body[limit:]
            break
    return bytes(body)


def _header_values(raw: Iterable[tuple[bytes, bytes]], name: bytes) -> Iterator[str]:
    for key, value in raw:
        if key.lower() == name:
            yield value.decode("latin-1")


def _too_large(limit: int, *, announced: int | None = None) -> FetchError:
    megabyte = 1024 * 1024  # what FETCH_MAX_BYTES counts in: its default, 5 * 1024 * 1024, reads "5 MB"
    size = f"{limit / megabyte:.3g} MB"
    detail = f" (the server announced {announced / megabyte:.1f} MB)" if announced else ""
    return FetchError(
        f"The page is larger than {size}, the most we download{detail}; we stopped.",
        permanent=True,
        error_class="too_large",
    )


class _Decoder:
    """Undo gzip or deflate in bounded pieces, so a gzip bomb never inflates more than we asked for."""

    ENCODINGS = frozenset({"gzip", "x-gzip", "deflate"})
    PIECE = 64 * 1024

    def __init__(self, encoding: str) -> None:
        self.encoding = encoding
        self._first = True
        self._zlib: Any = None
        if encoding in {"gzip", "x-gzip"}:
            self._zlib = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif encoding == "deflate":
            self._zlib = zlib.decompressobj()

    def decode(self, data: bytes, room: int) -> Iterator[bytes]:
        """Yield the decoded bytes of `data` in pieces of at most 64 KiB, stopping after `room` bytes."""
        if self._zlib is None:
            yield data[:room]
            return
        pending = data
        while room > 0:
            limit = min(room, self.PIECE)
            out = self._inflate(pending, limit)
            room -= len(out)
            yield out
            pending = self._zlib.unconsumed_tail
            # A full piece may leave output inside zlib with no input pending: ask again before moving on.
            if not pending and len(out) < limit:
                break

    def _inflate(self, data: bytes, limit: int) -> bytes:
        first, self._first = self._first, False
        try:
            return self._zlib.decompress(data, limit)
        except zlib.error:
            if first and self.encoding == "deflate":
                # "deflate" should be zlib-wrapped, but some servers send raw deflate.
                self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
                return self._inflate(data, limit)
            raise FetchError(
                "The server sent a compressed page that we could not decompress.", error_class="protocol"
            ) from None


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    """Return the one TLS context: verification on, certifi's CA bundle, TLS 1.2 or later."""
    # certifi rather than the system store: the same trust on every machine, and no SSL_CERT_FILE from the environment.
    context = ssl.create_default_context(cafile=certifi.where())
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.set_alpn_protocols(["http/1.1"])  # httpcore sets the same on each connection; no HTTP/2
    return context


class _PinnedBackend(httpcore.NetworkBackend):
    """Connect only to the addresses this fetch vetted for a host and port; never resolve a name."""

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline
        self.resolved: dict[str, list[IPAddress]] = {}
        self.vetted: dict[tuple[str, int], list[IPAddress]] = {}
        self.connected: dict[tuple[str, int], str] = {}

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        addresses = self.vetted.get((host, port))
        if not addresses:
            # fetch() vets every hop before sending it, so this is a bug, not a page: fail closed.
            raise httpcore.ConnectError(f"{host}:{port} was not vetted before connecting")
        failure: Exception = httpcore.ConnectError("no address")
        for ip in addresses:  # the resolver's order; the next address if one does not answer
            family = socket.AF_INET6 if ip.version == 6 else socket.AF_INET
            sock = socket.socket(family, socket.SOCK_STREAM)
            try:
                with _socket_errors(httpcore.ConnectTimeout, httpcore.ConnectError):
                    sock.settimeout(_clamp(timeout, self.deadline, httpcore.ConnectTimeout))
                    sock.connect((str(ip), port))
                    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                sock.close()
                failure = exc
                continue
            self.connected[(host, port)] = str(ip)
            return _DeadlineStream(sock, self.deadline)
        raise failure

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("Unix sockets are never fetched")

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


class _DeadlineStream(httpcore.NetworkStream):
    """A connected socket whose reads, writes and TLS handshake all stop at the fetch's deadline."""

    def __init__(self, sock: socket.socket, deadline: float) -> None:
        self._sock = sock
        self._deadline = deadline

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        with _socket_errors(httpcore.ReadTimeout, httpcore.ReadError):
            self._sock.settimeout(_clamp(timeout, self._deadline, httpcore.ReadTimeout))
            return self._sock.recv(max_bytes)

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        with _socket_errors(httpcore.WriteTimeout, httpcore.WriteError):
            while buffer:
                self._sock.settimeout(_clamp(timeout, self._deadline, httpcore.WriteTimeout))
                sent = self._sock.send(buffer)
                buffer = buffer[sent:]

    def close(self) -> None:
        self._sock.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        try:
            with _socket_errors(httpcore.ConnectTimeout, httpcore.ConnectError):
                self._sock.settimeout(_clamp(timeout, self._deadline, httpcore.ConnectTimeout))
                # server_hostname is the name from the URL: SNI and the certificate check use it, not the IP.
                tls = ssl_context.wrap_socket(self._sock, server_hostname=server_hostname)
        except BaseException:
            self._sock.close()
            raise
        return _DeadlineStream(tls, self._deadline)

    def get_extra_info(self, info: str) -> Any:
        if info == "ssl_object":
            # httpcore only asks it for the negotiated ALPN protocol, which SSLSocket answers too.
            return self._sock if isinstance(self._sock, ssl.SSLSocket) else None
        if info == "client_addr":
            return self._sock.getsockname()
        if info == "server_addr":
            return self._sock.getpeername()
        if info == "socket":
            return self._sock
        if info == "is_readable":
            # An idle keep-alive socket that is readable has been closed by the server.
            poller = select.poll()
            poller.register(self._sock, select.POLLIN)
            return bool(poller.poll(0))
        return None


def _clamp(timeout: float | None, deadline: float, error: type[Exception]) -> float:
    """Return the timeout for one socket operation: the per-operation one, cut to what is left of the deadline."""
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise error("the total deadline has passed")
    return remaining if timeout is None else min(timeout, remaining)


@contextlib.contextmanager
def _socket_errors(timeout_error: type[Exception], other_error: type[Exception]) -> Iterator[None]:
    """Turn socket errors into the httpcore exceptions its connection code expects, keeping the cause."""
    try:
        yield
    except TimeoutError as exc:
        raise timeout_error(str(exc) or "timed out") from exc
    except OSError as exc:
        raise other_error(str(exc) or exc.__class__.__name__) from exc


@contextlib.contextmanager
def _http_errors(host: str, deadline: float) -> Iterator[None]:
    """Turn httpcore's exceptions into FetchErrors an editor can read."""
    try:
        yield
    except httpcore.TimeoutException as exc:
        if time.monotonic() >= deadline - 0.1:
            seconds, what = settings.FETCH_TOTAL_TIMEOUT, "did not deliver the page within"
        elif isinstance(exc, httpcore.ConnectTimeout):
            seconds, what = settings.FETCH_CONNECT_TIMEOUT, "did not accept a connection within"
        else:
            seconds, what = settings.FETCH_READ_TIMEOUT, "stopped answering for"
        message = f"The server at {host} {what} {seconds} seconds."
        raise FetchError(message, error_class="timeout") from exc
    except httpcore.ConnectError as exc:
        cause = _underlying(exc)
        if isinstance(cause, ssl.SSLCertVerificationError):
            raise FetchError(
                f"The site's security certificate could not be verified for {host} ({cause.verify_message}).",
                permanent=True,
                error_class="tls",
            ) from exc
        if isinstance(cause, ssl.SSLError):
            raise FetchError(
                f"The secure connection to {host} failed ({cause.reason or cause}).", error_class="tls"
            ) from exc
        raise FetchError(f"We could not connect to {host} ({_plain(cause)}).", error_class="connect") from exc
    except httpcore.NetworkError as exc:
        raise FetchError(
            f"The connection to {host} broke off before the page arrived ({_plain(_underlying(exc))}).",
            error_class="connect",
        ) from exc
    except httpcore.ProtocolError as exc:
        raise FetchError(
            f"The server at {host} sent an answer that is not valid HTTP ({exc}).", error_class="protocol"
        ) from exc


def _underlying(exc: BaseException) -> BaseException:
    """Return the socket or TLS error behind an httpcore exception (its pool re-raises `from None`)."""
    while not isinstance(exc, OSError):
        behind = exc.__cause__ or exc.__context__
        if behind is None:
            break
        exc = behind
    return exc


def _plain(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower()
    return str(exc) or exc.__class__.__name__
