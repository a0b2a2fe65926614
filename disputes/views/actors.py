"""The desk: correct who a speaker or an organisation is said to be.

An actor is a row many disputes show (DESIGN §4): `Actor.update_details` records a change on each of
them and sends the published ones back to review, while readers keep the approved words. The page
says so before saving, and lists those disputes.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_http_methods
from django_htmx.http import HttpResponseClientRedirect

from articles.signals import DetailChange, described
from config.http import AuthedHtmxRequest

from ..forms import ActorDetailsForm
from ..models import Actor, Dispute, DisputeLink
from .statements import _safe_next


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
@permission_required("disputes.change_actor", raise_exception=True)
def actor_edit(request: AuthedHtmxRequest, pk: int) -> HttpResponse:
    """Correct a speaker's details, and send the published disputes that show them back to review."""
    actor = get_object_or_404(Actor.objects.select_related("organisation"), pk=pk)
    form = ActorDetailsForm(request.POST if request.method == "POST" else None, instance=actor)
    if form.is_valid():
        published = list(showing(actor).filter(state=Dispute.State.PUBLISHED).values_list("pk", flat=True))
        try:
            changes = form.save_details(by=request.user)
        except ValidationError as exc:  # the model's own rules, e.g. an organisation of itself
            form.add_error(None, exc)
        else:
            if changes:
                sent_back = Dispute.objects.filter(pk__in=published, state=Dispute.State.IN_REVIEW).count()
                messages.success(request, saved_text(changes, sent_back))
            else:
                messages.info(request, "Nothing changed.")
            return _back_here(request, actor)
    organisations = Actor.objects.filter(organisation=None, kind=Actor.Kind.ORGANISATION).exclude(pk=actor.pk)
    context = {
        "form": form, "actor": actor, "disputes": list(showing(actor)), "next": _safe_next(request),
        "organisation_names": organisations.values_list("name", flat=True),
    }  # fmt: skip
    template = "disputes/statements/actor_edit.html" + ("#actor-edit-form" if request.htmx else "")
    return render(request, template, context, status=422 if form.is_bound else 200)


def showing(actor: Actor) -> QuerySet[Dispute]:
    """Return the disputes that show this actor (withdrawn notices aside), in one query.

    A dispute shows an actor when it quotes them, or, by name only, one of their organisation's
    members; `quotes_them` tells the two apart.
    """
    quoting = DisputeLink.objects.filter(dispute=OuterRef("pk"), statement__speaker=actor)
    return (
        Dispute.objects.filter(Q(links__statement__speaker=actor) | Q(links__statement__speaker__organisation=actor))
        .exclude(state=Dispute.State.WITHDRAWN)
        .annotate(quotes_them=Exists(quoting))
        .only("pk", "claim_text", "state")
        .distinct()
        .order_by("claim_text", "pk")
    )


def saved_text(changes: list[DetailChange], sent_back: int) -> str:
    """Say what was saved, and what it did to the published disputes that show it."""
    if not sent_back:
        return f"Saved: {described(changes)}. No published dispute had to go back to review."
    return (
        f"Saved: {described(changes)}. {sent_back} published dispute{pluralize(sent_back)} went back to "
        "review; readers keep the approved words until a reviewer approves."
    )


def _back_here(request: AuthedHtmxRequest, actor: Actor) -> HttpResponse:
    """Show the page again as saved (a full page load, also after an htmx post), keeping the way back."""
    url = reverse("disputes:actor-edit", args=[actor.pk])
    next_url = _safe_next(request)
    if next_url:
        url += "?" + urlencode({"next": next_url})
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
