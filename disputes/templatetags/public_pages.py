"""Filters for pages that show text and addresses we did not write: links, resolutions, JSON-LD."""

import json
import re
from typing import Any
from urllib.parse import urlsplit

from django import template
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from disputes.models import Dispute

register = template.Library()

# Nothing but http(s), spelled plainly: browsers strip whitespace and control characters inside a
# scheme ("java\tscript:"), so anything that is not literally "http://" or "https://" up front is refused.
_HTTP_URL = re.compile(r"https?://[^\s\x00-\x1f\x7f]+", re.IGNORECASE)

# As Django's json_script: with <, > and & escaped, no string in the data can close the <script> block.
_JSON_SCRIPT_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


@register.filter
def http_url(value: object) -> str:
    """Return the address if it is a plain http(s) URL with a host, else an empty string."""
    if not isinstance(value, str) or not _HTTP_URL.fullmatch(value):
        return ""
    try:
        host = urlsplit(value).hostname
    except ValueError:  # e.g. an unbalanced IPv6 bracket
        return ""
    return value if host else ""


@register.filter
def resolution_label(value: object) -> str:
    """Return the human label of a stored resolution, e.g. "denied" -> "Denied by the subject"."""
    if value in Dispute.Resolution.values:
        return str(Dispute.Resolution(value).label)
    return str(value or "").replace("_", " ").capitalize()


@register.filter
def ld_json(value: Any) -> SafeString:
    """Render data as a JSON-LD block: a non-executable <script> that the data cannot break out of."""
    data = json.dumps(value, cls=DjangoJSONEncoder).translate(_JSON_SCRIPT_ESCAPES)
    # Safe for the same reason json_script is: every character that could end the element is escaped.
    return format_html('<script type="application/ld+json">{}</script>', mark_safe(data))  # noqa: S308


@register.filter
def isolated(value: object) -> str:
    """Wrap text in a Unicode isolate (FSI … PDI) where no <bdi> can go, such as <title>.

    A right-to-left override inside the text then ends with it, and cannot turn the words after it around.
    """
    return f"\u2068{value}\u2069"
