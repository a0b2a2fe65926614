"""URLs of the feeds and the bulk files: open data outside /api/, beside the pages they follow."""

from django.urls import path

from .views import api, feeds

app_name = "open-data"

urlpatterns = [
    path("feeds/disputes.atom", feeds.published_disputes, name="disputes-feed"),
    path("d/<slug:slug>/updates.atom", feeds.dispute_updates, name="dispute-updates-feed"),
    path("data/disputes.jsonl", api.export_file, {"kind": "jsonl"}, name="export-jsonl"),
    path("data/disputes.csv", api.export_file, {"kind": "csv"}, name="export-csv"),
]
