from django.contrib import admin

from articles.admin import ReadOnly, ReadOnlyAdmin

from .models import Actor, Dispute, DisputeLink, Event, Review, Revision, Statement


# Speakers and statements are shown by published disputes: a change to one must send those back to
# review and leave a record (`Actor.update_details`, the desk's pages), so the admin only shows them.
@admin.register(Actor)
class ActorAdmin(ReadOnlyAdmin):
    list_display = ["name", "role", "organisation", "kind"]
    list_filter = ["kind"]
    search_fields = ["name", "role"]
    autocomplete_fields = ["organisation"]


@admin.register(Statement)
class StatementAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "speaker", "attribution", "stated_on"]
    list_filter = ["attribution"]
    autocomplete_fields = ["speaker"]
    raw_id_fields = ["quote"]
    search_fields = ["quote__exact", "speaker__name"]


class DisputeLinkInline(ReadOnly, admin.TabularInline):
    model = DisputeLink
    extra = 0
    raw_id_fields = ["statement"]


@admin.register(Dispute)
class DisputeAdmin(ReadOnlyAdmin):
    """Disputes for staff to inspect. Every change goes through the desk and the review pages, whose
    model methods check the state, the version and the four-eyes rule and record who acted: an admin
    form would bypass all three (a staff reviewer could edit a dispute, then approve their own words)."""

    list_display = ["claim_text", "state", "resolution", "needs_recheck", "published_at"]
    list_filter = ["state", "resolution", "needs_recheck"]
    search_fields = ["claim_text", "slug"]
    inlines = [DisputeLinkInline]


@admin.register(Review)
class ReviewAdmin(ReadOnlyAdmin):
    list_display = ["dispute", "dispute_version", "reviewer", "decision", "created_at"]
    list_filter = ["decision"]


@admin.register(Revision)
class RevisionAdmin(ReadOnlyAdmin):
    list_display = ["dispute", "dispute_version", "approved_by", "created_at"]


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "kind", "dispute", "source", "actor", "public"]
    list_filter = ["kind", "public"]
