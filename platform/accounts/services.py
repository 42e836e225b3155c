"""Writes about people: sign-up, profiles, follows, blocks, notifications."""

from __future__ import annotations

import datetime as dt
import logging

from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from config.files import files_delete_on_commit, stored

from .images import avatar_image_clean, avatar_render
from .models import Block, Follow, Notification, User
from .selectors import blocked_between
from .validators import validate_birth_date, validate_handle

logger = logging.getLogger(__name__)


def user_cache_key(user_id: int) -> str:
    """Return the cache key of the user row that authentication reuses between requests."""
    return f"auth-user:{user_id}"


def _forget(keys: list[str]) -> None:
    """Drop cache keys now and again on commit, so a request that re-reads meanwhile can't keep old data."""
    cache.delete_many(keys)
    transaction.on_commit(lambda: cache.delete_many(keys))


def user_cache_forget(*user_ids: int) -> None:
    """Drop the cached rows of these users."""
    _forget([user_cache_key(uid) for uid in user_ids])


def user_counts_add(*, user_id: int, **deltas: int) -> None:
    """Add `deltas` to a person's counters in the database, so concurrent changes all count."""
    User.objects.filter(pk=user_id).update(**{name: F(name) + delta for name, delta in deltas.items()})
    user_cache_forget(user_id)


def _relations_changed(*user_ids: int) -> None:
    """Drop the cached follow and block sets of these users."""
    _forget([f"{kind}:{uid}" for uid in user_ids for kind in ("followees", "hidden")])


def user_signup(
    *, handle: str, email: str, password: str, date_of_birth: dt.date, display_name: str = ""
) -> User:
    """Create and return a person's account, or raise ValidationError naming the bad fields.

    An email already in use is not an error, because saying so told anyone which addresses
    have an account here. Then nothing is created and the account is returned as it would
    have been, unsaved (`pk` None), after the same checks and the same password hashing, so
    the answer (and roughly its time) is that of a new account. For that answer to give
    nothing away, signing up never signs in: a session or token for the new account is what
    a known address could not get. Callers answer "account created, now log in" to everyone
    (one more step for honest newcomers, the least surprising of the choices that reveal
    nothing), and the owner of the address loses nothing. The owner is not told of the
    attempt: this site has no e-mail backend to tell them with. Handles are public (a
    profile per handle), so a taken handle is still refused.
    """
    errors: dict[str, list[str]] = {}
    handle = (handle or "").strip().lstrip("@")
    try:
        validate_handle(handle)
    except ValidationError as exc:
        errors["handle"] = exc.messages
    else:
        if User.objects.filter(handle__iexact=handle).exists():
            errors["handle"] = [_("This handle is already taken.")]
    try:
        validate_birth_date(date_of_birth)
    except ValidationError as exc:
        errors["date_of_birth"] = exc.messages
    if errors:
        raise ValidationError(errors)
    email = User.objects.normalize_email(email or "")
    user = User(handle=handle, email=email, display_name=display_name.strip(), date_of_birth=date_of_birth)
    from django.contrib.auth.password_validation import validate_password

    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from None
    user.set_password(password)
    if email and User.objects.filter(email__iexact=email).exists():
        logger.info("Sign-up with an email already in use; nothing created.")
        return user
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        # Two sign-ups raced for the same handle: the constraint decides.
        raise ValidationError({"handle": [_("This handle is already taken.")]}) from None
    return user


@transaction.atomic
def profile_update(
    *, user: User, display_name: str | None = None, bio: str | None = None, avatar=None
) -> User:
    """Update the profile fields given; the avatar is validated and re-encoded first."""
    fields: list[str] = []
    if display_name is not None:
        if len(display_name) > 50:
            raise ValidationError({"display_name": [_("At most 50 characters.")]})
        user.display_name = display_name.strip()
        fields.append("display_name")
    if bio is not None:
        if len(bio) > 300:
            raise ValidationError({"bio": [_("At most 300 characters.")]})
        user.bio = bio.strip()
        fields.append("bio")
    if avatar is not None:
        try:
            rendered = avatar_render(avatar_image_clean(avatar))
        except ValidationError as exc:
            raise ValidationError({"avatar": exc.messages}) from None
        old = stored(user.avatar)
        user.avatar.save("avatar.webp", rendered, save=False)
        fields.append("avatar")
        files_delete_on_commit(old)
    if fields:
        user.save(update_fields=fields)
    return user


def notification_create(
    *, recipient: User, actor: User | None, verb: str, target: models.Model | None = None
) -> Notification | None:
    """Tell `recipient` that `actor` did `verb`; nobody is told about their own actions."""
    if actor is not None and actor.pk == recipient.pk:
        return None
    return Notification.objects.create(
        recipient=recipient,
        actor=actor,
        verb=verb,
        target_type=ContentType.objects.get_for_model(target) if target is not None else None,
        target_id=target.pk if target is not None else None,
    )


@transaction.atomic
def follow_create(*, follower: User, followee: User) -> bool:
    """Make `follower` follow `followee`; return False if they already did."""
    if follower.pk == followee.pk:
        raise ValidationError(_("You cannot follow yourself."), code="self")
    if blocked_between(a_id=follower.pk, b_id=followee.pk):
        raise ValidationError(_("You cannot follow this account."), code="blocked")
    try:
        with transaction.atomic():
            Follow.objects.create(follower=follower, followee=followee)
    except IntegrityError:
        return False
    user_counts_add(user_id=follower.pk, following_count=1)
    user_counts_add(user_id=followee.pk, follower_count=1)
    notification_create(recipient=followee, actor=follower, verb=Notification.Verb.FOLLOW)
    _relations_changed(follower.pk)
    return True


@transaction.atomic
def follow_delete(*, follower: User, followee: User) -> bool:
    """Make `follower` stop following `followee`; return False if they did not."""
    deleted, _rows = Follow.objects.filter(follower=follower, followee=followee).delete()
    if not deleted:
        return False
    user_counts_add(user_id=follower.pk, following_count=-1)
    user_counts_add(user_id=followee.pk, follower_count=-1)
    _relations_changed(follower.pk)
    return True


@transaction.atomic
def block_create(*, blocker: User, blocked: User) -> bool:
    """Block `blocked` for `blocker`: follows both ways end; return False if already blocked."""
    if blocker.pk == blocked.pk:
        raise ValidationError(_("You cannot block yourself."), code="self")
    try:
        with transaction.atomic():
            Block.objects.create(blocker=blocker, blocked=blocked)
    except IntegrityError:
        return False
    follow_delete(follower=blocked, followee=blocker)
    follow_delete(follower=blocker, followee=blocked)
    _relations_changed(blocker.pk, blocked.pk)
    return True


@transaction.atomic
def block_delete(*, blocker: User, blocked: User) -> bool:
    """Lift the block; return False if there was none."""
    deleted, _rows = Block.objects.filter(blocker=blocker, blocked=blocked).delete()
    if deleted:
        _relations_changed(blocker.pk, blocked.pk)
    return bool(deleted)


def notifications_mark_read(*, user: User) -> int:
    """Mark all of `user`'s notifications read; return how many were unread."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )
