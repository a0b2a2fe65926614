from django.urls import include, path

from . import urls_builder, urls_desk, urls_notifications, urls_statements
from .views import public, public_sources

app_name = "disputes"

urlpatterns = [
    path("", public.index, name="index"),
    path("d/<slug:slug>/", public.dispute_detail, name="dispute-detail"),
    path("sources/<int:pk>/", public_sources.source_detail, name="source-detail"),
    # The editors' desk (signed-in editors and reviewers only).
    path("desk/", include(urls_desk)),
    path("desk/", include(urls_statements)),
    path("desk/", include(urls_builder)),
    path("desk/", include(urls_notifications)),
]
