from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import views

handler404 = "config.errors.page_not_found"  # cacheable for readers, private for the desk

admin.site.site_header = "Counterclaim administration"
admin.site.site_title = "Counterclaim admin"

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("robots.txt", views.robots_txt, name="robots-txt"),
    path("sitemap.xml", views.sitemap_index, name="sitemap"),
    path("sitemap-<slug:section>.xml", views.sitemap_section, name="sitemap-section"),
    path("admin/", admin.site.urls),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("desk/sources/", include("articles.urls")),
    path("review/", include("disputes.urls_review")),
    path("api/", include("disputes.urls_api")),
    path("", include("disputes.urls_open_data")),  # the feeds and the bulk files
    path("", include("disputes.urls")),
]
