"""URLs of the desk: building a dispute, previewing it and sending it to review."""

from django.urls import URLPattern, path

from .views import builder

urlpatterns: list[URLPattern] = [
    path("disputes/new/", builder.dispute_new, name="dispute-new"),
    path("disputes/claim-counter/", builder.claim_counter, name="claim-counter"),
    path("disputes/<int:pk>/", builder.dispute_edit, name="dispute-edit"),
    path("disputes/<int:pk>/preview/", builder.dispute_preview, name="dispute-preview"),
    path("disputes/<int:pk>/submit/", builder.dispute_submit, name="dispute-submit"),
    path("disputes/<int:pk>/revise/", builder.dispute_revise, name="dispute-revise"),
    path("disputes/<int:pk>/links/add/", builder.link_add, name="dispute-link-add"),
    path("disputes/<int:pk>/links/<int:link_id>/", builder.link_update, name="dispute-link-update"),
    path("disputes/<int:pk>/links/<int:link_id>/move/", builder.link_move, name="dispute-link-move"),
    path("disputes/<int:pk>/links/<int:link_id>/remove/", builder.link_remove, name="dispute-link-remove"),
]
