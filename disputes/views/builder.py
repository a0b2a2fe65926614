"""The dispute builder: open a draft, write it, cite statements, preview it, send it to review.

Who may edit: **any editor may edit any draft** (the `disputes.change_dispute` permission, which the
"editors" group has). Newsrooms hand work over between shifts, and a draft locked to its author would
stall when they are away. Reviewers who are not editors cannot edit. Every edit records who made it
(`Dispute.last_edited_by`), and the four-eyes rule then stops both the author and the last editor
from approving (model check and database constraint).

Never losing work: every save carries the `version` the editor loaded. A save based on a version
someone else moved past is refused with 409 and a conflict view that shows both texts and keeps the
editor's words in the form, re-based on the new version so that saving again is a deliberate choice.
After a successful save, only the forms still based on the old version are moved to the new one
(an out-of-band swap of their hidden inputs), so a panel that has seen a conflict stays stale.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.cache import cache
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect, reswap, retarget

from config.http import AuthedHtmxRequest
from disputes.forms_builder import (
    AddStatementForm,
    DisputeContentForm,
    DisputeStartForm,
    LinkForm,
    MoveLinkForm,
    VersionForm,
)
from disputes.models import CLAIM_MAX_LENGTH, Dispute, DisputeLink, InvalidTransition, Notification, StaleDispute
from disputes.views.public import cards_for, grouped, resolution_label

TEMPLATE = "disputes/builder/builder.html"
NEW_TOKEN_SECONDS = 60 * 60 * 10  # as long as a session: a form left open all shift still submits once
STALE_LINKS = (
    "Someone else changed this dispute after you opened it, so your change was not made. "
    "The list below is as it stands now: make your change again if it is still needed."
)
EDITABLE = {Dispute.State.DRAFT, Dispute.State.CHANGES_REQUESTED}
REVISABLE = {Dispute.State.PUBLISHED, Dispute.State.REJECTED}
STATE_TONES = {
    Dispute.State.IN_REVIEW: "warn",
    Dispute.State.CHANGES_REQUESTED: "warn",
    Dispute.State.PUBLISHED: "ok",
    Dispute.State.REJECTED: "bad",
    Dispute.State.WITHDRAWN: "bad",
}
MOVES = [("up", "Move up", "first"), ("down", "Move down", "last")]


def _editing(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Let in signed-in people who may change disputes (editors); anyone else gets 403."""
    return login_required(permission_required("disputes.change_dispute", raise_exception=True)(view))


# --- opening a draft ------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_required
@permission_required("disputes.add_dispute", raise_exception=True)
def dispute_new(request: AuthedHtmxRequest) -> HttpResponse:
    """Open a new draft from its claim sentence; the same form posted twice opens one draft."""
    form = DisputeStartForm(request.POST or None, initial={"token": uuid.uuid4()})
    if not form.is_valid():
        status = 422 if request.method == "POST" else 200
        return render(
            request, "disputes/builder/new.html", {"form": form, "max_length": CLAIM_MAX_LENGTH}, status=status
        )
    # cache.add is atomic: of two posts of the same form, exactly one claims the token.
    key = f"disputes:new:{request.user.pk}:{form.cleaned_data['token']}"
    if not cache.add(key, 0, NEW_TOKEN_SECONDS):
        existing = cache.get(key)
        if existing:
            return redirect("disputes:dispute-edit", pk=existing)
        messages.info(request, "This dispute is already being created; it appears in the list in a moment.")
        return redirect("disputes:dispute-new")
    try:
        dispute = Dispute.start_draft(by=request.user, **form.content())
    except Exception:
        cache.delete(key)
        raise
    cache.set(key, dispute.pk, NEW_TOKEN_SECONDS)
    messages.success(request, "Draft opened. Now cite where the claim appeared and who answered it.")
    return redirect("disputes:dispute-edit", pk=dispute.pk)


