"""The review side: what waits for a decision, what a re-check flagged, and the page a reviewer decides on.

Who may do what is in `disputes/rules.py`: anyone on the desk (editors, reviewers, staff) may read these
pages; only reviewers decide, and never on a dispute they wrote or last edited (four-eyes). Editors see
the review page of their own dispute too: its history and every reviewer's comment are theirs to read.

Every decision carries the version the reviewer looked at. When two reviewers decide at once, or the
dispute moved on while the page was open, the model's conditional UPDATE refuses the late one and the
reviewer gets the page again with 409 and the dispute as it now stands — never a silent second decision.
All forms here are plain HTML forms: they work without JavaScript, and a decision is a full page load.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Case, Count, Exists, F, OuterRef, Q, QuerySet, Subquery, TextField, Value, When
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_POST, require_safe

from articles.comparing import Comparison, compare
from articles.models import Quote, Snapshot, Source
from config.http import AuthedHtmxRequest
from disputes.changes import changes_since
from disputes.forms_review import DecisionForm, ReasonForm
from disputes.models import (
    Contributor,
    Dispute,
    Event,
    FourEyesViolation,
    InvalidTransition,
    Notification,
    Review,
    StaleDispute,
    content_hash,
    four_eyes_text,
)
from disputes.rules import contributed
from disputes.views.public import cards_for, grouped, resolution_label

PER_PAGE = 25


def _desk(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Let in signed-in people who work on the desk; send others to sign in, refuse the rest (403)."""

    def check(request: AuthedHtmxRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.has_perm("disputes.see_on_desk"):
            raise PermissionDenied("Only editors and reviewers can see the review desk.")
        response = view(request, *args, **kwargs)
        patch_cache_control(response, private=True, no_store=True)
        return response

    check.__doc__, check.__name__ = view.__doc__, view.__name__
    return login_required(check)


# --- the queues -----------------------------------------------------------------------------------


@require_safe
@_desk
def review_queue(request: AuthedHtmxRequest) -> HttpResponse:
    """List disputes waiting for a decision, the longest-waiting first, with filters."""
    disputes = Dispute.objects.in_review().select_related("created_by", "last_edited_by")
    filters = _filters(request)
    if filters["kind"] == "new":
        disputes = disputes.filter(public_revision__isnull=True)
    elif filters["kind"] == "revision":
        disputes = disputes.filter(public_revision__isnull=False)
    if filters["editor"]:
        disputes = disputes.filter(
            Q(created_by__username=filters["editor"]) | Q(last_edited_by__username=filters["editor"])
        )
    if filters["resolution"] in Dispute.Resolution.values:
        disputes = disputes.filter(resolution=filters["resolution"])
    if filters["q"]:
        disputes = disputes.filter(claim_text__icontains=filters["q"])
    me = request.user.pk
    mine = Exists(Contributor.objects.pending().filter(dispute=OuterRef("pk"), user_id=me))
    if filters["decidable"]:
        disputes = disputes.exclude(Q(created_by_id=me) | Q(last_edited_by_id=me) | mine)
    # A published dispute comes back without an editor sending it when a row it shows changed (a
    # source's details, a speaker, an outlet): the row says so, from the latest such step.
    steps = Event.objects.filter(dispute=OuterRef("pk"), kind__in=["submitted", "details_changed"])
    latest = steps.order_by("-created_at", "-pk").annotate(
        changed=Case(When(kind="details_changed", then=F("note")), default=Value(""), output_field=TextField())
    )
    disputes = disputes.annotate(
        link_count=Count("links"), mine=mine, details_changed=Subquery(latest.values("changed")[:1])
    ).order_by("submitted_at", "pk")
    page = Paginator(disputes, PER_PAGE).get_page(request.GET.get("page"))
    editors = (
        get_user_model()
        .objects.filter(Q(groups__name="editors") | Q(is_staff=True), is_active=True)
        .distinct()
        .order_by("username")
        .values_list("username", flat=True)
    )
    context = {
        "page": page,
        "filters": filters,
        "filtered": any(filters.values()),
        "editors": list(editors),
        "resolutions": Dispute.Resolution.choices,
        "in_review_count": Dispute.objects.in_review().count(),
        "recheck_count": _flagged().count(),
        "me": request.user.pk,
    }
    return render(request, "disputes/review/queue.html", context)


@require_safe
@_desk
def recheck_queue(request: AuthedHtmxRequest) -> HttpResponse:
    """List public disputes a re-check flagged because a cited source changed, the oldest flag first."""
    disputes = _flagged().select_related("created_by", "last_edited_by").order_by("flagged_at", "pk")
    page = Paginator(disputes, PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "in_review_count": Dispute.objects.in_review().count(),
        "recheck_count": page.paginator.count,
        "me": request.user.pk,
    }
    return render(request, "disputes/review/recheck.html", context)


def _flagged() -> QuerySet[Dispute]:
    return Dispute.objects.public().filter(needs_recheck=True).exclude(state=Dispute.State.WITHDRAWN)


def _filters(request: AuthedHtmxRequest) -> dict[str, str]:
    get = request.GET
    return {
        "kind": get.get("kind", "") if get.get("kind") in {"new", "revision"} else "",
        "editor": get.get("editor", "").strip()[:150],
        "resolution": get.get("resolution", "") if get.get("resolution") in Dispute.Resolution.values else "",
        "q": get.get("q", "").strip()[:200],
        "decidable": "1" if get.get("decidable") else "",
    }


# --- one dispute ----------------------------------------------------------------------------------


@require_safe
@_desk
def review_page(request: AuthedHtmxRequest, pk: int) -> HttpResponse:
    """Show a dispute as readers would see it, what changed since it was last approved, and its sources."""
    dispute = _dispute(pk)
    Notification.mark_seen(request.user, dispute.pk)  # opened: its news is read (the badge counts after)
    return _page(request, dispute)


@require_POST
@_desk
def decide(request: AuthedHtmxRequest, pk: int) -> HttpResponse:
    """Approve, ask for changes or reject a dispute in review."""
    dispute = _dispute(pk)
    if not request.user.has_perm("disputes.decide_on_dispute", dispute) or contributed(request.user, dispute):
        raise PermissionDenied(_why_not(request, dispute))
    form = DecisionForm(request.POST)
    if not form.is_valid():
        return _page(request, dispute, decision_form=form, status=422)
    decision, comment = form.cleaned_data["decision"], form.cleaned_data["comment"]
    dispute.version = form.cleaned_data["version"]  # decide on what the reviewer saw, or not at all
    try:
        if decision == DecisionForm.APPROVE:
            dispute.publish(by=request.user, note=comment, seen_hash=form.cleaned_data["content_hash"])
            messages.success(request, "Approved. Readers now see this version.")
        elif decision == DecisionForm.REQUEST_CHANGES:
            dispute.request_changes(by=request.user, comment=comment)
            messages.success(request, "Sent back to the editor with your comment.")
        else:
            dispute.reject(by=request.user, comment=comment)
            messages.success(request, "Rejected. The editor sees your comment.")
    except FourEyesViolation as exc:
        raise PermissionDenied(str(exc)) from exc
    except (StaleDispute, InvalidTransition) as exc:
        return _conflict(request, pk, str(exc), decision_form=form)
    return redirect("review:queue")


@dataclass(frozen=True)
class FollowUp:
    """A decision on a dispute readers can already see: withdraw it, re-confirm it, or send it back."""

    permission: str
    method: str
    argument: str
    label: str
    help_text: str
    done: str


FOLLOW_UPS = {
    "reconfirm": FollowUp(
        "disputes.decide_on_dispute", "reconfirm", "note", "What you checked",
        "Say what changed in the source and why the dispute still stands. Readers see this note in the "
        "dispute's history, and the notice goes.",
        "Re-confirmed. The re-check notice is gone from the public page.",
    ),
    "send-back": FollowUp(
        "disputes.send_back_dispute", "send_back", "comment", "What should change",
        "The editors get the dispute back with this comment. Readers keep the approved version, with the "
        "re-check notice, until a reviewer approves the new one.",
        "Sent back to the editors. Readers still see the approved version with the re-check notice.",
    ),
    "withdraw": FollowUp(
        "disputes.withdraw_dispute", "withdraw", "reason", "Reason for withdrawal",
        "Readers see this reason at the top of the dispute's page, which stays up as a notice.",
        "Withdrawn. The public page now shows the withdrawal notice and your reason.",
    ),
}  # fmt: skip


@require_POST
@_desk
def follow_up(request: AuthedHtmxRequest, pk: int, action: str) -> HttpResponse:
    """Withdraw, re-confirm or send back a public dispute; each needs a reason."""
    step = FOLLOW_UPS[action]
    dispute = _dispute(pk)
    if not request.user.has_perm(step.permission, dispute):
        raise PermissionDenied(_why_not(request, dispute))
    form = _follow_up_form(action, request.POST)
    if not form.is_valid():
        return _page(request, dispute, follow_up_forms={action: form}, status=422)
    dispute.version = form.cleaned_data["version"]
    try:
        getattr(dispute, step.method)(by=request.user, **{step.argument: form.cleaned_data["reason"]})
    except FourEyesViolation as exc:
        raise PermissionDenied(str(exc)) from exc
    except (StaleDispute, InvalidTransition) as exc:
        return _conflict(request, pk, str(exc), follow_up_forms={action: form})
    messages.success(request, step.done)
    if action == "withdraw":
        return redirect("review:dispute", pk=pk)
    return redirect("review:recheck")


def _follow_up_form(action: str, data: Any = None, version: int | None = None) -> ReasonForm:
    step = FOLLOW_UPS[action]
    initial = {"version": version} if version else None
    return ReasonForm(data, initial=initial, label=step.label, help_text=step.help_text, prefix=action)


def _dispute(pk: int) -> Dispute:
    return get_object_or_404(
        Dispute.objects.select_related("created_by", "last_edited_by", "approved_by", "public_revision"), pk=pk
    )


def _why_not(request: AuthedHtmxRequest, dispute: Dispute) -> str:
    done = dispute.contributions_of(request.user)
    if done and request.user.has_perm("disputes.review_dispute"):
        return four_eyes_text(done)
    return "Only reviewers can decide on disputes."


def _conflict(request: AuthedHtmxRequest, pk: int, message: str, **forms: Any) -> HttpResponse:
    """Show the dispute as it now stands, saying why the decision was not made (409)."""
    return _page(request, _dispute(pk), conflict=message, status=409, **forms)


def _page(
    request: AuthedHtmxRequest,
    dispute: Dispute,
    *,
    status: int = 200,
    decision_form: DecisionForm | None = None,
    follow_up_forms: dict[str, ReasonForm] | None = None,
    conflict: str = "",
) -> HttpResponse:
    user = request.user
    data = dispute.frozen()  # the would-be revision: what an approval now would show readers
    approved = dispute.public_revision.data if dispute.public_revision else None
    cards = cards_for(data)
    in_review = dispute.state == Dispute.State.IN_REVIEW
    shown = dispute.public_revision_id is not None and dispute.state != Dispute.State.WITHDRAWN
    # has_perm is always true for superusers; four-eyes holds for them too, so ask the rule itself.
    may_decide = user.has_perm("disputes.decide_on_dispute", dispute) and not contributed(user, dispute)
    follow_ups = {
        action: step
        for action, step in FOLLOW_UPS.items()
        if shown
        and user.has_perm(step.permission, dispute)
        and (action == "withdraw" or dispute.needs_recheck)
        and (action != "send-back" or dispute.state == Dispute.State.PUBLISHED)
    }
    forms = follow_up_forms or {}
    context = {
        "dispute": dispute,
        "data": data,
        "resolution": resolution_label(data.get("resolution")),
        "groups": grouped(cards),
        "changes": changes_since(approved, data),
        "sources": _cited_sources(dispute, data, approved),
        "history": Event.objects.filter(dispute=dispute).select_related("actor", "source").order_by("created_at", "pk"),
        "reviews": Review.objects.filter(dispute=dispute).select_related("reviewer").order_by("-created_at", "-pk"),
        "may_decide": may_decide and in_review,
        "four_eyes": in_review and not may_decide and user.has_perm("disputes.review_dispute"),
        "four_eyes_text": four_eyes_text(dispute.contributions_of(user)),
        "contributors": _contributors(dispute),
        # The form always carries the version and the hash of what this page shows now, also when it is
        # shown again after an error or a conflict: the reviewer approves what they see, nothing else.
        "decision_form": _decision_form(decision_form, dispute, content_hash(data)),
        "follow_ups": [
            (action, step, forms.get(action) or _follow_up_form(action, version=dispute.version))
            for action, step in follow_ups.items()
        ],
        "conflict": conflict,
        "show_details": True,  # every word the approval covers, also those readers see off the dispute's page
        "editable": dispute.state in {Dispute.State.DRAFT, Dispute.State.CHANGES_REQUESTED},
    }
    return render(request, "disputes/review/page.html", context, status=status)


def _decision_form(form: DecisionForm | None, dispute: Dispute, shown_hash: str) -> DecisionForm:
    if form is None:
        return DecisionForm(initial={"version": dispute.version, "content_hash": shown_hash})
    data = form.data.copy()
    data["version"], data["content_hash"] = str(dispute.version), shown_hash
    return DecisionForm(data)


def _contributors(dispute: Dispute) -> list[tuple[str, list[str]]]:
    """Name who contributed to what the next approval covers, and what each did, for the reviewer."""
    people: dict[str, list[str]] = {}
    if dispute.created_by:
        people[dispute.created_by.get_username()] = ["wrote this dispute"]
    pending = dispute.contributors.pending().select_related("user").order_by("created_at", "pk")
    for row in pending:
        people.setdefault(row.user.get_username(), []).append(row.what)
    return list(people.items())


@dataclass(frozen=True)
class CitedSource:
    source: Source
    quotes: list[Quote]
    approved_snapshot: int | None
    diff: Comparison | None


def _cited_sources(dispute: Dispute, data: dict[str, Any], approved: dict[str, Any] | None) -> list[CitedSource]:
    """Every source cited now or in the approved revision, with its cited quotes and, if it changed, a diff."""
    links = data.get("links", []) + (approved or {}).get("links", [])
    quote_ids = {link["quote"]["id"] for link in links if link.get("quote", {}).get("id")}
    quotes = Quote.objects.filter(pk__in=quote_ids).select_related("source__outlet").order_by("source_id", "pk")
    approved_at = dispute.public_revision.created_at if dispute.public_revision else None
    at_approval = None
    if approved_at:
        at_approval = dict(
            Source.objects.filter(pk__in={quote.source_id for quote in quotes})
            .annotate(
                approved=Subquery(
                    Snapshot.objects.filter(source=OuterRef("pk"), captured_at__lte=approved_at)
                    .order_by("-captured_at", "-pk")
                    .values("pk")[:1]
                )
            )
            .values_list("pk", "approved")
        )
    by_source: dict[int, list[Quote]] = {}
    for quote in quotes:
        by_source.setdefault(quote.source_id, []).append(quote)
    cited = []
    for source_quotes in by_source.values():
        source = source_quotes[0].source
        then = (at_approval or {}).get(source.pk)
        diff = None
        if dispute.needs_recheck and then and source.current_snapshot_id and then != source.current_snapshot_id:
            pair = Snapshot.objects.filter(pk__in=[then, source.current_snapshot_id]).only("pk", "captured_at")
            newest_first = sorted(pair, key=lambda snapshot: snapshot.pk != source.current_snapshot_id)
            diff = compare(newest_first, then, source.current_snapshot_id, [quote.exact for quote in source_quotes])
        cited.append(CitedSource(source, source_quotes, then, diff))
    return cited
