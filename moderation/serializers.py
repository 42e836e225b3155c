"""JSON shapes of reports, appeals and cases in the REST API."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from .models import Case, Decision, Report
from .services import APPEAL_MAX_LENGTH, REPORT_TEXT_MAX_LENGTH

SUBJECT_TYPES = [("post", "post"), ("comment", "comment"), ("user", "user")]


def _handle(user) -> str | None:
    return user.handle if user is not None else None


class ReportCreateSerializer(serializers.Serializer):
    subject_type = serializers.ChoiceField(choices=SUBJECT_TYPES)
    subject_id = serializers.IntegerField(required=False, min_value=1, help_text="Id of the post or comment.")
    handle = serializers.CharField(required=False, max_length=31, help_text="Handle of the person reported.")
    reason = serializers.ChoiceField(choices=Report.Reason.choices)
    text = serializers.CharField(required=False, allow_blank=True, max_length=REPORT_TEXT_MAX_LENGTH, trim_whitespace=False)

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        if data["subject_type"] == "user":
            key = data.get("handle") or data.get("subject_id")
            if not key:
                raise serializers.ValidationError({"handle": [_("Give the handle of the person you report.")]})
        else:
            key = data.get("subject_id")
            if key is None:
                raise serializers.ValidationError({"subject_id": [_("Give the id of what you report.")]})
        return {"subject_type": data["subject_type"], "subject_id": key, "reason": data["reason"], "text": data.get("text", "")}


class ReportSerializer(serializers.Serializer):
    """A report its author made, and what became of it."""

    id = serializers.IntegerField(read_only=True)
    subject_type = serializers.CharField(read_only=True)
    subject_id = serializers.IntegerField(read_only=True)
    reason = serializers.CharField(read_only=True)
    text = serializers.CharField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    state = serializers.CharField(read_only=True, help_text="State of the case: open, claimed or decided.")
    outcome = serializers.CharField(
        read_only=True, allow_null=True,
        help_text="null while undecided; `upheld` (action taken) or `dismissed` once decided.",
    )

    def to_representation(self, report: Report) -> dict[str, Any]:
        case = report.case
        outcome = None
        if case.is_decided:
            outcome = "upheld" if case.outcome == Case.Outcome.REJECTED else "dismissed"
        return {
            "id": report.pk,
            "subject_type": report.subject_type.model,
            "subject_id": report.subject_id,
            "reason": report.reason,
            "text": report.text,
            "created_at": report.created_at.isoformat(),
            "state": case.state,
            "outcome": outcome,
        }


class AppealCreateSerializer(serializers.Serializer):
    case = serializers.IntegerField(required=False, min_value=1, help_text="Id of the case whose decision is appealed.")
    post = serializers.IntegerField(required=False, min_value=1, help_text="Or the id of the removed post.")
    message = serializers.CharField(max_length=APPEAL_MAX_LENGTH, trim_whitespace=False)

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        if ("case" in data) == ("post" in data):
            raise serializers.ValidationError({"case": [_("Give either a case or a post.")]})
        return data


class AppealSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    case = serializers.IntegerField(read_only=True, source="parent_id", help_text="The case appealed.")
    message = serializers.CharField(read_only=True)
    state = serializers.CharField(read_only=True)
    outcome = serializers.CharField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)


class CaseSerializer(serializers.Serializer):
    """A case as the queue lists it."""

    id = serializers.IntegerField(read_only=True)
    kind = serializers.ChoiceField(choices=Case.Kind.choices, read_only=True)
    subject_type = serializers.CharField(read_only=True)
    subject_id = serializers.IntegerField(read_only=True)
    subject_owner = serializers.CharField(read_only=True, allow_null=True, help_text="Handle of the person concerned.")
    categories = serializers.ListField(child=serializers.CharField(), read_only=True)
    priority = serializers.IntegerField(read_only=True)
    state = serializers.CharField(read_only=True, help_text="open, claimed or decided.")
    outcome = serializers.CharField(read_only=True)
    report_count = serializers.IntegerField(read_only=True)
    claimed_by = serializers.CharField(read_only=True, allow_null=True)
    claimed_at = serializers.DateTimeField(read_only=True, allow_null=True)
    created_at = serializers.DateTimeField(read_only=True)
    decided_at = serializers.DateTimeField(read_only=True, allow_null=True)

    def to_representation(self, case: Case) -> dict[str, Any]:
        return {
            "id": case.pk,
            "kind": case.kind,
            "subject_type": case.subject_type.model,
            "subject_id": case.subject_id,
            "subject_owner": _handle(case.subject_owner),
            "categories": list(case.categories),
            "priority": case.priority,
            "state": case.state,
            "outcome": case.outcome,
            "report_count": case.report_count,
            "claimed_by": _handle(case.claimed_by),
            "claimed_at": case.claimed_at.isoformat() if case.claimed_at else None,
            "created_at": case.created_at.isoformat(),
            "decided_at": case.decided_at.isoformat() if case.decided_at else None,
        }


class DecisionSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    moderator = serializers.CharField(read_only=True, source="moderator.handle", allow_null=True,
                                      help_text="Empty for the policy's automatic refusals.")
    action = serializers.ChoiceField(choices=Decision.Action.choices, read_only=True)
    note = serializers.CharField(read_only=True)
    policy_version = serializers.CharField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)


class CaseReportSerializer(serializers.Serializer):
    reporter = serializers.CharField(read_only=True, source="reporter.handle")
    reason = serializers.CharField(read_only=True)
    text = serializers.CharField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)


class CaseDetailSerializer(CaseSerializer):
    """A case with its evidence, its reports and the decisions taken on it."""

    evidence = serializers.JSONField(read_only=True)
    message = serializers.CharField(read_only=True)
    # Declared fields leave the class at run time (SerializerMetaclass pops them), so this
    # does not hide Field.parent as the stubs think.
    parent = serializers.IntegerField(read_only=True, allow_null=True)  # type: ignore[assignment]
    reports = CaseReportSerializer(many=True, read_only=True)
    decisions = DecisionSerializer(many=True, read_only=True)

    def to_representation(self, case: Case) -> dict[str, Any]:
        data = super().to_representation(case)
        data.update({
            "evidence": case.evidence,
            "message": case.message,
            "parent": case.parent_id,
            "reports": CaseReportSerializer(case.reports.all(), many=True).data,
            "decisions": DecisionSerializer(case.decisions.all(), many=True).data,
        })
        return data


class DecideSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=Decision.Action.choices)
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class BulkDecideSerializer(DecideSerializer):
    case_ids = serializers.ListField(child=serializers.IntegerField(min_value=1), min_length=1, max_length=100)


class BulkResultSerializer(serializers.Serializer):
    decided = serializers.ListField(child=serializers.IntegerField(), read_only=True)
    refused = serializers.DictField(child=serializers.CharField(), read_only=True, help_text="Case id → why.")