# --- the builder ----------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@_editing
def dispute_edit(request: AuthedHtmxRequest, pk: int) -> HttpResponse:
    """Show the builder; on POST, save the dispute's text, or show a conflict if someone saved first."""
    dispute = get_object_or_404(Dispute, pk=pk)
    if request.method == "GET":
        Notification.mark_seen(request.user, dispute.pk)  # opened: its news is read (the badge counts after)
        return _page(request, dispute)
    form = DisputeContentForm(request.POST)
    if not form.is_valid():
        return _content(request, dispute, form=form, status=422)
    based_on = form.cleaned_data["version"]
    try:
        dispute.update_content(by=request.user, version=based_on, **form.content())
    except StaleDispute:
        dispute.refresh_from_db()
        conflict = _compare(dispute, form.content())
        return _content(request, dispute, form=_rebased(form, dispute), conflict=conflict, status=409)
    except InvalidTransition as exc:  # no longer a draft: show the editor's words beside the saved ones
        dispute.refresh_from_db()
        conflict = _compare(dispute, form.content())
        return _content(request, dispute, form=form, conflict=conflict, error=str(exc), status=409)
    if not request.htmx:
        messages.success(request, "Saved.")
        return redirect("disputes:dispute-edit", pk=dispute.pk)
    return _content(request, dispute, saved=True, based_on=based_on)


@require_GET
@login_required
def claim_counter(request: AuthedHtmxRequest) -> HttpResponse:
    """Count the characters of a claim sentence as it is typed (a tiny fragment for htmx)."""
    context = {"length": len(request.GET.get("claim_text", "")), "max_length": CLAIM_MAX_LENGTH}
    return render(request, "disputes/builder/_claim_field.html#claim-counter", context)


def _rebased(form: DisputeContentForm, dispute: Dispute) -> DisputeContentForm:
    """Keep the editor's words in the form, on top of the version now saved."""
    return DisputeContentForm(initial={**form.content(), "version": dispute.version})


def _compare(dispute: Dispute, yours: dict[str, str]) -> list[dict[str, str]]:
    """List the fields where the saved dispute and the editor's unsaved text differ, side by side."""
    rows = []
    for name in DisputeContentForm.CONTENT_FIELDS:
        theirs, mine = getattr(dispute, name), yours[name]
        if name == "resolution":
            theirs, mine = resolution_label(theirs), resolution_label(mine)
        if theirs != mine:
            rows.append({"label": str(DisputeContentForm.base_fields[name].label), "theirs": theirs, "yours": mine})
    return rows


def _content(
    request: AuthedHtmxRequest, dispute: Dispute, *, status: int = 200, based_on: int | None = None, **extra: Any
) -> HttpResponse:
    """Answer a save: the content panel for htmx, the whole page otherwise (never a silent drop)."""
    if not request.htmx:
        return _page(request, dispute, status=status, **extra)
    context = {
        "dispute": dispute,
        "editable": dispute.state in EDITABLE,
        "based_on": based_on,
        "max_length": CLAIM_MAX_LENGTH,
        **extra,
    }
    context.setdefault("form", _content_form(dispute))
    response = render(request, TEMPLATE + "#content-panel", context, status=status)
    return reswap(retarget(response, "#content-panel"), "outerHTML")


def _content_form(dispute: Dispute) -> DisputeContentForm:
    initial = {name: getattr(dispute, name) for name in DisputeContentForm.CONTENT_FIELDS}
    return DisputeContentForm(initial={**initial, "version": dispute.version})


def _page(request: AuthedHtmxRequest, dispute: Dispute, *, status: int = 200, **extra: Any) -> HttpResponse:
    """Render the whole builder (or the read-only view of a dispute that is not editable)."""
    context = {
        "dispute": dispute,
        "editable": dispute.state in EDITABLE,
        "can_revise": dispute.public_revision_id is not None and dispute.state in REVISABLE,
        "state_tone": STATE_TONES.get(dispute.state, "neutral"),
        "form": _content_form(dispute),
        "max_length": CLAIM_MAX_LENGTH,
        **_links_context(dispute),
        **extra,
    }
    response = render(request, TEMPLATE, context, status=status)
    patch_cache_control(response, private=True, no_store=True)
    return response


