"""What moderation tells the apps that own its subjects.

Moderation never calls those apps: it sends these signals, once the transaction that made
the change has committed, and each owner acts on its own objects.
"""

from __future__ import annotations

from django.dispatch import Signal

# A moderator decided a case. Sent with sender=Case and:
#   case      the Case, after the decision (state, outcome, subject_type, subject_id)
#   decision  the Decision row just written (action "approve", "reject" or "escalate")
# Approve means the subject may stay or be published, reject means it must be taken down.
# Escalate leaves the case open; owners usually ignore it.
case_decided = Signal()

# A protected image or video entered the bank. Sent with sender=ProtectedMedia and:
#   entry     the ProtectedMedia row
# Owners of published media recheck it against the new entry.
bank_entry_added = Signal()

