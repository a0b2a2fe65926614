from django.urls import path

from .views import public

app_name = "disputes"

urlpatterns = [
    path("", public.index, name="index"),
    path("d/<slug:slug>/", public.dispute_detail, name="dispute-detail"),
]