def _capture_links(dispute: Dispute) -> list[dict[str, str]]:
    """Point to the source pages, which cite a passage here once it is selected and attributed."""
    try:
        add_url = reverse("articles:source-add")
    except NoReverseMatch:  # the "add a source" page may not exist yet
        add_url = ""
    links = []
    for role, label in (("appearance", "an appearance"), ("rebuttal", "a rebuttal")):
        query = f"?dispute={dispute.pk}&role={role}"
        links.append(
            {
                "label": f"Add {label} from a source",
                "list_url": reverse("articles:source-list") + query,
                "add_url": add_url + query if add_url else "",
            }
        )
    return links


# --- links ----------------------------------------------------------------------------------------


def _links(dispute: Dispute) -> QuerySet[DisputeLink]:
    return dispute.links.select_related(
        "statement__quote__source__outlet", "statement__speaker__organisation"
    ).order_by("position", "pk")


def _links_context(dispute: Dispute, form: AddStatementForm | None = None) -> dict[str, Any]:
    links = list(_links(dispute))
    return {
        "links": links,
        "roles": DisputeLink.Role.choices,
        "moves": MOVES,
        "capture_links": _capture_links(dispute),
        "add_form": form or AddStatementForm(dispute=dispute, initial={"version": dispute.version}),
    }


def _links_answer(
    request: AuthedHtmxRequest, dispute: Dispute, change: Callable[[], object] | None, based_on: int, *, success: str
) -> HttpResponse:
    """Apply a change to the links; answer with the links panel (htmx) or a redirect to the builder."""
    status, error = 200, ""
    try:
        if change is None:
            raise InvalidTransition("That change was incomplete, so nothing was saved. Try again.")
        change()
    except StaleDispute:
        status, error = 409, STALE_LINKS
    except InvalidTransition as exc:
        status, error = 409, str(exc)
    dispute.refresh_from_db()
    if not request.htmx:
        if error:
            messages.error(request, error)
        else:
            messages.success(request, success)
        return redirect("disputes:dispute-edit", pk=dispute.pk)
    context = {
        "dispute": dispute,
        "editable": dispute.state in EDITABLE,
        "links_error": error,
        "links_status": "" if error else success,
        "based_on": None if error else based_on,
        **_links_context(dispute),
    }
    response = render(request, TEMPLATE + "#links-panel", context, status=status)
    return reswap(retarget(response, "#links-panel"), "outerHTML")


def _invalid_links_form(request: AuthedHtmxRequest, dispute: Dispute) -> HttpResponse:
    return _links_answer(request, dispute, None, 0, success="")


@require_POST
@_editing
def link_add(request: AuthedHtmxRequest, pk: int) -> HttpResponse:
    """Cite a statement already on the desk in this dispute."""
    dispute = get_object_or_404(Dispute, pk=pk)
    form = AddStatementForm(request.POST, dispute=dispute)
    if not form.is_valid():
        return _invalid_links_form(request, dispute)
    data = form.cleaned_data
    return _links_answer(
        request, dispute,
        lambda: dispute.add_link(by=request.user, version=data["version"], statement=data["statement"],
                                 role=data["role"], note=data["note"]),
        data["version"], success="Statement added.",
    )  # fmt: skip


@require_POST
@_editing
def link_update(request: AuthedHtmxRequest, pk: int, link_id: int) -> HttpResponse:
    """Change the role or the note of one cited statement."""
    dispute = get_object_or_404(Dispute, pk=pk)
    form = LinkForm(request.POST)
    if not form.is_valid():
        return _invalid_links_form(request, dispute)
    data = form.cleaned_data
    return _links_answer(
        request, dispute,
        lambda: dispute.update_link(by=request.user, version=data["version"], link_id=link_id, role=data["role"],
                                    note=data["note"]),
        data["version"], success="Statement updated.",
    )  # fmt: skip


