"""Readers' pages are the same for every reader: they must not vary on the cookie.

SessionMiddleware adds `Vary: Cookie` whenever a view looks at the session, and every view does (to
know whether someone is signed in). For a page marked `Cache-Control: public` (only anonymous
readers get those, see `disputes.views.public.for_readers`) that header would split a shared cache
into one copy per visitor. Signed-in people's pages are `private, no-store` and keep it.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.cache import cc_delim_re


class PublicPagesDoNotVaryOnCookie:
    """Drop `Cookie` from `Vary` on public responses; sits above SessionMiddleware to see its header."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        control = {part.strip().lower() for part in cc_delim_re.split(response.get("Cache-Control", ""))}
        if "public" in control and response.cookies:
            # A cookie is being set or deleted (an expired session, say): this answer is for one
            # browser only, so no shared cache may keep it.
            response["Cache-Control"] = "private, no-store"
            return response
        if "public" in control and response.has_header("Vary"):
            kept = [field for field in cc_delim_re.split(response["Vary"]) if field.strip().lower() != "cookie"]
            if kept:
                response["Vary"] = ", ".join(kept)
            else:
                del response["Vary"]
        return response
