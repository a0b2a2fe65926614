"""The desk's view of sources: what we hold of each page, how it changed, and where the quotes stand.

One URL answers both a plain request (the full page) and an htmx request (the `source-panel`
fragment, which polls itself while a check is pending and stops with 286 when it is done).
"""

from __future__ import annotations

import re
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django_htmx.http import HttpResponseClientRedirect

from . import tasks
from .comparing import compare
from .forms import OutletDetailsForm, SourceDetailsForm, SourceForm
from .marking import mark_text
from .models import Outlet, Source
from .signals import described

FETCHES_SHOWN = 30
SOURCES_PER_PAGE = 50
OUTLET_SOURCES_SHOWN = 20
OUTLET_SAVED = (
    "Any published dispute citing one of its sources goes back to review; readers keep the approved words until "
    "a reviewer approves."
)
HTMX_STOP_POLLING = 286
CARRIED_PARAMS = ("dispute", "role", "version")


def _desk(view):  # type: ignore[no-untyped-def]
    """Let in signed-in editors and reviewers (anyone who may view sources)."""
    return login_required(permission_required("articles.view_source", raise_exception=True)(view))


@require_safe
@_desk
def source_list(request: HttpRequest) -> HttpResponse:
    """List every tracked source with its state and how many quotes it carries."""
    sources = Source.objects.select_related("outlet").annotate(quote_count=Count("quotes")).order_by("-added_at")
    page = Paginator(sources, SOURCES_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "articles/source_list.html", {"page": page, "carry": carried(request)})


@require_safe
@_desk
def source_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Show a source: its state, versions, a word diff between any two, its quotes and its fetch log."""
    source = get_object_or_404(Source.objects.select_related("outlet", "current_snapshot"), pk=pk)
    context = _panel_context(request, source, poll_url=request.get_full_path())
    if getattr(request, "htmx", False):
        response = render(request, "articles/source_detail.html#source-panel", context)
        if not context["pending"]:
            response.status_code = HTMX_STOP_POLLING
        return response
    return render(request, "articles/source_detail.html", context)


@require_POST
@_desk
def source_check_now(request: HttpRequest, pk: int) -> HttpResponse:
    """Queue a check of this source ahead of its schedule (politeness rules still apply)."""
    source = get_object_or_404(Source, pk=pk)
    tasks.queue_check_now(source.pk)
    if getattr(request, "htmx", False):
        source.refresh_from_db()
        detail_url = reverse("articles:source-detail", args=[source.pk]) + carried(request)
        context = _panel_context(request, source, poll_url=detail_url)
        return render(request, "articles/source_detail.html#source-panel", context)
    messages.info(request, "A check is queued; this page shows the result when it is done.")
    return redirect(reverse("articles:source-detail", args=[source.pk]) + carried(request))


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
@permission_required("articles.add_source", raise_exception=True)
def source_add(request: HttpRequest) -> HttpResponse:
    """Start tracking a page by its address, or go to it when we track it already; check it at once."""
    form = SourceForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        source, created = Source.for_url(form.cleaned_data["url"], added_by=request.user)
        if created:
            tasks.queue_check_now(source.pk)
            messages.success(request, "Source added. Its first check is queued; the panel below follows it.")
        else:
            messages.info(request, "You already track this page.")
        return _go_to(request, source)
    template = "articles/source_add.html"
    if getattr(request, "htmx", False):
        template += "#source-add-form"  # errors inline, in the form fragment
    return render(request, template, {"form": form, "carry": carried(request)})


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
@permission_required("articles.change_source", raise_exception=True)
def source_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Fill in a source's details by hand: title, outlet, byline, publication date, language."""
    source = get_object_or_404(Source.objects.select_related("outlet"), pk=pk)
    form = SourceDetailsForm(request.POST if request.method == "POST" else None, instance=source)
    if form.is_valid():
        changes = form.save_details(by=request.user)
        if changes:
            messages.success(
                request, "Details saved. Readers see them once a reviewer approves each dispute citing it."
            )
        else:
            messages.info(request, "Nothing changed.")
        return _go_to(request, source)
    context = {"form": form, "source": source, "outlet_names": Outlet.objects.values_list("name", flat=True)}
    template = "articles/source_edit.html"
    if getattr(request, "htmx", False):
        template += "#source-edit-form"
    return render(request, template, context)


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
@permission_required("articles.change_outlet", raise_exception=True)
def outlet_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Correct an outlet's name or homepage; every dispute citing one of its sources goes back to review."""
    outlet = get_object_or_404(Outlet, pk=pk)
    form = OutletDetailsForm(request.POST if request.method == "POST" else None, instance=outlet)
    if form.is_valid():
        changes = form.save_details(by=request.user)
        if changes:
            messages.success(request, f"Saved: {described(changes)}. {OUTLET_SAVED}")
        else:
            messages.info(request, "Nothing changed.")
        return _back_to_outlet(request, outlet)
    sources = outlet.sources.order_by("-added_at")
    context = {
        "form": form, "outlet": outlet, "sources": sources[:OUTLET_SOURCES_SHOWN], "source_count": sources.count(),
        "next": _safe_next(request),
    }  # fmt: skip
    template = "articles/outlet_edit.html" + ("#outlet-edit-form" if getattr(request, "htmx", False) else "")
    return render(request, template, context, status=422 if form.is_bound else 200)


