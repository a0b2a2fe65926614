import datetime as dt
import os
from typing import Any

from django.conf import settings
from django.contrib.sitemaps import views as sitemaps_views
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from disputes.sitemaps import SITEMAPS

DISPATCHER_STALE_AFTER = dt.timedelta(minutes=5)
OVERDUE_AFTER = dt.timedelta(hours=1)


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """Tell a load balancer or an operator whether the site and its re-check pipeline are working.

    Answers 503 when the database or the broker cannot be reached, when the dispatcher (celery beat)
    has not run for five minutes while there are sources to check, when a source is more than an
    hour overdue (the workers are not keeping up, or not consuming), or when tasks wait in the queue
    and no worker has finished one for WORKER_STALL_SECONDS (articles/workers.py).
    """
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as exc:
        return JsonResponse({"status": "error", "database": exc.__class__.__name__}, status=503)
    body: dict[str, Any] = {"status": "ok", "database": connection.vendor}
    problems: list[str] = []

    broker_ok, body["broker"] = _broker()
    if not broker_ok:
        problems.append("broker")

    from articles.models import Heartbeat, Source
    from articles.workers import health as worker_health

    now = timezone.now()
    last_run = Heartbeat.last("dispatcher")
    oldest_due = (
        Source.objects.filter(next_check_at__isnull=False)
        .order_by("next_check_at")
        .values_list("next_check_at", flat=True)
        .first()
    )
    overdue = max((now - oldest_due).total_seconds(), 0) if oldest_due else 0
    has_sources = oldest_due is not None or Source.objects.exists()
    if last_run is None:
        # A fresh install: beat's first tick comes a minute after start. Only a source left waiting
        # longer than the dispatcher's grace period says the dispatcher is not running.
        stale = overdue > DISPATCHER_STALE_AFTER.total_seconds()
    else:
        stale = has_sources and now - last_run > DISPATCHER_STALE_AFTER
    body["dispatcher"] = {"last_run": last_run.isoformat() if last_run else None, "ok": not stale}
    if stale:
        problems.append("dispatcher")
    late = overdue > OVERDUE_AFTER.total_seconds()
    body["checks"] = {"oldest_overdue_seconds": int(overdue), "ok": not late}
    if late:
        problems.append("checks")
    workers = worker_health(now=now)
    body["workers"] = workers.as_json()
    if workers.state == "stalled":
        problems.append("workers")

    if problems:
        body["status"] = "error"
        body["problems"] = problems
        return JsonResponse(body, status=503)
    return JsonResponse(body)


def _broker() -> tuple[bool, str]:
    """Ping Redis when it is the broker; in the embedded mode, check the queue folder is writable."""
    if settings.REDIS_URL:
        import redis

        client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
        try:
            client.ping()
        except (redis.RedisError, OSError) as exc:
            return False, f"redis: {exc.__class__.__name__}"
        finally:
            client.close()
        return True, "redis"
    folder = (settings.CELERY_BROKER_TRANSPORT_OPTIONS or {}).get("data_folder_in", "")
    if folder and os.path.isdir(folder) and os.access(folder, os.W_OK):
        return True, "filesystem"
    return False, "filesystem: the queue folder is missing or not writable"


ROBOTS = """User-agent: *
Disallow: /desk/
Disallow: /review/
Disallow: /admin/
Disallow: /login/
Allow: /

Sitemap: {site}/sitemap.xml
"""


@require_safe
def robots_txt(request: HttpRequest) -> HttpResponse:
    """Keep crawlers to readers' pages, and point them to the sitemap."""
    response = HttpResponse(ROBOTS.format(site=settings.SITE_URL), content_type="text/plain; charset=utf-8")
    patch_cache_control(response, public=True, max_age=60 * 60)
    return response


@require_safe
def sitemap_index(request: HttpRequest) -> HttpResponse:
    """Point search engines to each part of the sitemap, every page of each (5,000 addresses a page)."""
    response = sitemaps_views.index(request, sitemaps=SITEMAPS, sitemap_url_name="sitemap-section")
    patch_cache_control(response, public=True, max_age=60 * 10)
    return response


@require_safe
def sitemap_section(request: HttpRequest, section: str) -> HttpResponse:
    """List one part of readers' pages (home, disputes, sources) with their last change."""
    response = sitemaps_views.sitemap(request, sitemaps=SITEMAPS, section=section)
    patch_cache_control(response, public=True, max_age=60 * 10)
    return response
