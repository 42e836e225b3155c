"""What cameo does when something happens elsewhere (connected in `CameoConfig.ready`).

A moderator's decision on a verification, an unfollow that ends a mutual, a block that ends
consent both ways.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils import timezone

from accounts.models import Block, Follow, Notification
from accounts.services import notification_create
from moderation.enums import Action, CaseKind

from .models import Appearance, Cameo
from .services import challenge_renew, consent_enforce

if TYPE_CHECKING:
    from moderation.models import Case, Decision


def case_decided_receiver(sender: type, *, case: Case, decision: Decision, **kwargs: Any) -> None:
    """A moderator decided a verification case: the cameo is verified, or not."""
    if case.kind != CaseKind.CAMEO_VERIFICATION or decision.action not in (Action.APPROVE, Action.REJECT):
        return
    cameo = Cameo.objects.filter(pk=case.subject_id).select_related("owner").first()
    if cameo is None or cameo.state != Cameo.State.IN_REVIEW:
        return
    if decision.action == Action.APPROVE:
        cameo.state, cameo.verified_at = Cameo.State.VERIFIED, timezone.now()
        verb = Notification.Verb.CAMEO_VERIFIED
    else:
        cameo.state = Cameo.State.REJECTED
        challenge_renew(cameo)
        verb = Notification.Verb.CAMEO_NOT_VERIFIED
    cameo.save()
    notification_create(recipient=cameo.owner, actor=None, verb=verb)


def follow_deleted_receiver(sender: type, *, instance: Follow, **kwargs: Any) -> None:
    """Unfollowing ends a mutual: uses that relied on it are withdrawn."""
    for cameo in Cameo.objects.filter(owner_id__in=[instance.follower_id, instance.followee_id],
                                      audience=Cameo.Audience.MUTUALS):
        consent_enforce(cameo=cameo, reason=Appearance.Reason.AUDIENCE)


def block_saved_receiver(sender: type, *, instance: Block, created: bool, **kwargs: Any) -> None:
    """A block ends consent between the two people, both ways."""
    if created and not kwargs.get("raw"):
        for cameo in Cameo.objects.filter(owner_id__in=[instance.blocker_id, instance.blocked_id]):
            consent_enforce(cameo=cameo, reason=Appearance.Reason.REVOKED)
