"""The desk: capture a passage of a source (by selecting or pasting it) and say who said it.

The flow: the source page → `quote_capture` (or `quote_find`, then `quote_capture`) → the
attribution step (`statement_create`) → the dispute the editor came from, or the new statement.
Every step answers an htmx request with a fragment and a plain request with a full page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django_htmx.http import reswap, retarget

from articles import extract, quotes
from articles.checking import locate_in_current_snapshot
from articles.models import Quote, Snapshot, Source
from config.http import AuthedHtmxRequest

from ..forms import ActorForm, DisputeTargetForm, QuoteCaptureForm, QuoteFindForm, StatementForm
from ..models import Actor, InvalidTransition, StaleDispute, Statement

ACTORS_SHOWN = 12
CONTEXT_SHOWN = 120
NOT_IN_OUR_COPY = "That passage is not in our copy of the page. Select it again in the text, or paste it instead."
# What `quotes.locate` may answer for a selection that is the snapshot's own words.
SAME_WORDS = {quotes.PRESENT, quotes.PRESENT_MOVED, quotes.PRESENT_NORMALISED, quotes.AMBIGUOUS}
NOT_FOUND = {quotes.GONE, quotes.GONE_WITH_PAGE, quotes.NOT_CHECKED}


def _desk(view):  # type: ignore[no-untyped-def]
    """Let in signed-in people who may attribute statements (editors)."""
    return login_required(permission_required("disputes.add_statement", raise_exception=True)(view))


# --- capturing a passage ----------------------------------------------------------------------


@require_POST
@_desk
def quote_capture(request: AuthedHtmxRequest, source_pk: int) -> HttpResponse:
    """Anchor the selected passage in our copy of the page, then ask who said it."""
    source = get_object_or_404(Source.objects.select_related("outlet"), pk=source_pk)
    form = QuoteCaptureForm(request.POST, source=source)
    span = _selected_span(form) if form.is_valid() else None
    if span is None:
        context = {"source": source, "problem": NOT_IN_OUR_COPY if form.is_valid() else _first_error(form)}
        return _render_step(request, "disputes/statements/capture_refused.html", context, status=422)
    quote = _capture(request, form.cleaned_data["snapshot"], *span)
    if not request.htmx:
        return redirect(_with_query(reverse("disputes:statement-create", args=[quote.pk]), form.target()))
    statement_form = StatementForm(initial={**form.target(), "stated_on": _published_on(source)})
    return render(request, "disputes/statements/attribute.html#attribute-step",
                  _attribute_context(quote, statement_form, chosen=None))  # fmt: skip


@require_POST
@_desk
def quote_find(request: AuthedHtmxRequest, source_pk: int) -> HttpResponse:
    """Look for a pasted passage in our copy of the page and show what we found, to confirm."""
    source = get_object_or_404(Source.objects.select_related("outlet", "current_snapshot"), pk=source_pk)
    form = QuoteFindForm(request.POST)
    found = None
    if form.is_valid() and source.current_snapshot is not None:
        found = find_passage(source.current_snapshot, form.cleaned_data["passage"])
    context = {"source": source, "form": form, "found": found, "target": form.target() if form.is_valid() else {}}
    template = "disputes/statements/find.html#find-result" if request.htmx else "disputes/statements/find.html"
    return render(request, template, context)


def _selected_span(form: QuoteCaptureForm) -> tuple[int, int] | None:
    """Return where the selection stands in the snapshot's own text, or None if it is not there."""
    data = form.cleaned_data
    return locate_selection(data["snapshot"].main_text, data["exact"], data.get("start"), data.get("end"))


def locate_selection(text: str, exact: str, start: int | None, end: int | None) -> tuple[int, int] | None:
    """Find the selected words in the text: at the offsets given, elsewhere verbatim, or folded alike.

    Only the snapshot's own words are accepted: a selection that reads differently (edited in the
    page, or picked from another version) is refused rather than re-anchored onto a lookalike.
    """
    given = start is not None and end is not None and 0 <= start < end <= len(text)
    if given and _squash(text[start:end]) == _squash(exact):  # type: ignore[index]
        return _trim(text, start, end)  # type: ignore[arg-type]
    wanted = exact.strip()
    hits = [match.start() for match in re.finditer(re.escape(wanted), text)] if wanted else []
    if hits:
        at = min(hits, key=lambda hit: abs(hit - (start or 0)))
        return _trim(text, at, at + len(wanted))
    location = quotes.locate(quotes.Selector(exact=extract.normalise(exact), start=start, end=end), text)
    if location.status in SAME_WORDS and location.start is not None and location.end is not None:
        return _trim(text, location.start, location.end)
    return None


def _squash(text: str) -> str:
    return " ".join(text.split())