def _back_to_outlet(request: HttpRequest, outlet: Outlet) -> HttpResponse:
    """Show the outlet's page again as saved (a full page load, also after an htmx post), keeping the way back."""
    url = reverse("articles:outlet-edit", args=[outlet.pk])
    next_url = _safe_next(request)
    if next_url:
        url += "?" + urlencode({"next": next_url})
    return HttpResponseClientRedirect(url) if getattr(request, "htmx", False) else redirect(url)


def _safe_next(request: HttpRequest) -> str:
    """Return the local address the editor came from, or ""."""
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    allowed = url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}, require_https=False)
    return next_url if allowed and next_url.startswith("/") else ""


def carried(request: HttpRequest) -> str:
    """Return the query string the desk passes through the source pages ("?dispute=3&role=rebuttal").

    The dispute builder sends an editor here to pick a source and quote from it; these parameters say
    where the quote goes next. To this app they are opaque: only their shape is checked.
    """
    kept = {}
    for name in CARRIED_PARAMS:
        value = request.GET.get(name, "")
        if value and re.fullmatch(r"[a-z0-9_]{1,40}", value):
            kept[name] = value
    return "?" + urlencode(kept) if kept else ""


def _go_to(request: HttpRequest, source: Source) -> HttpResponse:
    """Send the browser to the source page: a full page load, also after an htmx post."""
    url = reverse("articles:source-detail", args=[source.pk]) + carried(request)
    if getattr(request, "htmx", False):
        return HttpResponseClientRedirect(url)
    return redirect(url)


def check_pending(source: Source) -> bool:
    """Tell whether a check of this source is queued or running right now."""
    now = timezone.now()
    leased = source.lease_until is not None and source.lease_until > now
    queued = source.next_check_at is not None and source.next_check_at <= now
    return leased or queued


def _panel_context(request: HttpRequest, source: Source, *, poll_url: str) -> dict[str, object]:
    snapshots = list(
        source.snapshots.only("pk", "source_id", "captured_at", "extractor", "correction_notices", "raw_sha256")
    )
    quotes = list(source.quotes.select_related("last_check").order_by("start", "pk"))
    passages = [q.exact for q in quotes] + [q.last_check.matched_text for q in quotes if q.last_check_id]
    current = source.current_snapshot
    diff = compare(snapshots, request.GET.get("from"), request.GET.get("to"), passages)
    fetches = source.fetches.select_related("snapshot").order_by("-started_at")[:FETCHES_SHOWN]
    return {
        "source": source,
        "pending": check_pending(source),
        "fetching": source.lease_until is not None and source.lease_until > timezone.now(),  # a worker holds it
        "poll_url": poll_url,  # the panel polls the page's own address while a check is pending
        "carry": carried(request),
        "snapshots": snapshots,
        "quotes": quotes,
        "text_pieces": mark_text(current.main_text, passages) if current else [],
        "diff": diff,
        "fetches": fetches,
    }
