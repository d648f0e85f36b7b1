from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from reports.forms import ReferenceChoiceField
from reports.models import Area, Strand


class DirectoryFilterForm(forms.Form):
    strand = ReferenceChoiceField(
        label=_("What was it about?"),
        queryset=Strand.objects.all(),
        to_field_name="code",
        required=False,
        empty_label=_("Any kind of hate crime"),
    )
    area = forms.ModelChoiceField(
        label=_("Where?"),
        queryset=Area.objects.all(),
        to_field_name="code",
        required=False,
        empty_label=_("Anywhere in England and Wales"),
    )


class FollowUpForm(forms.Form):
    reference = forms.CharField(
        label=_("Reference"),
        help_text=_("For example, HC-7K3M-Q2XP"),
        max_length=40,
        error_messages={"required": _("Enter your reference.")},
    )
    secret = forms.CharField(
        label=_("Follow-up secret"),
        help_text=_(
            "The secret you were given when you made your report, for example 4F7Q-K2M9-XW3D-8HRT"
        ),
        max_length=60,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        error_messages={"required": _("Enter your follow-up secret.")},
    )


class AddInformationForm(forms.Form):
    text = forms.CharField(
        label=_("What would you like to add?"),
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=20000,
        error_messages={"required": _("Enter what you would like to add.")},
    )


class WithdrawConsentForm(forms.Form):
    police = forms.BooleanField(
        label=_("Stop sharing my report with the police"),
        help_text=_("If they already have it, we will tell them you have withdrawn your consent."),
        required=False,
    )
    support = forms.BooleanField(
        label=_("Stop sharing my report with support services"),
        help_text=_("If they already have it, we will tell them you have withdrawn your consent."),
        required=False,
    )

    def __init__(self, *args: object, police: bool, support: bool, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        # Only the consents the reporter has given can be withdrawn.
        if not police:
            del self.fields["police"]
        if not support:
            del self.fields["support"]

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if self.fields and not any(data.get(name) for name in self.fields):
            raise forms.ValidationError(
                _("Select who you want us to stop sharing your report with."), code="required"
            )
        return data
