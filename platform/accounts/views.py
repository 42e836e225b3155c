"""Web pages about people: sign-up, log-in, profiles, settings and notifications."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.messages.views import SuccessMessageMixin
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from .forms import LoginForm, ProfileForm, SignupForm
from .profiles import profile_sections
from .selectors import blocked_list, is_following, notifications_list, user_get_visible
from .services import (
    block_create,
    block_delete,
    follow_create,
    follow_delete,
    notifications_mark_read,
    profile_update,
    user_signup,
)
from .viewers import signed_in, signed_in_or_none


def _next_url(request: HttpRequest, default: str) -> str:
    """Return the safe `next` address of the request, else `default`."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    """Open an account, then send the person to log in with it.

    Not logged in straight away: the answer must be the same whether or not the email was
    already in use (see `user_signup`).
    """
    if request.user.is_authenticated:
        return redirect("feed:for_you")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = user_signup(**form.signup_data())
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(
                request, _("Your account is ready, @%(handle)s. Log in to start.") % {"handle": user.handle}
            )
            query = {"handle": user.handle}
            if next_url := _next_url(request, ""):
                query["next"] = next_url
            return redirect(f"{reverse('accounts:login')}?{urlencode(query)}")
    return render(request, "accounts/signup.html", {"form": form, "next": _next_url(request, "")})


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def get_initial(self) -> dict[str, Any]:
        """Fill in the handle that sign-up passes along."""
        return {**super().get_initial(), "username": self.request.GET.get("handle", "")}


class PasswordChangeView(SuccessMessageMixin, auth_views.PasswordChangeView):
    template_name = "accounts/settings_password.html"
    success_url = reverse_lazy("accounts:settings_password")
    success_message = gettext_lazy("Your password was changed.")


def profile(request: HttpRequest, handle: str) -> HttpResponse:
    """Show a person: who they are, their counts and their videos."""
    viewer = signed_in_or_none(request)
    person = user_get_visible(handle=handle, viewer=viewer)
    if person is None:
        return _profile_unavailable(request, handle)
    context: dict[str, Any] = {
        "person": person,
        "following": is_following(follower=viewer, followee=person),
        "posts": None,
    }
    for _key, section in profile_sections:
        context.update(section(person=person, viewer=request.user, cursor=request.GET.get("cursor") or None))
    return render(request, "accounts/profile.html", context)


def _profile_unavailable(request: HttpRequest, handle: str) -> HttpResponse:
    """Offer to unblock someone the viewer blocked; anyone else hidden is simply not found."""
    if request.user.is_authenticated:
        blocked = blocked_list(user=request.user).filter(handle__iexact=handle.lstrip("@")).first()
        if blocked is not None:
            return render(request, "accounts/profile_blocked.html", {"person": blocked})
    raise Http404


@login_required
@require_POST
def follow(request: HttpRequest, handle: str) -> HttpResponse:
    """Follow or unfollow from a form; the pages' scripts use the API instead."""
    user = signed_in(request)
    person = user_get_visible(handle=handle, viewer=user)
    if person is None:
        raise Http404
    try:
        if request.POST.get("action") == "unfollow":
            follow_delete(follower=user, followee=person)
        else:
            follow_create(follower=user, followee=person)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect(_next_url(request, person.get_absolute_url()))


@login_required
@require_POST
def block(request: HttpRequest, handle: str) -> HttpResponse:
    """Block someone, or lift a block."""
    user = signed_in(request)
    if request.POST.get("action") == "unblock":
        person = blocked_list(user=user).filter(handle__iexact=handle).first()
        if person is None:
            raise Http404
        block_delete(blocker=user, blocked=person)
        messages.success(request, _("You unblocked @%(handle)s.") % {"handle": person.handle})
        return redirect(_next_url(request, person.get_absolute_url()))
    person = user_get_visible(handle=handle, viewer=user)
    if person is None:
        raise Http404
    try:
        block_create(blocker=user, blocked=person)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(person.get_absolute_url())
    messages.success(
        request, _("You blocked @%(handle)s. You will no longer see each other's videos.") % {"handle": person.handle}
    )
    return redirect("accounts:settings_blocked")


@login_required
@require_http_methods(["GET", "POST"])
def settings_profile(request: HttpRequest) -> HttpResponse:
    """Change the display name, bio and avatar."""
    user = signed_in(request)
    form = ProfileForm(
        request.POST or None,
        request.FILES or None,
        initial={"display_name": user.display_name, "bio": user.bio},
    )
    if request.method == "POST" and form.is_valid():
        try:
            profile_update(user=user, **form.update_data())
        except ValidationError as exc:
            user.refresh_from_db()
            form.add_service_errors(exc)
        else:
            messages.success(request, _("Your profile was saved."))
            return redirect("accounts:settings_profile")
    return render(request, "accounts/settings_profile.html", {"form": form})


@login_required
def settings_blocked(request: HttpRequest) -> HttpResponse:
    """List the people the viewer blocked, with a way to unblock each."""
    return render(request, "accounts/settings_blocked.html", {"blocked": list(blocked_list(user=signed_in(request)))})


@login_required
@require_http_methods(["GET", "POST"])
def notifications(request: HttpRequest) -> HttpResponse:
    """List what happened lately; a POST marks everything read."""
    user = signed_in(request)
    if request.method == "POST":
        notifications_mark_read(user=user)
        return redirect("accounts:notifications")
    return render(request, "accounts/notifications.html", {"notifications": notifications_list(user=user)})
