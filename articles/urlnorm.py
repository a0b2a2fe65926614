"""Normalise and vet the addresses editors paste in. Pure functions, no Django imports.

One document should have one row, whatever tracking junk was stuck to the link an editor copied, so
`normalise_url` lower-cases the scheme and host, drops default ports, fragments and tracking
parameters, and refuses what we would never fetch (DESIGN §5.4: no userinfo, no backslashes, no
control characters, http and https only).
"""

import functools
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import tldextract

TRACKING_PARAMS = frozenset(
    {
        "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "mc_cid", "mc_eid", "igshid",
        "yclid", "_ga", "_gl", "ocid", "cmpid", "smid", "ref_src", "ref_url", "guccounter",
    }
)  # fmt: skip
TRACKING_PREFIXES = ("utm_", "at_", "itm_")
MAX_URL_LENGTH = 2000
_CONTROL = re.compile(r"[\x00-\x20\x7f-\x9f]")


class InvalidURL(ValueError):
    """An address we refuse, with a message an editor can act on."""


def normalise_url(raw: str) -> str:
    """Return the canonical form of a web address, or raise InvalidURL saying what is wrong."""
    url = (raw or "").strip()
    if not url:
        raise InvalidURL("Enter the address of a web page.")
    if len(url) > MAX_URL_LENGTH:
        raise InvalidURL(f"That address is longer than {MAX_URL_LENGTH} characters.")
    if _CONTROL.search(url):
        raise InvalidURL("The address contains spaces or control characters.")
    if "\\" in url:
        raise InvalidURL("The address contains a backslash.")
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        raise InvalidURL(f"That is not a valid web address ({exc}).") from None
    scheme = parts.scheme.lower()
    if scheme not in {"http", "https"}:
        raise InvalidURL("Only http:// and https:// addresses can be tracked.")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise InvalidURL("The address must not contain a user name or password.")
    try:
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        raise InvalidURL("The address has an invalid port.") from None
    if not host:
        raise InvalidURL("The address has no host name.")
    host = host.rstrip(".")
    if ":" in host:  # an IPv6 literal
        netloc = f"[{host}]"
    else:
        try:
            netloc = host.encode("idna").decode("ascii").lower()
        except UnicodeError:
            raise InvalidURL("The host name is not valid.") from None
        if not re.fullmatch(r"[a-z0-9.-]+", netloc) or ".." in netloc:
            raise InvalidURL("The host name is not valid.")
    if port is not None and not (port == 80 and scheme == "http") and not (port == 443 and scheme == "https"):
        netloc = f"{netloc}:{port}"
    query = [
        (key, value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if key.lower() not in TRACKING_PARAMS and not key.lower().startswith(TRACKING_PREFIXES)
    ]
    path = parts.path or "/"
    return urlunsplit((scheme, netloc, path, urlencode(query, doseq=True), ""))


@functools.cache
def _extractor() -> tldextract.TLDExtract:
    # No suffix-list URLs: use the list bundled with tldextract; nothing here reaches the internet.
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


def registrable_domain(url: str) -> str:
    """Return the registrable domain of a URL ("www.bbc.co.uk" -> "bbc.co.uk"), or its host."""
    host = urlsplit(url).hostname or ""
    extracted = _extractor()(host)
    return extracted.top_domain_under_public_suffix or host