def _trim(text: str, start: int, end: int) -> tuple[int, int] | None:
    """Leave out the spaces and line breaks a mouse selection picks up at its edges."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if start < end else None


def _capture(request: AuthedHtmxRequest, snapshot: Snapshot, start: int, end: int) -> Quote:
    """Return the quote of this span of the snapshot, creating it with a selector built from our text.

    A new quote is located at once in the source's current copy, which may be newer than the one it
    was selected in: it is never published "not yet checked" while it waits for the next re-check.
    """
    with transaction.atomic():
        # Lock the (immutable) snapshot row so that a double submit finds the first quote, not a twin.
        Snapshot.objects.select_for_update().filter(pk=snapshot.pk).values("pk").get()
        existing = Quote.objects.filter(source_id=snapshot.source_id, snapshot=snapshot, start=start, end=end).first()
        if existing is not None:
            return existing
        selector = quotes.build_selector(snapshot.main_text, start, end)
        quote = Quote.objects.create(
            source_id=snapshot.source_id, snapshot=snapshot, exact=selector.exact, prefix=selector.prefix,
            suffix=selector.suffix, start=selector.start, end=selector.end, captured_by=request.user,
        )  # fmt: skip
        locate_in_current_snapshot(quote)
        return quote


@dataclass(frozen=True)
class Found:
    """A pasted passage as found in our copy: where, how closely, and the words around it."""

    snapshot: Snapshot
    start: int
    end: int
    exact: str
    before: str
    after: str
    status: str
    score: float | None

    @property
    def status_text(self) -> str:
        return "Found word for word" if self.status == quotes.PRESENT else str(Quote.Status(self.status).label)

    @property
    def verbatim(self) -> bool:
        return self.status in SAME_WORDS


def find_passage(snapshot: Snapshot, passage: str) -> Found | None:
    """Find a pasted passage in the snapshot's article text: verbatim first, then approximately."""
    text, wanted = snapshot.main_text, extract.normalise(passage)
    at = text.find(wanted)
    if at >= 0:
        start, end, status, score = at, at + len(wanted), quotes.PRESENT, 1.0
    else:
        location = quotes.locate(quotes.Selector(exact=wanted), text, snapshot.full_text)
        if location.status in NOT_FOUND or location.searched_in != "main" or location.start is None:
            return None
        start, end, status, score = location.start, location.end or location.start, location.status, location.score
    before, after = text[max(0, start - CONTEXT_SHOWN) : start], text[end : end + CONTEXT_SHOWN]
    if start > CONTEXT_SHOWN and " " in before:
        before = before.split(" ", 1)[1]  # start the context at a word
    if end + CONTEXT_SHOWN < len(text) and " " in after:
        after = after.rsplit(" ", 1)[0]
    return Found(snapshot, start, end, text[start:end], before, after, status, score)


# --- saying who said it -----------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@_desk
def statement_create(request: AuthedHtmxRequest, quote_pk: int) -> HttpResponse:
    """Ask who said the captured passage, and save the statement (into a dispute, if one is carried)."""
    quote = get_object_or_404(Quote.objects.select_related("source__outlet"), pk=quote_pk)
    picked = request.POST.get("speaker") or request.GET.get("speaker")
    chosen = Actor.objects.select_related("organisation").filter(pk=_int(picked)).first()
    if request.method == "POST":
        form = StatementForm(request.POST)
        if form.is_valid():
            statement = _save_statement(quote, form.cleaned_data, by=request.user)
            return _into_dispute(request, statement, form)
    else:
        target = DisputeTargetForm(request.GET)
        initial = {**(target.target() if target.is_valid() else {}), "stated_on": _published_on(quote.source)}
        form = StatementForm(initial={**initial, "speaker": chosen.pk if chosen else None})
    template = "disputes/statements/attribute.html"
    return render(request, template + "#attribute-step" if request.htmx else template,
                  _attribute_context(quote, form, chosen=chosen))  # fmt: skip


def _save_statement(quote: Quote, data: dict[str, Any], *, by: Any) -> Statement:
    """Return the statement of this quote by this speaker, so a double submit saves it once."""
    with transaction.atomic():
        Quote.objects.select_for_update().filter(pk=quote.pk).values("pk").get()
        statement, _ = Statement.objects.get_or_create(
            quote=quote, speaker=data["speaker"], attribution=data["attribution"],
            defaults={"stated_on": data["stated_on"], "created_by": by},
        )  # fmt: skip
    return statement


