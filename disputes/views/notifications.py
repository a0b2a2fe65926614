"""Notifications on the desk: what happened to my disputes, or what awaits my review, newest first.

Anyone signed in sees their own notifications and no one else's. The list reads in a fixed number of
queries however many rows a page holds.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Max, Q
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from config.http import AuthedHtmxRequest
from disputes.models import Notification
from disputes.notifications import destination
from disputes.rules import is_reviewer

PER_PAGE = 50


@require_safe
@login_required
def notification_list(request: AuthedHtmxRequest) -> HttpResponse:
    """List my notifications, newest first, the unread ones marked, each linking to its dispute."""
    mine = Notification.objects.filter(recipient=request.user)
    totals = mine.aggregate(unread=Count("pk", filter=Q(read_at__isnull=True)), latest=Max("pk"))
    rows = mine.select_related("event__dispute", "event__actor").order_by("-created_at", "-pk")
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    reviewer = is_reviewer(request.user)
    for notification in page:
        notification.url = destination(  # type: ignore[attr-defined]
            notification.event, recipient_id=request.user.pk, reviewer=reviewer
        )
    context = {
        "page": page,
        # "Mark as read" covers what this page knew of: one arriving meanwhile stays unread.
        "latest": totals["latest"],
        "unread_notifications": totals["unread"],  # the header badge, without counting again
    }
    return render(request, "disputes/desk/notifications.html", context)


@require_POST
@login_required
def notifications_mark_read(request: AuthedHtmxRequest) -> HttpResponse:
    """Mark my unread notifications as read, up to `?upto=<id>` when given, in one UPDATE."""
    unread = Notification.objects.filter(recipient=request.user, read_at__isnull=True)
    upto = request.GET.get("upto")
    if upto is not None:
        if not (upto.isascii() and upto.isdigit() and len(upto) <= 18):  # 18 digits fit a bigint
            return HttpResponseBadRequest("upto must be a notification number.")
        marked = unread.filter(pk__lte=int(upto)).update(read_at=timezone.now())
    else:
        marked = unread.update(read_at=timezone.now())
    if marked:
        messages.success(request, f"Marked {marked} notification{'s' if marked != 1 else ''} as read.")
    else:
        messages.info(request, "There was nothing unread to mark.")
    return redirect("disputes:notifications")
