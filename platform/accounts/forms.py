"""Forms of the web pages about people: sign-up, log-in and profile settings."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .auth_backends import LOCKED_MESSAGE, login_locked

if TYPE_CHECKING:
    # The mixin is only ever combined with forms.Form, whose add_error() and fields it uses.
    _FormBase = forms.Form
else:
    _FormBase = object


class ServiceErrorsMixin(_FormBase):
    """Put the errors a service raised on the fields they name."""

    field_aliases: dict[str, str] = {}

    def add_service_errors(self, exc: ValidationError) -> None:
        if not hasattr(exc, "error_dict"):
            self.add_error(None, exc.messages)
            return
        for name, errors in exc.message_dict.items():
            field = self.field_aliases.get(name, name)
            self.add_error(field if field in self.fields else None, errors)


class SignupForm(ServiceErrorsMixin, forms.Form):
    """What a person gives to open an account; the rules themselves live in the service."""

    field_aliases = {"password": "password1"}

    handle = forms.CharField(
        label=_("Handle"),
        max_length=31,
        help_text=_("3 to 30 letters, digits or underscores. People find you by it."),
        widget=forms.TextInput(
            attrs={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false",
                   "placeholder": _("e.g. sunset_lover")}
        ),
    )
    email = forms.EmailField(
        label=_("Email"),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    date_of_birth = forms.DateField(
        label=_("Date of birth"),
        widget=forms.DateInput(attrs={"type": "date", "autocomplete": "bday"}, format="%Y-%m-%d"),
    )
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        help_text=password_validation.password_validators_help_text_html(),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=_("Password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["date_of_birth"].help_text = gettext(
            "You must be at least %(age)d to join. It is not shown on your profile."
        ) % {"age": settings.MINIMUM_AGE}

    def clean(self) -> dict[str, Any]:
        super().clean()  # Form.clean() returns self.cleaned_data
        data = self.cleaned_data
        first, second = data.get("password1"), data.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("The two passwords are not the same."))
        return data

    def signup_data(self) -> dict[str, Any]:
        """Return the keyword arguments of accounts.services.user_signup."""
        data = self.cleaned_data
        return {
            "handle": data["handle"],
            "email": data["email"],
            "date_of_birth": data["date_of_birth"],
            "password": data["password1"],
        }


class LoginForm(AuthenticationForm):
    """Log in by handle, in any case, with or without the leading @."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("This handle and password do not match. Check them and try again."),
        "locked": LOCKED_MESSAGE,
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].label = _("Handle")
        self.fields["username"].widget.attrs.update(
            {"autocapitalize": "none", "spellcheck": "false", "autocomplete": "username"}
        )
        self.fields["password"].label = _("Password")

    def clean_username(self) -> str:
        return (self.cleaned_data.get("username") or "").strip().lstrip("@")

    def clean(self) -> dict[str, Any]:
        # Checked before authenticate(), which would refuse too, but as a wrong password.
        if login_locked(self.request, self.cleaned_data.get("username")):
            raise ValidationError(self.error_messages["locked"], code="locked")
        return super().clean()


class ProfileForm(ServiceErrorsMixin, forms.Form):
    """The public parts of a profile; the avatar is checked and re-encoded by the service."""

    avatar = forms.FileField(
        label=_("Profile photo"),
        required=False,
        widget=forms.FileInput(attrs={"accept": "image/jpeg,image/png,image/webp,image/gif"}),
    )
    display_name = forms.CharField(
        label=_("Display name"),
        max_length=50,
        required=False,
        help_text=_("Shown instead of your handle. Leave empty to use your handle."),
        widget=forms.TextInput(attrs={"autocomplete": "nickname"}),
    )
    bio = forms.CharField(
        label=_("Bio"),
        max_length=300,
        required=False,
        help_text=_("At most 300 characters."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["avatar"].help_text = gettext(
            "JPEG, PNG, WebP or GIF, at most %(mb)d MB. It is cropped to a square."
        ) % {"mb": settings.AVATAR_MAX_BYTES // (1024 * 1024)}

    def update_data(self) -> dict[str, Any]:
        """Return the keyword arguments of accounts.services.profile_update."""
        data = self.cleaned_data
        return {
            "display_name": data["display_name"],
            "bio": data["bio"],
            "avatar": data["avatar"] or None,
        }
