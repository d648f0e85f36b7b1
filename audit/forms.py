from __future__ import annotations

from typing import Any

from django import forms


class BreachExportForm(forms.Form):
    username = forms.CharField(label="Staff account (username)", max_length=150)
    start = forms.DateField(label="From (YYYY-MM-DD)")
    end = forms.DateField(label="To, inclusive (YYYY-MM-DD)")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            self.add_error("end", "The end must be on or after the start.")
        return data
