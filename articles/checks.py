"""System checks for the fetcher's settings (DESIGN §5.4, reference §C.4).

FETCH_ALLOWED_NETWORKS lets the fetcher reach private addresses so that tests and a local demo can
fetch from 127.0.0.1. In production that would reopen the door to the metadata service, Redis and
PostgreSQL, so a non-empty list with DEBUG off is an error unless an operator says, with
FETCH_ALLOW_PRIVATE_IN_PRODUCTION, that they mean it (a self-hosted intranet, say).
"""

import ipaddress
from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register


@register()
def check_dispatch_countdowns(app_configs: Sequence[AppConfig] | None, **kwargs: Any) -> list[CheckMessage]:
    """A check the dispatcher queues with a countdown must run before Redis hands its message out again."""
    from .checking import per_site_limit

    per_site = per_site_limit()
    if not per_site or not settings.REDIS_URL:
        return []
    longest = (per_site - 1) * float(settings.FETCH_MIN_GAP_SECONDS) + settings.CELERY_TASK_TIME_LIMIT
    if longest < settings.CELERY_VISIBILITY_TIMEOUT:
        return []
    return [
        Error(
            f"DISPATCH_PER_SITE × FETCH_MIN_GAP_SECONDS spaces one site's checks over {longest:.0f} s, beyond the "
            f"broker's visibility timeout ({settings.CELERY_VISIBILITY_TIMEOUT} s): Redis would hand the waiting "
            "messages to a second worker.",
            hint="Lower DISPATCH_PER_SITE (0 derives it from the gap) or FETCH_MIN_GAP_SECONDS.",
            id="articles.E003",
        )
    ]


@register(Tags.security)
def check_fetch_allowed_networks(app_configs: Sequence[AppConfig] | None, **kwargs: Any) -> list[CheckMessage]:
    """Refuse private networks for the fetcher in production, and entries that are not networks."""
    networks = list(settings.FETCH_ALLOWED_NETWORKS or [])
    errors: list[CheckMessage] = []
    for entry in networks:
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            errors.append(
                Error(
                    f"FETCH_ALLOWED_NETWORKS has an entry that is not a network: {entry!r}.",
                    hint="Write networks in CIDR form, for example 127.0.0.1/32.",
                    id="articles.E002",
                )
            )
    if networks and not settings.DEBUG and not settings.FETCH_ALLOW_PRIVATE_IN_PRODUCTION:
        errors.append(
            Error(
                f"FETCH_ALLOWED_NETWORKS lets the fetcher reach {', '.join(networks)} while DEBUG is off.",
                hint=(
                    "Leave FETCH_ALLOWED_NETWORKS empty in production. If these private addresses really must "
                    "be fetched (a self-hosted intranet), set FETCH_ALLOW_PRIVATE_IN_PRODUCTION=true."
                ),
                id="articles.E001",
            )
        )
    return errors