def _into_dispute(request: AuthedHtmxRequest, statement: Statement, form: StatementForm) -> HttpResponse:
    """Cite the new statement in the dispute the editor came from, or show it on its own."""
    dispute, role, version = (form.cleaned_data[name] for name in ("dispute", "role", "version"))
    if dispute is None:
        messages.success(request, "Statement saved.")
        return redirect("disputes:statement-detail", pk=statement.pk)
    if not dispute.links.filter(statement=statement).exists():
        try:
            dispute.add_link(by=request.user, version=version, statement=statement, role=role)
        except (StaleDispute, InvalidTransition) as exc:
            messages.error(request, f"{exc} Your statement is saved: add it to the dispute from here.")
            return redirect(_with_query(reverse("disputes:statement-detail", args=[statement.pk]), form.target()))
    messages.success(request, "Statement saved and added to the dispute.")
    return redirect("disputes:dispute-edit", pk=dispute.pk)


@require_safe
@_desk
def statement_detail(request: AuthedHtmxRequest, pk: int) -> HttpResponse:
    """Show a saved statement, with how to use it in a dispute."""
    statement = get_object_or_404(
        Statement.objects.select_related("quote__source__outlet", "speaker__organisation"), pk=pk
    )
    target = DisputeTargetForm(request.GET)
    dispute = target.cleaned_data["dispute"] if target.is_valid() else None
    return render(request, "disputes/statements/statement_detail.html", {"statement": statement, "dispute": dispute})


def _attribute_context(quote: Quote, form: StatementForm, *, chosen: Actor | None) -> dict[str, Any]:
    here = reverse("disputes:statement-create", args=[quote.pk])
    target = {name: form[name].value() for name in ("dispute", "role", "version") if form[name].value()}
    return {
        "quote": quote, "source": quote.source, "form": form, "actors": [chosen] if chosen else [],
        "chosen": chosen.pk if chosen else None, "next": _with_query(here, target),
        "actor_form": ActorForm(), "pick": True,
    }  # fmt: skip


# --- speakers ---------------------------------------------------------------------------------


@require_safe
@_desk
def actor_search(request: AuthedHtmxRequest) -> HttpResponse:
    """List the speakers whose name, role or organisation matches what the editor typed."""
    query = request.GET.get("q", "").strip()
    actors = Actor.objects.none()
    if query:
        actors = (
            Actor.objects.select_related("organisation")
            .filter(Q(name__icontains=query) | Q(role__icontains=query) | Q(organisation__name__icontains=query))
            .order_by("name", "pk")[:ACTORS_SHOWN]
        )
    context = {"actors": actors, "query": query, "next": _safe_next(request), "pick": bool(request.htmx)}
    if request.htmx:
        return render(request, "disputes/statements/_actor_results.html", context)
    return render(request, "disputes/statements/actor_search.html", {**context, "actor_form": ActorForm()})


@require_http_methods(["GET", "POST"])
@_desk
def actor_create(request: AuthedHtmxRequest) -> HttpResponse:
    """Add a speaker (and their organisation, if new), or pick the one we already have."""
    form = ActorForm(request.POST if request.method == "POST" else None)
    if request.method == "GET" or not form.is_valid():
        context = {"actor_form": form, "next": _safe_next(request)}
        if request.htmx:
            response = render(request, "disputes/statements/_actor_form.html", context)
            return reswap(retarget(response, "#new-actor"), "outerHTML")
        return render(request, "disputes/statements/actor_form.html", context, status=422 if form.is_bound else 200)
    try:
        with transaction.atomic():
            actor, created = form.save()
    except IntegrityError:  # the same speaker, added a moment ago by someone else
        actor, created = form.save()
    note = f"Added {actor}." if created else f"{actor} was already on file: picked."
    if request.htmx:
        context = {"actors": [actor], "chosen": actor.pk, "pick": True, "note": note}
        return render(request, "disputes/statements/_actor_results.html", context)
    messages.success(request, note)
    next_url = _safe_next(request)
    if next_url:
        return redirect(_with_query(next_url, {"speaker": actor.pk}))
    return redirect(_with_query(reverse("disputes:actor-search"), {"q": actor.name}))


# --- small helpers ----------------------------------------------------------------------------


def _render_step(request: AuthedHtmxRequest, template: str, context: dict[str, Any], *, status: int) -> HttpResponse:
    """Render a step: its fragment for htmx (swapped in, so 200), the full page otherwise."""
    if request.htmx:
        return render(request, template + "#step", context)
    return render(request, template, context, status=status)


def _first_error(form: QuoteCaptureForm) -> str:
    for errors in form.errors.values():
        return str(errors[0])
    return NOT_IN_OUR_COPY


def _published_on(source: Source) -> Any:
    return timezone.localdate(source.published_at) if source.published_at else None


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def _with_query(url: str, params: dict[str, Any]) -> str:
    params = {name: value for name, value in params.items() if value not in (None, "")}
    if not params:
        return url
    return url + ("&" if "?" in url else "?") + urlencode(params)


def _safe_next(request: AuthedHtmxRequest) -> str:
    """Return the local address to come back to after picking a speaker, or ""."""
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    allowed = url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}, require_https=False)
    return next_url if allowed and next_url.startswith("/") else ""
