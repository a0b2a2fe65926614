from django.contrib import admin

from .models import DomainThrottle, Fetch, Heartbeat, Outlet, Quote, QuoteCheck, RobotsTxt, Snapshot, Source


class ReadOnly:
    """Records the system writes: visible to staff, never edited by hand (for admins and inlines)."""

    def has_add_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False


class ReadOnlyAdmin(ReadOnly, admin.ModelAdmin):
    pass


# What readers see of outlets and sources is frozen into approved revisions; a change to it goes through
# `update_details` on the desk, which records it and sends the disputes showing it back to review.
# The admin only shows these rows, so that no change skips that.
@admin.register(Outlet)
class OutletAdmin(ReadOnlyAdmin):
    list_display = ["name", "domain", "homepage"]
    search_fields = ["name", "domain"]


@admin.register(Source)
class SourceAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "outlet", "liveness", "last_checked_at", "next_check_at"]
    list_filter = ["liveness", "outlet"]
    search_fields = ["url", "title"]
    autocomplete_fields = ["outlet"]
    # Monitoring state is written by the checker, never by hand.
    readonly_fields = [
        "liveness", "liveness_detail", "dead_signals", "first_dead_signal_at", "last_checked_at",
        "last_changed_at", "lease_until", "lease_owner", "attempts", "etag", "last_modified",
        "current_snapshot", "added_by", "added_at",
    ]  # fmt: skip


@admin.register(Snapshot)
class SnapshotAdmin(ReadOnlyAdmin):
    list_display = ["source", "captured_at", "extractor"]
    exclude = ["raw_html"]


@admin.register(Fetch)
class FetchAdmin(ReadOnlyAdmin):
    list_display = ["source", "slot", "status_code", "outcome", "verdict", "elapsed_ms"]
    list_filter = ["outcome", "verdict"]


@admin.register(Quote)
class QuoteAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "source", "status", "captured_at"]
    list_filter = ["status"]
    search_fields = ["exact"]
    raw_id_fields = ["source", "snapshot", "supersedes", "last_check"]
    readonly_fields = ["status", "last_check"]


@admin.register(QuoteCheck)
class QuoteCheckAdmin(ReadOnlyAdmin):
    list_display = ["quote", "status", "score", "checked_at"]


@admin.register(RobotsTxt)
class RobotsTxtAdmin(ReadOnlyAdmin):
    list_display = ["origin", "status_code", "expires_at"]


@admin.register(DomainThrottle)
class DomainThrottleAdmin(ReadOnlyAdmin):
    list_display = ["domain", "holder", "held_until", "next_allowed_at"]


@admin.register(Heartbeat)
class HeartbeatAdmin(ReadOnlyAdmin):
    list_display = ["name", "at"]
