"""Reads about people: profiles, follow and block sets, notifications."""

from __future__ import annotations

from django.core.cache import cache
from django.db.models import Q, QuerySet

from .models import Block, Follow, Notification, User

RELATIONS_TTL = 300


def followee_ids(*, user: User | None) -> frozenset[int]:
    """Return the ids of the people `user` follows (cached until a follow changes)."""
    if user is None or not user.is_authenticated:
        return frozenset()
    key = f"followees:{user.pk}"
    ids = cache.get(key)
    if ids is None:
        ids = list(Follow.objects.filter(follower=user).values_list("followee_id", flat=True))
        cache.set(key, ids, RELATIONS_TTL)
    return frozenset(ids)


def hidden_author_ids(*, user: User | None) -> frozenset[int]:
    """Return the ids of people hidden from `user`: those they blocked and those who blocked them."""
    if user is None or not user.is_authenticated:
        return frozenset()
    key = f"hidden:{user.pk}"
    ids = cache.get(key)
    if ids is None:
        rows = Block.objects.filter(Q(blocker=user) | Q(blocked=user)).values_list(
            "blocker_id", "blocked_id"
        )
        ids = sorted({b if a == user.pk else a for a, b in rows})
        cache.set(key, ids, RELATIONS_TTL)
    return frozenset(ids)


def blocked_between(*, a_id: int, b_id: int) -> bool:
    """Return whether either of two people has blocked the other.

    Read from the table, not the cache: follows and cameo consent are decided on it.
    """
    return Block.objects.filter(Q(blocker_id=a_id, blocked_id=b_id) | Q(blocker_id=b_id, blocked_id=a_id)).exists()


def are_mutuals(*, a_id: int, b_id: int) -> bool:
    """Return whether two people follow each other (read from the table)."""
    return Follow.objects.filter(
        Q(follower_id=a_id, followee_id=b_id) | Q(follower_id=b_id, followee_id=a_id)
    ).count() == 2


def user_get_visible(*, handle: str, viewer: User | None) -> User | None:
    """Return the active user with `handle` unless a block hides them from `viewer`."""
    user = User.objects.filter(handle__iexact=handle.lstrip("@"), is_active=True).first()
    if user is None or user.pk in hidden_author_ids(user=viewer):
        return None
    return user


def is_following(*, follower: User | None, followee: User) -> bool:
    """Return whether `follower` follows `followee`."""
    return followee.pk in followee_ids(user=follower)


def has_blocked(*, blocker: User | None, blocked: User) -> bool:
    """Return whether `blocker` has blocked `blocked`."""
    if blocker is None or not blocker.is_authenticated:
        return False
    return Block.objects.filter(blocker=blocker, blocked=blocked).exists()


def blocked_list(*, user: User) -> QuerySet[User]:
    """Return the people `user` has blocked."""
    return User.objects.filter(blocked_by_set__blocker=user).order_by("handle")


def followers_list(*, user: User) -> QuerySet[User]:
    """Return the people who follow `user`, newest first."""
    return User.objects.filter(following_set__followee=user).order_by("-following_set__created_at")


def following_list(*, user: User) -> QuerySet[User]:
    """Return the people `user` follows, newest first."""
    return User.objects.filter(follower_set__follower=user).order_by("-follower_set__created_at")


def notifications_list(*, user: User, limit: int = 50) -> list[Notification]:
    """Return `user`'s latest notifications with their actors."""
    return list(
        Notification.objects.filter(recipient=user).select_related("actor", "target_type")[:limit]
    )


def notifications_unread_count(*, user: User) -> int:
    """Return how many of `user`'s notifications are unread."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()
