from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

app_name = "dashboard"

urlpatterns = [
    path("", views.index, name="index"),
    path("<int:year>.json", views.figures_json, name="json"),
    path("<int:year>.xlsx", views.figures_xlsx, name="xlsx"),
    path("<int:year>/report/", views.report, name="report"),
    path("login/", views.LoginView.as_view(), name="login"),
    path(
        "logout/",
        auth_views.LogoutView.as_view(next_page="dashboard:login"),
        name="logout",
    ),
]
