"""The names moderation shares with the apps that act on its verdicts and cases.

- `Decision`: what a verdict (text or media) says of something: allow, review or block.
- `CaseKind`: why a case is in the queue (a held prompt, a report, an appeal...).
- `Action`: what a moderator decided on a case: approve, reject or escalate.

Other apps compare with these, never with string literals.
"""

from __future__ import annotations

from .models import Case
from .models import Decision as DecisionRow
from .policy.verdict import Decision

CaseKind = Case.Kind
Action = DecisionRow.Action

__all__ = ["Action", "CaseKind", "Decision"]
