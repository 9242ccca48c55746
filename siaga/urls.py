from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from accounts.language import set_language

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
    path("admin/", admin.site.urls),
    path("dashboard/", include("dashboard.urls")),
    path("bahasa/", set_language, name="set_language"),
]
