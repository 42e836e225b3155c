"""Web forms of moderation: reporting, appealing and deciding cases."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Case, Decision, Report
from .services import APPEAL_MAX_LENGTH, REPORT_TEXT_MAX_LENGTH


class ReportForm(forms.Form):
    reason = forms.ChoiceField(label=_("Why are you reporting this?"), choices=Report.Reason.choices, widget=forms.RadioSelect)
    text = forms.CharField(
        label=_("Anything else we should know? (optional)"), required=False, max_length=REPORT_TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class AppealForm(forms.Form):
    message = forms.CharField(
        label=_("Why should this decision be reversed?"), max_length=APPEAL_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class DecideForm(forms.Form):
    action = forms.ChoiceField(label=_("Decision"), choices=Decision.Action.choices, widget=forms.RadioSelect)
    note = forms.CharField(label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))


class BulkDecideForm(forms.Form):
    action = forms.ChoiceField(
        label=_("Decision"),
        choices=[(Decision.Action.APPROVE, _("Approve")), (Decision.Action.REJECT, _("Reject"))],
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=2000)
    cases = forms.TypedMultipleChoiceField(label=_("Cases"), coerce=int, choices=())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        ids = self.data.getlist("cases") if hasattr(self.data, "getlist") else []
        self.fields["cases"].choices = [(i, i) for i in ids if str(i).isdigit()]


class QueueFilterForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=[("", _("All kinds")), *Case.Kind.choices])
    state = forms.ChoiceField(label=_("State"), required=False, choices=[("", _("To do")), *Case.State.choices])