@require_POST
@_editing
def link_move(request: AuthedHtmxRequest, pk: int, link_id: int) -> HttpResponse:
    """Move one cited statement a place up or down the list."""
    dispute = get_object_or_404(Dispute, pk=pk)
    form = MoveLinkForm(request.POST)
    if not form.is_valid():
        return _invalid_links_form(request, dispute)
    order = list(_links(dispute).values_list("pk", flat=True))
    if link_id in order:
        at = order.index(link_id)
        to = max(0, min(len(order) - 1, at + (-1 if form.cleaned_data["direction"] == "up" else 1)))
        order[at], order[to] = order[to], order[at]
    version = form.cleaned_data["version"]
    return _links_answer(
        request, dispute, lambda: dispute.reorder_links(by=request.user, version=version, link_ids=order), version,
        success="Order changed.",
    )  # fmt: skip


@require_POST
@_editing
def link_remove(request: AuthedHtmxRequest, pk: int, link_id: int) -> HttpResponse:
    """Stop citing a statement in this dispute (the statement stays on the desk)."""
    dispute = get_object_or_404(Dispute, pk=pk)
    form = VersionForm(request.POST)
    if not form.is_valid():
        return _invalid_links_form(request, dispute)
    version = form.cleaned_data["version"]
    return _links_answer(
        request, dispute, lambda: dispute.remove_link(by=request.user, version=version, link_id=link_id), version,
        success="Statement removed.",
    )  # fmt: skip


# --- preview, submit, new revision ----------------------------------------------------------------


@require_GET
@_editing
def dispute_preview(request: AuthedHtmxRequest, pk: int) -> HttpResponse:
    """Show the public page as it would look with the draft as it stands now, marked as not published."""
    dispute = get_object_or_404(Dispute, pk=pk)
    data = dispute.frozen()
    context = {
        "dispute": dispute,
        "data": data,
        "resolution": resolution_label(data.get("resolution")),
        "groups": grouped(cards_for(data)),
        "timeline": [],
        "claim_review": None,  # a preview is not a review: never offered to aggregators
    }
    response = render(request, "disputes/builder/preview.html", context)
    response["X-Robots-Tag"] = "noindex, nofollow"
    patch_cache_control(response, private=True, no_store=True)
    return response


@require_POST
@_editing
def dispute_submit(request: AuthedHtmxRequest, pk: int) -> HttpResponse:
    """Send the dispute to review, or say in words what is still missing."""
    dispute = get_object_or_404(Dispute, pk=pk)
    try:
        dispute.submit(by=request.user)
    except (InvalidTransition, StaleDispute) as exc:
        problems = dispute.submission_problems() if dispute.state in EDITABLE else []
        problems = problems or [str(exc)]
        if not request.htmx:
            return _page(request, dispute, status=422, problems=problems)
        response = render(request, TEMPLATE + "#builder-problems", {"problems": problems}, status=422)
        return reswap(retarget(response, "#builder-problems"), "outerHTML")
    messages.success(request, "Sent for review. A reviewer other than you will decide on it.")
    if request.htmx:
        return HttpResponseClientRedirect(reverse("disputes:dispute-edit", args=[dispute.pk]))
    return redirect("disputes:dispute-edit", pk=dispute.pk)


@require_POST
@_editing
def dispute_revise(request: AuthedHtmxRequest, pk: int) -> HttpResponse:
    """Open a published dispute for a new revision; readers keep the approved one meanwhile."""
    dispute = get_object_or_404(Dispute, pk=pk)
    try:
        dispute.start_revision(by=request.user)
    except (InvalidTransition, StaleDispute) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, "A new revision is open. Readers see the approved version until it is approved again."
        )
    return redirect("disputes:dispute-edit", pk=dispute.pk)
