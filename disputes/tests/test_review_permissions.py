"""Who may do what (reference B-T6): every role against every view and action, with its exact status.

Rows are people: anonymous, editor A (the dispute's author), editor B, a reviewer, and a reviewer who
wrote the dispute (someone in both roles). Columns are what they try, each on a dispute in the state
the action needs. A refused action must also leave the dispute as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from disputes.models import Dispute, Event, content_hash
from disputes.tests.factories import ready_for_review

pytestmark = pytest.mark.django_db

PEOPLE = ["anonymous", "editor_a", "editor_b", "reviewer", "reviewer_author"]


@dataclass(frozen=True)
class Action:
    state: str  # the state the dispute is put in first: draft, in_review, published, flagged
    method: str
    url: Callable[[Dispute], str]
    data: Callable[[Dispute], dict[str, Any]] | None = None


def _content(dispute: Dispute) -> dict[str, Any]:
    return {"claim_text": "A reworded claim", "summary": "", "context": "", "resolution": "denied",
            "version": dispute.version}  # fmt: skip


def _decision(decision: str) -> Callable[[Dispute], dict[str, Any]]:
    return lambda dispute: {
        "decision": decision, "comment": "Because.", "version": dispute.version,
        "content_hash": content_hash(dispute.frozen()),
    }  # fmt: skip


def _reason(prefix: str) -> Callable[[Dispute], dict[str, Any]]:
    return lambda dispute: {f"{prefix}-reason": "Because.", f"{prefix}-version": dispute.version}


ACTIONS = {
    "public page of a draft": Action("draft", "get", lambda d: reverse("disputes:dispute-detail", args=[d.slug])),
    "public page, published": Action("published", "get", lambda d: reverse("disputes:dispute-detail", args=[d.slug])),
    "builder: view draft": Action("draft", "get", lambda d: reverse("disputes:dispute-edit", args=[d.pk])),
    "builder: edit draft": Action("draft", "post", lambda d: reverse("disputes:dispute-edit", args=[d.pk]), _content),
    "builder: submit": Action("draft", "post", lambda d: reverse("disputes:dispute-submit", args=[d.pk]), lambda d: {}),
    "review queue": Action("in_review", "get", lambda d: reverse("review:queue")),
    "re-check queue": Action("flagged", "get", lambda d: reverse("review:recheck")),
    "review page": Action("in_review", "get", lambda d: reverse("review:dispute", args=[d.pk])),
    "review page, no such dispute": Action("in_review", "get", lambda d: reverse("review:dispute", args=[d.pk + 999])),
    "approve": Action("in_review", "post", lambda d: reverse("review:decide", args=[d.pk]), _decision("approve")),
    "request changes": Action(
        "in_review", "post", lambda d: reverse("review:decide", args=[d.pk]), _decision("request_changes")
    ),
    "reject": Action("in_review", "post", lambda d: reverse("review:decide", args=[d.pk]), _decision("reject")),
    "withdraw": Action("published", "post", lambda d: reverse("review:withdraw", args=[d.pk]), _reason("withdraw")),
    "re-confirm": Action("flagged", "post", lambda d: reverse("review:reconfirm", args=[d.pk]), _reason("reconfirm")),
    "send back": Action("flagged", "post", lambda d: reverse("review:send-back", args=[d.pk]), _reason("send-back")),
    "delete (admin)": Action(
        "published", "post", lambda d: reverse("admin:disputes_dispute_delete", args=[d.pk]), lambda d: {"post": "yes"}
    ),
}

LOGIN = 302  # anonymous people are sent to sign in, whether or not the dispute exists: nothing leaks
# fmt: off
EXPECTED: dict[str, tuple[int, int, int, int, int]] = {
    #                                anonymous editor_a editor_b reviewer reviewer_author
    "public page of a draft":        (404,      404,     404,     404,     404),
    "public page, published":        (200,      200,     200,     200,     200),
    "builder: view draft":           (LOGIN,    200,     200,     403,     200),
    "builder: edit draft":           (LOGIN,    302,     302,     403,     302),
    "builder: submit":               (LOGIN,    302,     302,     403,     302),
    "review queue":                  (LOGIN,    200,     200,     200,     200),
    "re-check queue":                (LOGIN,    200,     200,     200,     200),
    "review page":                   (LOGIN,    200,     200,     200,     200),
    "review page, no such dispute":  (LOGIN,    404,     404,     404,     404),
    "approve":                       (LOGIN,    403,     403,     302,     403),
    "request changes":               (LOGIN,    403,     403,     302,     403),
    "reject":                        (LOGIN,    403,     403,     302,     403),
    "withdraw":                      (LOGIN,    403,     403,     302,     302),
    "re-confirm":                    (LOGIN,    403,     403,     302,     403),
    "send back":                     (LOGIN,    403,     403,     302,     302),
    "delete (admin)":                (302,      302,     302,     302,     302),
}
# fmt: on
CELLS = [(action, person) for action in ACTIONS for person in PEOPLE]


@pytest.fixture
def people(editor: User, other_editor: User, reviewer: User, editor_reviewer: User) -> dict[str, User | None]:
    return {"anonymous": None, "editor_a": editor, "editor_b": other_editor, "reviewer": reviewer,
            "reviewer_author": editor_reviewer}  # fmt: skip


def _dispute_in(state: str, author: User, approver: User) -> Dispute:
    dispute = ready_for_review(created_by=author, last_edited_by=author)
    if state == "draft":
        return dispute
    dispute.submit(by=author)
    if state == "in_review":
        return dispute
    dispute.publish(by=approver)
    if state == "flagged":
        dispute.flag_for_recheck(reason="The rebuttal's article was edited")
    return dispute


@pytest.mark.parametrize(("action", "person"), CELLS, ids=[f"{a} / {p}" for a, p in CELLS])
def test_permission_matrix(action: str, person: str, people: dict[str, User | None], client: Client) -> None:
    spec = ACTIONS[action]
    user = people[person]
    # The reviewer who is also the author gets a dispute of their own; everyone else editor A's.
    author = people["reviewer_author"] if person == "reviewer_author" else people["editor_a"]
    approver = people["reviewer"] if person == "reviewer_author" else people["reviewer_author"]
    assert author is not None and approver is not None
    dispute = _dispute_in(spec.state, author, approver)
    before = Dispute.objects.values("state", "version", "needs_recheck").get(pk=dispute.pk)
    events_before = Event.objects.filter(dispute=dispute).count()
    if user is not None:
        client.force_login(user)

    url = spec.url(dispute)
    if spec.method == "get":
        response = client.get(url)
    else:
        response = client.post(url, spec.data(dispute) if spec.data else {})

    expected = EXPECTED[action][PEOPLE.index(person)]
    assert response.status_code == expected, f"{action} by {person}: {response.status_code}, expected {expected}"
    if user is None and expected == LOGIN:
        login = reverse("admin:login") if "admin" in action else reverse("login")
        assert response["Location"].startswith(login)
    if (spec.method == "post" and expected != 302) or user is None or action == "delete (admin)":
        # Refused: nothing changed, nothing was recorded.
        assert Dispute.objects.values("state", "version", "needs_recheck").get(pk=dispute.pk) == before
        assert Event.objects.filter(dispute=dispute).count() == events_before
    elif spec.method == "post":
        assert Dispute.objects.values("state", "version", "needs_recheck").get(pk=dispute.pk) != before


def test_the_last_editor_is_told_why_they_cannot_decide(
    client: Client, draft: Dispute, editor: User, editor_reviewer: User
) -> None:
    draft.update_content(by=editor_reviewer, version=draft.version, summary="Tightened by a second pair of hands")
    draft.submit(by=editor)
    client.force_login(editor_reviewer)
    page = client.get(reverse("review:dispute", args=[draft.pk])).content.decode()
    assert "another reviewer must decide" in page
    assert 'action="' + reverse("review:decide", args=[draft.pk]) not in page  # no decision form at all
    response = client.post(reverse("review:decide", args=[draft.pk]), {"decision": "approve", "version": draft.version})
    assert response.status_code == 403
    assert "another reviewer must decide" in response.content.decode()
    assert Dispute.objects.get(pk=draft.pk).state == Dispute.State.IN_REVIEW
