"""URLs of the desk: capturing a passage of a source and attributing it (a statement)."""

from django.urls import path

from .views import actors, statements

urlpatterns = [
    path("sources/<int:source_pk>/quotes/", statements.quote_capture, name="quote-capture"),
    path("sources/<int:source_pk>/quotes/find/", statements.quote_find, name="quote-find"),
    path("quotes/<int:quote_pk>/statements/", statements.statement_create, name="statement-create"),
    path("statements/<int:pk>/", statements.statement_detail, name="statement-detail"),
    path("actors/", statements.actor_create, name="actor-create"),
    path("actors/search/", statements.actor_search, name="actor-search"),
    path("actors/<int:pk>/edit/", actors.actor_edit, name="actor-edit"),
]
