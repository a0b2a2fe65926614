from django.urls import path

from . import views

app_name = "articles"

urlpatterns = [
    path("", views.source_list, name="source-list"),
    path("<int:pk>/", views.source_detail, name="source-detail"),
    path("<int:pk>/check/", views.source_check_now, name="source-check-now"),
    path("add/", views.source_add, name="source-add"),
    path("<int:pk>/edit/", views.source_edit, name="source-edit"),
    path("outlets/<int:pk>/edit/", views.outlet_edit, name="outlet-edit"),
]
