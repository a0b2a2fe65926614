from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from articles.admin import ReadOnlyAdmin

from .models import Actor, Dispute, DisputeLink, Event, Review, Revision, Statement, TransitionError


@admin.register(Actor)
class ActorAdmin(admin.ModelAdmin):
    list_display = ["name", "role", "organisation", "kind"]
    list_filter = ["kind"]
    search_fields = ["name", "role"]
    autocomplete_fields = ["organisation"]


@admin.register(Statement)
class StatementAdmin(admin.ModelAdmin):
    list_display = ["__str__", "speaker", "attribution", "stated_on"]
    list_filter = ["attribution"]
    autocomplete_fields = ["speaker"]
    raw_id_fields = ["quote"]
    search_fields = ["quote__exact", "speaker__name"]


class DisputeLinkInline(admin.TabularInline):
    model = DisputeLink
    extra = 0
    raw_id_fields = ["statement"]


@admin.register(Dispute)
class DisputeAdmin(admin.ModelAdmin):
    list_display = ["claim_text", "state", "resolution", "needs_recheck", "published_at"]
    list_filter = ["state", "resolution", "needs_recheck"]
    search_fields = ["claim_text", "slug"]
    prepopulated_fields = {"slug": ["claim_text"]}
    inlines = [DisputeLinkInline]
    # The workflow fields change only through the model's transition methods.
    readonly_fields = [
        "state", "version", "needs_recheck", "recheck_reason", "withdrawal_reason", "created_by",
        "last_edited_by", "approved_by", "created_at", "updated_at", "published_at", "public_revision",
    ]  # fmt: skip
    actions = ["reconfirm"]

    def save_model(self, request: HttpRequest, obj: Dispute, form, change: bool) -> None:  # type: ignore[no-untyped-def]
        if not change:
            obj.created_by = request.user  # type: ignore[assignment]
        super().save_model(request, obj, form, change)

    @admin.action(description="Re-confirm selected disputes (clear the re-check flag)")
    def reconfirm(self, request: HttpRequest, queryset: QuerySet[Dispute]) -> None:
        for dispute in queryset.filter(needs_recheck=True):
            try:
                dispute.reconfirm(by=request.user, note="Re-confirmed from the admin")  # type: ignore[arg-type]
            except TransitionError as exc:
                self.message_user(request, f"{dispute}: {exc}", messages.ERROR)


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
