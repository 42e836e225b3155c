"""Web pages about people."""

from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("signup/", views.signup, name="signup"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("settings/profile/", views.settings_profile, name="settings_profile"),
    path("settings/password/", views.PasswordChangeView.as_view(), name="settings_password"),
    path("settings/blocked/", views.settings_blocked, name="settings_blocked"),
    path("notifications/", views.notifications, name="notifications"),
    path("@<str:handle>/", views.profile, name="profile"),
    path("@<str:handle>/follow/", views.follow, name="follow"),
    path("@<str:handle>/block/", views.block, name="block"),
]
