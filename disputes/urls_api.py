"""URLs of the read-only JSON API (disputes/openapi.yaml describes each one), under /api/."""

from django.urls import path

from .views import api

app_name = "api"

urlpatterns = [
    path("disputes/", api.dispute_list, name="dispute-list"),
    path("disputes/<slug:slug>/", api.dispute_detail, name="dispute-detail"),
    path("sources/<int:pk>/", api.source_detail, name="source-detail"),
    path("claimreview.json", api.claim_review_feed, name="claim-review-feed"),
    path("schema/", api.schema, name="schema"),
]
