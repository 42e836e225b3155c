"""What cameo tells the apps that own jobs and posts.

Cameo never calls generation or the feed: it sends these signals inside the transaction that
changed consent, so the change takes effect at once and all together. Each receiver acts on
its own objects and returns {appearance_id: [what it did, ...]} ("cancelled", "unpublished",
"deleted"), which the owner of the likeness sees on their appearances page.
"""

from __future__ import annotations

from django.dispatch import Signal

# Consent for some uses of a cameo is gone (approval revoked, audience narrowed, limits
# changed, cameo deleted). Sent with sender=Appearance and:
#   appearances  the Appearance rows just withdrawn (job_id, post_id, user, owner, reason)
# Pending jobs are cancelled, published posts (and remixes of them) unpublished.
consent_withdrawn = Signal()

# The owner of a likeness removed a video that shows them (co-ownership). Sent with
# sender=Appearance and:
#   appearances  the Appearance rows just removed
#   actor        the owner who removed them
# Jobs are cancelled, drafts deleted, posts removed and the removal written to the audit log.
likeness_removed = Signal()
