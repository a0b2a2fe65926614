"""The editors' desk: what waits for the person signed in, and what the background checks found.

The home page reads four short lists, each with its count, in a fixed number of queries however many
rows there are.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required, permission_required
from django.db.models import F, OuterRef, Q, QuerySet, Subquery
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from articles.models import Source
from config.http import AuthedHtmxRequest
from disputes.models import Dispute, Review

SHOWN_PER_SECTION = 20
RECENT_CHANGE = dt.timedelta(days=7)
SETTLED_LIVENESS = [Source.Liveness.ALIVE, Source.Liveness.UNKNOWN]


@require_safe
@login_required
@permission_required("disputes.view_dispute", raise_exception=True)
def desk_home(request: AuthedHtmxRequest) -> HttpResponse:
    """Show my drafts, what reviewers sent back to me, flagged disputes and sources that changed."""
    mine = Q(created_by=request.user) | Q(last_edited_by=request.user)
    sections = {
        "drafts": Dispute.objects.filter(mine, state=Dispute.State.DRAFT).order_by("-updated_at"),
        "returned": _with_latest_request(
            Dispute.objects.filter(mine, state=Dispute.State.CHANGES_REQUESTED).order_by("-updated_at")
        ),
        "flagged": Dispute.objects.filter(needs_recheck=True).order_by("-updated_at"),
        "sources": _sources_that_changed(),
    }
    context = {name: _section(queryset) for name, queryset in sections.items()}
    return render(request, "disputes/desk/home.html", context)


def _section(queryset: QuerySet) -> dict[str, object]:
    """Return the first rows of a list and how many there are in all."""
    return {"rows": list(queryset[:SHOWN_PER_SECTION]), "count": queryset.count()}


def _with_latest_request(disputes: QuerySet[Dispute]) -> QuerySet[Dispute]:
    """Annotate each dispute with the comment, reviewer and time of the latest request for changes."""
    latest = Review.objects.filter(dispute=OuterRef("pk"), decision=Review.Decision.REQUEST_CHANGES).order_by(
        "-created_at", "-pk"
    )
    return disputes.annotate(
        review_comment=Subquery(latest.values("comment")[:1]),
        review_by=Subquery(latest.values("reviewer__username")[:1]),
        review_at=Subquery(latest.values("created_at")[:1]),
    )


def _sources_that_changed() -> QuerySet[Source]:
    """Sources edited in the last week, or that are gone, moved or failing, the latest first."""
    since = timezone.now() - RECENT_CHANGE
    return (
        Source.objects.filter(Q(last_changed_at__gte=since) | ~Q(liveness__in=SETTLED_LIVENESS))
        .select_related("outlet")
        .order_by(F("last_changed_at").desc(nulls_last=True), F("last_checked_at").desc(nulls_last=True), "-pk")
    )
