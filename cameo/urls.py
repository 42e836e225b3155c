"""Web pages of cameo, under /cameo/."""

from django.urls import path

from . import views

app_name = "cameo"
urlpatterns = [
    path("", views.home, name="home"),
    path("create", views.create, name="create"),
    path("challenge", views.challenge, name="challenge"),
    path("verify", views.verify, name="verify"),
    path("rules", views.rules, name="rules"),
    path("grants/add", views.grant_add_view, name="grant-add"),
    path("grants/remove", views.grant_remove_view, name="grant-remove"),
    path("delete", views.delete, name="delete"),
    path("appearances/", views.appearances, name="appearances"),
    path(
        "appearances/<int:appearance_id>/approve",
        views.appearance_approve_view,
        name="appearance-approve",
    ),
    path(
        "appearances/<int:appearance_id>/remove",
        views.appearance_remove_view,
        name="appearance-remove",
    ),
    path("photos/<int:photo_id>", views.photo, name="photo"),
    path("<int:cameo_id>/clip", views.clip, name="clip"),
]
