"""An approval covers exactly what readers see (issue 12): each case a hostile insider found, reproduced.

1. Approval published words the reviewer never saw (a source's headline, a speaker's name changed while
   the review page was open): now the approval is of the page's content hash, and refused (409).
2. An account in both roles approved its own work (it changed the cited source, or wrote the text and
   let another editor submit): four-eyes now counts every contributor since the last approval.
3. One editor changed what readers see with no review and no record: readers now see the details as
   approved; the change is an Event on the source and on each dispute showing it, which goes to review.
4. The list page's ETag moved on private edits to a new revision of a published dispute.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from articles.models import Outlet, Source
from disputes.models import (
    Actor,
    Contributor,
    Dispute,
    Event,
    FourEyesViolation,
    Revision,
    StaleDispute,
    content_hash,
)
from disputes.tests.factories import add_link, ready_for_review

pytestmark = pytest.mark.django_db

OLD_TITLE = "Trump urges Putin to avoid escalation in Ukraine, WP reports"
NEW_TITLE = "Trump and Putin did not speak, Kremlin says"


def cited_source(dispute: Dispute) -> Source:
    return dispute.links.select_related("statement__quote__source__outlet").first().statement.quote.source


def shown_hash(client: Client, dispute: Dispute) -> tuple[str, str]:
    """Open the review page as the signed-in reviewer and read the version and hash its form carries."""
    page = client.get(reverse("review:dispute", args=[dispute.pk])).content.decode()
    version = re.search(r'name="version" value="(\d+)"', page)
    digest = re.search(r'name="content_hash" value="([0-9a-f]{64})"', page)
    assert version and digest, "the review page has no decision form"
    return version.group(1), digest.group(1)


def approve(client: Client, dispute: Dispute, version: str, digest: str) -> object:
    data = {"decision": "approve", "comment": "", "version": version, "content_hash": digest}
    return client.post(reverse("review:decide", args=[dispute.pk]), data)


def edit_source(client: Client, source: Source, **changes: str) -> object:
    source.refresh_from_db()
    data = {
        "title": source.title, "outlet_name": source.outlet.name if source.outlet else "", "byline": source.byline,
        "published_on": timezone.localdate(source.published_at).isoformat() if source.published_at else "",
        "language": source.language, **changes,
    }  # fmt: skip
    return client.post(reverse("articles:source-edit", args=[source.pk]), data)


@pytest.fixture
def titled(published: Dispute) -> Dispute:
    """A published dispute whose appearance cites a source with a headline, as approved."""
    source = cited_source(published)
    Source.objects.filter(pk=source.pk).update(title=OLD_TITLE)
    published.start_revision(by=published.created_by)
    published.submit(by=published.created_by)
    published.publish(by=User.objects.get(username="reviewer"))
    published.refresh_from_db()
    return published


# --- 1. approval publishes exactly what the reviewer saw ------------------------------------------


def test_a_headline_changed_while_the_review_page_is_open_refuses_the_approval(
    client: Client, in_review: Dispute, reviewer: User, other_editor: User
) -> None:
    client.force_login(reviewer)
    version, digest = shown_hash(client, in_review)
    source = cited_source(in_review)

    editor = Client()
    editor.force_login(other_editor)
    assert edit_source(editor, source, title=NEW_TITLE).status_code == 302

    response = approve(client, in_review, version, digest)
    assert response.status_code == 409
    assert "What readers would see has changed since you opened this page" in response.content.decode()
    in_review.refresh_from_db()
    assert in_review.state == Dispute.State.IN_REVIEW and in_review.public_revision is None
    assert not Revision.objects.filter(dispute=in_review).exists()
    # The history says what changed, and who did it.
    event = Event.objects.get(dispute=in_review, kind="details_changed")
    assert event.actor == other_editor and f"headline “{source.title}” → “{NEW_TITLE}”" in event.note

    # Reviewed again, as it now stands, it goes out with the new headline.
    version, digest = shown_hash(client, in_review)
    assert approve(client, in_review, version, digest).status_code == 302
    in_review.refresh_from_db()
    assert in_review.public_revision.data["links"][0]["source"]["title"] == NEW_TITLE
    assert in_review.public_revision.content_hash == digest


def test_a_speaker_renamed_while_the_review_page_is_open_refuses_the_approval(
    client: Client, in_review: Dispute, reviewer: User, other_editor: User
) -> None:
    client.force_login(reviewer)
    version, digest = shown_hash(client, in_review)
    speaker = in_review.links.first().statement.speaker
    speaker.update_details(by=other_editor, name="Heorhii Tykhyi (renamed)")

    assert approve(client, in_review, version, digest).status_code == 409
    assert not Revision.objects.filter(dispute=in_review).exists()


def test_publish_refuses_a_hash_of_other_words(in_review: Dispute, reviewer: User) -> None:
    seen = content_hash(in_review.frozen())
    Source.objects.filter(pk=cited_source(in_review).pk).update(byline="Someone else")
    with pytest.raises(StaleDispute):
        in_review.publish(by=reviewer, seen_hash=seen)
    assert not Revision.objects.filter(dispute=in_review).exists()


def test_the_approved_revision_records_the_hash_of_its_words(published: Dispute) -> None:
    revision = published.public_revision
    assert revision.content_hash == content_hash(revision.data)
    link = revision.data["links"][0]
    assert {"byline", "language", "title", "outlet", "published_at"} <= set(link["source"])
    assert link["statement"] and link["speaker"]["id"]


def test_the_admin_cannot_rename_a_speaker(client: Client, published: Dispute) -> None:
    staff = User.objects.create_superuser("staff", "staff@example.org", "correct horse battery")
    client.force_login(staff)
    speaker = published.links.first().statement.speaker
    url = reverse("admin:disputes_actor_change", args=[speaker.pk])
    response = client.post(url, {"name": "Another name", "kind": "person", "role": "", "wikidata_qid": ""})
    assert response.status_code == 403
    speaker.refresh_from_db()
    assert speaker.name != "Another name"
    for model in ("articles_source", "articles_outlet", "disputes_statement", "articles_quote"):
        assert client.get(reverse(f"admin:{model}_add")).status_code == 403


# --- 2. four-eyes counts every hand ---------------------------------------------------------------


def test_a_dual_role_account_that_changed_the_cited_source_cannot_approve(
    client: Client, in_review: Dispute, editor_reviewer: User
) -> None:
    client.force_login(editor_reviewer)
    assert edit_source(client, cited_source(in_review), title=NEW_TITLE).status_code == 302
    in_review.refresh_from_db()

    page = client.get(reverse("review:dispute", args=[in_review.pk])).content.decode()
    assert "You contributed to this version (changed a cited source" in page
    assert "Record decision" not in page
    data = {"decision": "approve", "version": in_review.version, "content_hash": content_hash(in_review.frozen())}
    assert client.post(reverse("review:decide", args=[in_review.pk]), data).status_code == 403
    with pytest.raises(FourEyesViolation):
        in_review.publish(by=editor_reviewer)
    in_review.refresh_from_db()
    assert in_review.state == Dispute.State.IN_REVIEW


def test_a_dual_role_account_that_wrote_the_text_cannot_approve_after_another_editor_submits(
    client: Client, draft: Dispute, editor: User, other_editor: User, editor_reviewer: User
) -> None:
    draft.update_content(
        by=editor_reviewer, version=draft.version, claim_text="Kyiv was told in advance", summary="Written by D."
    )
    draft.update_content(by=other_editor, version=draft.version, resolution=Dispute.Resolution.CONTRADICTED)
    draft.submit(by=other_editor)
    # Today's rule looked at the author and the last editor only: neither is the dual-role account.
    assert editor_reviewer.pk not in {draft.created_by_id, draft.last_edited_by_id}

    client.force_login(editor_reviewer)
    data = {"decision": "approve", "version": draft.version, "content_hash": content_hash(draft.frozen())}
    response = client.post(reverse("review:decide", args=[draft.pk]), data)
    assert response.status_code == 403
    assert "edited the dispute" in response.content.decode()
    queue = client.get(reverse("review:queue"), {"decidable": "1"}).content.decode()
    assert draft.claim_text not in queue  # "only ones I may decide on" leaves it out


@pytest.mark.parametrize("hand", ["statement", "quote"])
def test_whoever_wrote_a_cited_statement_or_captured_its_quote_cannot_approve(
    draft: Dispute, editor: User, editor_reviewer: User, hand: str
) -> None:
    link = add_link(draft, "support")
    link.delete()  # cite it through the workflow, as the builder does
    statement = link.statement
    if hand == "statement":
        statement.created_by = editor_reviewer
        statement.save(update_fields=["created_by"])
    else:
        statement.quote.__class__.objects.filter(pk=statement.quote_id).update(captured_by=editor_reviewer)
        statement.refresh_from_db()
    draft.add_link(by=editor, version=draft.version, statement=statement, role="support")
    draft.submit(by=editor)
    with pytest.raises(FourEyesViolation):
        draft.publish(by=editor_reviewer)


def test_the_database_refuses_an_approval_by_a_contributor(in_review: Dispute, editor_reviewer: User) -> None:
    Contributor.record([in_review.pk], editor_reviewer, "changed a cited source's details")
    with pytest.raises(IntegrityError), transaction.atomic():
        Revision.objects.create(
            dispute=in_review, dispute_version=in_review.version, data={}, approved_by=editor_reviewer
        )


def test_an_approval_closes_the_round_so_last_rounds_hands_may_decide_on_the_next(
    in_review: Dispute, reviewer: User, editor_reviewer: User, editor: User
) -> None:
    Contributor.record([in_review.pk], editor_reviewer, "changed a cited source's details")
    in_review.publish(by=reviewer)
    assert not Contributor.objects.filter(dispute=in_review).pending().exists()

    in_review.start_revision(by=editor)
    in_review.update_content(by=editor, version=in_review.version, summary="A new round")
    in_review.submit(by=editor)
    in_review.publish(by=editor_reviewer)  # did nothing in this round: may decide
    assert in_review.public_revision.data["summary"] == "A new round"


# --- 3. a change to a shared row goes through review, on the record -------------------------------


def test_source_details_edited_by_hand_reach_readers_only_after_review(
    client: Client, titled: Dispute, editor: User, reviewer: User
) -> None:
    source = cited_source(titled)
    public_source = reverse("disputes:source-detail", args=[source.pk])
    api_source = reverse("api:source-detail", args=[source.pk])
    Outlet.objects.filter(pk=source.outlet_id).update(name=source.outlet.domain)  # still its domain placeholder
    placeholder = source.outlet.domain
    titled.start_revision(by=editor)
    titled.submit(by=editor)
    titled.publish(by=reviewer)  # readers now see the placeholder as the outlet's name
    titled.refresh_from_db()
    before_page = Client().get(titled.get_absolute_url()).content.decode()
    assert placeholder in before_page

    desk = Client()
    desk.force_login(editor)
    response = edit_source(
        desk, source, title=NEW_TITLE, byline="A. Reporter", outlet_name="The Washington Post",
        published_on="2024-11-10", language="uk",
    )  # fmt: skip
    assert response.status_code == 302

    reader = Client()
    for url in (titled.get_absolute_url(), public_source):
        page = reader.get(url).content.decode()
        assert OLD_TITLE in page and NEW_TITLE not in page
        assert "The Washington Post" not in page and "A. Reporter" not in page
    record = reader.get(api_source).json()
    assert record["title"] == OLD_TITLE and record["outlet"] == placeholder and record["byline"] == ""
    assert record["language"] != "uk"
    statement = reader.get(reverse("api:dispute-detail", args=[titled.slug])).json()["statements"][0]
    assert statement["source"]["title"] == OLD_TITLE

    # On the record: the source's history, and each dispute showing it, which is back in review.
    titled.refresh_from_db()
    assert titled.state == Dispute.State.IN_REVIEW
    kinds = list(Event.objects.filter(dispute=titled, kind="details_changed").values_list("note", flat=True))
    assert any("headline" in note and "byline" in note and "publication date" in note for note in kinds)
    assert any("outlet name" in note and "The Washington Post" in note for note in kinds)
    assert Event.objects.filter(source=source, kind="details_changed", actor=editor).exists()
    review = Client()
    review.force_login(reviewer)
    page = review.get(reverse("review:dispute", args=[titled.pk])).content.decode()
    assert f"headline “{OLD_TITLE}” → “{NEW_TITLE}”" in page
    assert titled.claim_text in review.get(reverse("review:queue")).content.decode()

    version, digest = shown_hash(review, titled)
    assert approve(review, titled, version, digest).status_code == 302
    page = reader.get(public_source).content.decode()
    assert NEW_TITLE in page and "A. Reporter" in page and "The Washington Post" in page
    record = reader.get(api_source).json()
    assert (record["title"], record["byline"], record["language"]) == (NEW_TITLE, "A. Reporter", "uk")
    assert record["published_at"].startswith("2024-11-10")


def test_an_edit_that_changes_nothing_records_nothing(client: Client, titled: Dispute, editor: User) -> None:
    client.force_login(editor)
    events = Event.objects.count()
    assert edit_source(client, cited_source(titled)).status_code == 302
    assert Event.objects.count() == events
    titled.refresh_from_db()
    assert titled.state == Dispute.State.PUBLISHED


def test_a_withdrawn_dispute_keeps_its_notice_as_it_was(published: Dispute, reviewer: User, editor: User) -> None:
    published.withdraw(by=reviewer, reason="The claim was never made.")
    cited_source(published).update_details(by=editor, title=NEW_TITLE)
    published.refresh_from_db()
    assert published.state == Dispute.State.WITHDRAWN
    assert not Event.objects.filter(dispute=published, kind="details_changed").exists()


def test_renaming_an_organisation_reaches_the_disputes_quoting_its_members(
    published: Dispute, other_editor: User
) -> None:
    ministry = Actor.objects.create(name="Ministry of Foreign Affairs of Ukraine", kind="organisation")
    speaker = published.links.first().statement.speaker
    Actor.objects.filter(pk=speaker.pk).update(organisation=ministry)
    ministry.update_details(by=other_editor, role="A role readers never see")
    published.refresh_from_db()
    assert published.state == Dispute.State.PUBLISHED  # nothing readers see of it changed

    ministry.update_details(by=other_editor, name="Ukrainian foreign ministry")
    published.refresh_from_db()
    assert published.state == Dispute.State.IN_REVIEW
    assert published.contributions_of(other_editor) == ["changed a cited speaker's details"]


# --- 4. readers' validators depend on public data only --------------------------------------------


def test_the_list_page_stays_the_same_while_a_new_revision_is_written(client: Client, published: Dispute) -> None:
    first = client.get("/")
    etag = first["ETag"]
    editor = published.created_by
    published.start_revision(by=editor)
    published.update_content(by=editor, version=published.version, summary="A private draft of the summary")
    published.submit(by=editor)
    again = client.get("/", headers={"if-none-match": etag})
    assert again.status_code == 304

    reviewer = User.objects.get(username="reviewer")
    published.publish(by=reviewer)
    assert client.get("/", headers={"if-none-match": etag}).status_code == 200


def test_the_list_page_changes_when_a_flag_is_raised_or_a_dispute_withdrawn(
    client: Client, published: Dispute, reviewer: User
) -> None:
    etag = client.get("/")["ETag"]
    Dispute.objects.filter(pk=published.pk).flag_for_recheck({published.pk: "A source changed."})
    flagged = client.get("/", headers={"if-none-match": etag})
    assert flagged.status_code == 200
    published.refresh_from_db()
    published.withdraw(by=reviewer, reason="Withdrawn.")
    assert client.get("/", headers={"if-none-match": flagged["ETag"]}).status_code == 200


def test_a_source_page_stays_the_same_while_its_details_wait_for_review(
    client: Client, titled: Dispute, editor: User
) -> None:
    source = cited_source(titled)
    url = reverse("disputes:source-detail", args=[source.pk])
    etag = client.get(url)["ETag"]
    source.update_details(by=editor, title=NEW_TITLE, published_at=timezone.now() - dt.timedelta(days=3))
    assert client.get(url, headers={"if-none-match": etag}).status_code == 304
    assert client.get(titled.get_absolute_url()).status_code == 200


# --- what a second pair of eyes found -------------------------------------------------------------


def test_a_recheck_reason_names_the_source_as_readers_know_it(titled: Dispute, editor: User) -> None:
    """The reason of a flag is public: an outlet renamed on the desk, not yet approved, must not leak."""
    from articles import signals
    from articles.models import Fetch

    source = cited_source(titled)
    approved_outlet = titled.public_revision.data["links"][0]["source"]["outlet"]
    source.outlet.update_details(by=editor, name="A name nobody approved")
    titled.refresh_from_db()
    assert titled.state == Dispute.State.IN_REVIEW  # readers keep the approved revision meanwhile
    fetch = Fetch.objects.create(source=source, slot=timezone.now(), requested_url=source.url)
    signals.source_changed.send(sender=Source, source=source, fetch=fetch, liveness="dead")
    titled.refresh_from_db()
    assert titled.needs_recheck
    assert approved_outlet in titled.recheck_reason and "nobody approved" not in titled.recheck_reason
    page = Client().get(titled.get_absolute_url()).content.decode()
    assert "nobody approved" not in page


def test_the_review_page_shows_the_words_readers_get_off_the_dispute_page(
    client: Client, in_review: Dispute, reviewer: User
) -> None:
    source = cited_source(in_review)
    Source.objects.filter(pk=source.pk).update(byline="Ivana Kottasová")
    client.force_login(reviewer)
    page = client.get(reverse("review:dispute", args=[in_review.pk])).content.decode()
    assert "By: <bdi>Ivana Kottasová</bdi>" in page
    assert "Language: en" in page and f"Outlet's homepage: <bdi>{source.outlet.homepage}</bdi>" in page


def test_a_reviewer_who_edited_the_approved_version_cannot_reconfirm_it(
    client: Client, draft: Dispute, editor: User, editor_reviewer: User, reviewer: User
) -> None:
    draft.update_content(by=editor_reviewer, version=draft.version, summary="Written by the dual-role account")
    draft.update_content(by=editor, version=draft.version, context="Then the author again")
    draft.submit(by=editor)
    draft.publish(by=reviewer)
    draft.flag_for_recheck(reason="The rebuttal's article was edited.")
    client.force_login(editor_reviewer)
    data = {"reconfirm-reason": "Still stands.", "reconfirm-version": draft.version}
    assert client.post(reverse("review:reconfirm", args=[draft.pk]), data).status_code == 403
    draft.refresh_from_db()
    assert draft.needs_recheck


def test_a_source_changed_before_it_was_cited_counts_its_editor_among_the_hands(
    draft: Dispute, editor: User, editor_reviewer: User, reviewer: User
) -> None:
    link = add_link(draft, "support")
    link.delete()
    source = link.statement.quote.source
    source.update_details(by=editor_reviewer, title="Rewritten before anyone cited it")
    draft.add_link(by=editor, version=draft.version, statement=link.statement, role="support")
    draft.submit(by=editor)
    with pytest.raises(FourEyesViolation):
        draft.publish(by=editor_reviewer)
    draft.publish(by=reviewer)  # approved by another: the change is covered from now on
    other = ready_for_review(created_by=editor)
    other.add_link(by=editor, version=other.version, statement=link.statement, role="support")
    other.submit(by=editor)
    other.publish(by=editor_reviewer)


def test_an_import_that_changes_a_shared_row_sends_the_disputes_showing_it_to_review(
    titled: Dispute, editor: User
) -> None:
    from disputes.interchange import import_document

    source = cited_source(titled)
    document = {
        "format": "counterclaim-disputes", "version": 1,
        "outlets": [], "actors": [], "quotes": [], "statements": [], "disputes": [],
        "sources": [{"url": source.url, "title": "A headline from the file"}],
    }  # fmt: skip
    import_document(document)
    titled.refresh_from_db()
    assert titled.state == Dispute.State.IN_REVIEW
    event = Event.objects.get(dispute=titled, kind="details_changed")
    assert event.actor is None and "A headline from the file" in event.note
    assert OLD_TITLE in Client().get(titled.get_absolute_url()).content.decode()


def test_an_import_does_not_publish_work_no_reviewer_approved(draft: Dispute, editor: User) -> None:
    from disputes.interchange import ImportFileError, export_data, import_document

    document = export_data()
    for record in document["disputes"]:
        if record["slug"] == draft.slug:
            record["state"] = "published"
    draft.update_content(by=editor, version=draft.version, summary="Unreviewed words on the desk")
    with pytest.raises(ImportFileError, match="no reviewer has approved"):
        import_document(document)
    draft.refresh_from_db()
    assert draft.public_revision is None


def test_an_imported_published_dispute_has_its_quotes_located_in_our_copy(draft: Dispute) -> None:
    from articles.models import Quote
    from disputes.interchange import export_data, import_document

    document = export_data()
    record = next(record for record in document["disputes"] if record["slug"] == draft.slug)
    record["state"] = "published"
    Dispute.objects.filter(pk=draft.pk).delete()  # the file brings it in anew: no desk work on it
    Quote.objects.update(status=Quote.Status.NOT_CHECKED)
    import_document(document)
    imported = Dispute.objects.get(slug=draft.slug)
    statuses = set(Quote.objects.filter(statements__links__dispute=imported).values_list("status", flat=True))
    assert statuses == {Quote.Status.PRESENT}
