"""The feeds: ranking, author spreading, keyset pages, and who sees what."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from accounts.services import block_create, follow_create
from config.pagination import InvalidCursor, cursor_encode
from feed.models import Post
from feed.selectors import (
    comments_page,
    feed_following,
    feed_for_you,
    post_get,
    profile_posts,
    spread_authors,
)
from feed.services import comment_create, like_create
from tests.factories import PostFactory, UserFactory

pytestmark = pytest.mark.django_db


def _ago(hours: float) -> dt.datetime:
    return timezone.now() - dt.timedelta(hours=hours)


def _all_pages(fetch, **kwargs) -> list[list[int]]:
    pages, cursor = [], None
    while True:
        page = fetch(cursor=cursor, **kwargs)
        pages.append([p.pk for p in page.items])
        if page.next_cursor is None:
            return pages
        cursor = page.next_cursor


def test_fresher_posts_rank_higher_all_else_equal(user):
    old = PostFactory(published_at=_ago(48))
    new = PostFactory(published_at=_ago(1))
    assert [p.pk for p in feed_for_you(viewer=user).items] == [new.pk, old.pk]


def test_engagement_lifts_an_older_post(user):
    older = PostFactory(published_at=_ago(6))
    newer = PostFactory(published_at=_ago(5))
    for _ in range(30):
        like_create(user=UserFactory(), post_id=older.pk)
    assert [p.pk for p in feed_for_you(viewer=user).items] == [older.pk, newer.pk]


def test_followed_authors_are_boosted(user):
    followed = PostFactory(published_at=_ago(20))
    stranger = PostFactory(published_at=_ago(10))
    follow_create(follower=user, followee=followed.author)
    assert [p.pk for p in feed_for_you(viewer=user).items] == [followed.pk, stranger.pk]
    assert [p.pk for p in feed_for_you(viewer=None).items] == [stranger.pk, followed.pk]


def test_no_author_twice_in_a_row_when_it_can_be_helped(user):
    prolific, other = UserFactory(), UserFactory()
    for hours in (1, 2, 3, 4):
        PostFactory(author=prolific, published_at=_ago(hours))
    for hours in (5, 6, 7):
        PostFactory(author=other, published_at=_ago(hours))
    authors = [p.author_id for p in feed_for_you(viewer=user, limit=7).items]
    assert all(a != b for a, b in zip(authors, authors[1:], strict=False))
    assert authors[0] == prolific.pk


def test_author_spreading_carries_across_pages(user):
    a, b = UserFactory(), UserFactory()
    for hours in range(1, 7):
        PostFactory(author=a if hours % 3 else b, published_at=_ago(hours))
    seen = []
    cursor = None
    while True:
        page = feed_for_you(viewer=user, cursor=cursor, limit=2)
        seen += [p.author_id for p in page.items]
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    assert sum(x == y for x, y in zip(seen, seen[1:], strict=False)) <= 2  # 4 of a's, 2 of b's: two repeats forced


class _Post:
    def __init__(self, pk, author_id):
        self.pk, self.author_id = pk, author_id


@pytest.mark.parametrize(
    ("authors", "previous"),
    [("AABBC", None), ("ABB", None), ("AAB", "B"), ("AAAB", None), ("ABCABC", "A"), ("AAAA", None)],
)
def test_spread_authors_alternates_whenever_possible(authors, previous):
    posts = [_Post(i, a) for i, a in enumerate(authors)]
    out = spread_authors(posts, previous)
    assert sorted(p.pk for p in out) == list(range(len(authors)))
    seq = [previous, *[p.author_id for p in out]] if previous else [p.author_id for p in out]
    repeats = sum(x == y for x, y in zip(seq, seq[1:], strict=False))
    most = max(authors.count(x) for x in set(authors))
    others = len(authors) - most
    unavoidable = max(0, most - others - 1)
    assert repeats <= unavoidable + (1 if previous and authors.count(previous) == most and most > others else 0)


@pytest.mark.parametrize("feed", ["for_you", "following"])
def test_pages_cover_every_post_once_and_stay_stable_while_new_posts_arrive(user, feed):
    authors = UserFactory.create_batch(4)
    for author in authors:
        follow_create(follower=user, followee=author)
    for i in range(13):
        PostFactory(author=authors[i % 4], published_at=_ago(i + 1))
    fetch = feed_for_you if feed == "for_you" else feed_following
    expected = {p.pk for p in Post.objects.all()}

    first = fetch(viewer=user, limit=5)
    # New posts arrive between the first page and the next ones.
    PostFactory(author=authors[0], published_at=timezone.now())
    PostFactory(author=authors[1], published_at=timezone.now())
    seen = [p.pk for p in first.items]
    cursor = first.next_cursor
    while cursor:
        page = fetch(viewer=user, cursor=cursor, limit=5)
        seen += [p.pk for p in page.items]
        cursor = page.next_cursor
    assert len(seen) == len(set(seen)) == 13
    assert set(seen) == expected


def test_a_full_last_page_ends_without_an_empty_extra_page(user):
    PostFactory.create_batch(4)
    pages = _all_pages(feed_for_you, viewer=user, limit=2)
    assert [len(p) for p in pages] == [2, 2]


@pytest.mark.parametrize("cursor", ["garbage", "eyJrIjoiZm9yX3lvdSJ9:forged", "a" * 500])
def test_forged_cursors_are_refused(user, cursor):
    with pytest.raises(InvalidCursor):
        feed_for_you(viewer=user, cursor=cursor)


def test_a_cursor_from_another_list_is_refused(user):
    with pytest.raises(InvalidCursor):
        feed_following(viewer=user, cursor=cursor_encode("for_you", s=1.0, i=1, a=1))


def test_only_published_posts_reach_anyone_but_their_author(user):
    published = PostFactory()
    draft = PostFactory(state=Post.State.PENDING_REVIEW)
    removed = PostFactory(state=Post.State.REMOVED)
    assert [p.pk for p in feed_for_you(viewer=user).items] == [published.pk]
    assert [p.pk for p in feed_for_you(viewer=None).items] == [published.pk]
    assert post_get(post_id=draft.pk, viewer=user) is None
    assert post_get(post_id=removed.pk, viewer=None) is None
    assert post_get(post_id=draft.pk, viewer=draft.author) == draft
    assert post_get(post_id=published.pk, viewer=None) == published


def test_blocked_people_disappear_from_feeds_profiles_and_comments(user, django_capture_on_commit_callbacks):
    rude = UserFactory()
    follow_create(follower=user, followee=rude)
    post = PostFactory(author=rude)
    mine = PostFactory()
    comment_create(author=rude, post_id=mine.pk, body="meh")
    comment_create(author=user, post_id=mine.pk, body="nice")
    with django_capture_on_commit_callbacks(execute=True):
        block_create(blocker=user, blocked=rude)
    assert post.pk not in [p.pk for p in feed_for_you(viewer=user).items]
    assert feed_following(viewer=user).items == []
    assert post_get(post_id=post.pk, viewer=user) is None
    assert [c.body for c in comments_page(post=mine, viewer=user).items] == ["nice"]
    # ...and the blocked person no longer sees the blocker either.
    assert post_get(post_id=mine.pk, viewer=rude) is not None  # mine is by a third person
    my_post = PostFactory(author=user)
    assert post_get(post_id=my_post.pk, viewer=rude) is None


def test_viewer_likes_are_annotated(user):
    liked, other = PostFactory(), PostFactory()
    like_create(user=user, post_id=liked.pk)
    flags = {p.pk: p.liked for p in feed_for_you(viewer=user).items}
    assert flags == {liked.pk: True, other.pk: False}
    assert {p.liked for p in feed_for_you(viewer=None).items} == {False}


def test_profile_posts_are_newest_first_and_paged():
    author = UserFactory()
    posts = [PostFactory(author=author, published_at=_ago(h)) for h in (3, 1, 2)]
    PostFactory(author=author, state=Post.State.PENDING_REVIEW)
    pages = _all_pages(profile_posts, author=author, viewer=None, limit=2)
    assert pages == [[posts[1].pk, posts[2].pk], [posts[0].pk]]
