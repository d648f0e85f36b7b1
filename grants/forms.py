from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms

from grants.models import OutcomeMeasure


class ReturnReviewForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("accept", "Accept the return"), ("changes", "Ask the provider to change it")],
        widget=forms.RadioSelect,
        label="Your review",
    )
    comment = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "class": "textarea"}),
        label="Comment for the provider",
        help_text="Required when you ask for changes.",
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("decision") == "changes" and not (data.get("comment") or "").strip():
            self.add_error("comment", "Say what needs to change.")
        return data


class ReturnSubmitForm(forms.Form):
    spend = forms.DecimalField(
        min_value=Decimal(0),
        max_digits=14,
        decimal_places=2,
        label="Spend in the quarter (£)",
        widget=forms.TextInput(attrs={"class": "input", "inputmode": "decimal"}),
    )
    narrative = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6, "class": "textarea"}),
        label="What happened this quarter",
    )
    risks = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "class": "textarea"}),
        label="Risks and issues",
    )

    def __init__(self, *args: Any, measures: list[OutcomeMeasure], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.measures = measures
        for measure in measures:
            self.fields[f"measure_{measure.pk}"] = forms.DecimalField(
                min_value=Decimal(0),
                max_digits=12,
                decimal_places=2,
                label=f"{measure.name} ({measure.unit})",
                widget=forms.TextInput(attrs={"class": "input", "inputmode": "decimal"}),
            )

    def actuals(self) -> dict[OutcomeMeasure, Decimal]:
        return {m: self.cleaned_data[f"measure_{m.pk}"] for m in self.measures}
