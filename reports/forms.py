"""The reporting journey's questions, one form per page.

These forms are the single definition of what a report contains and how it
is validated: the web journey renders them page by page, and the API runs
the same forms over the sections of a JSON body (reports/api).
"""

from __future__ import annotations

import copy
import datetime
import re
from collections.abc import Callable, Mapping
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from reports.models import (
    Area,
    ContactMethod,
    IncidentType,
    LocationKind,
    ReporterRole,
    Strand,
    TimeOfDay,
    WhenKind,
    YesNoUnsure,
)
from reports.reference_data import ReferenceData, reference_data_cached, reference_name

YES_NO = [("yes", _("Yes")), ("no", _("No"))]
UK_POSTCODE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}$")
PHONE = re.compile(r"^\+?[0-9 ()-]{7,20}$")
DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d %m %Y"]

# Lengths are generous for a person writing about something that happened to
# them, and bounded so that a hostile client cannot store megabytes of text.
SHORT_TEXT = 200
MEDIUM_TEXT = 1000
LONG_TEXT = 20000


class YesNoField(forms.TypedChoiceField):
    """A required yes/no question shown as two radios, cleaned to a bool."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("choices", YES_NO)
        kwargs.setdefault("widget", forms.RadioSelect)
        super().__init__(coerce=lambda value: value == "yes", empty_value=None, **kwargs)

    def prepare_value(self, value: Any) -> Any:
        if value is True:
            return "yes"
        if value is False:
            return "no"
        return value


class ReferenceChoiceField(forms.ModelChoiceField):
    """A choice of strand or incident type, named in the reporter's language
    (the support directory's filter)."""

    def label_from_instance(self, obj: Any) -> str:
        return reference_name(obj)


class CachedModelChoiceField(forms.ModelChoiceField):
    """A ModelChoiceField over reference data, chosen by code, that finds the
    chosen object in the cached reference data (reports.reference_data)
    rather than with a query. Same answers and errors as a query would give;
    the queryset still supplies the choices a page shows."""

    def __init__(self, *, by_code: Callable[[ReferenceData], Mapping[str, Any]], **kwargs: Any):
        super().__init__(to_field_name="code", **kwargs)
        self.by_code = by_code

    def label_from_instance(self, obj: Any) -> str:
        # Strands and incident types in the reporter's language, by code.
        return reference_name(obj)

    def to_python(self, value: Any) -> Any:
        if value in self.empty_values:
            return None
        self.validate_no_null_characters(value)
        if isinstance(value, self.queryset.model):  # type: ignore[union-attr]
            value = value.code
        found = self.by_code(reference_data_cached()).get(str(value))
        if found is None:
            raise forms.ValidationError(
                self.error_messages["invalid_choice"],
                code="invalid_choice",
                params={"value": value},
            )
        return copy.copy(found)


class CachedModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    """CachedModelChoiceField for several choices: cleans to a list of the
    chosen objects in their model's order (what the queryset would give);
    an optional field left empty is still the queryset's none() (no query)."""

    def __init__(self, *, by_code: Callable[[ReferenceData], Mapping[str, Any]], **kwargs: Any):
        super().__init__(to_field_name="code", **kwargs)
        self.by_code = by_code

    def label_from_instance(self, obj: Any) -> str:
        # Strands and incident types in the reporter's language, by code.
        return reference_name(obj)

    def _check_values(self, value: Any) -> Any:
        try:
            wanted = frozenset(value)
        except TypeError as exc:
            # list of lists isn't hashable, for example
            raise forms.ValidationError(
                self.error_messages["invalid_list"], code="invalid_list"
            ) from exc
        for code in wanted:
            self.validate_no_null_characters(code)
        known = self.by_code(reference_data_cached())
        codes = {str(code) for code in wanted}
        for code in wanted:
            if str(code) not in known:
                raise forms.ValidationError(
                    self.error_messages["invalid_choice"],
                    code="invalid_choice",
                    params={"value": code},
                )
        return [copy.copy(found) for key, found in known.items() if key in codes]


def _not_in_future(value: datetime.date | None) -> None:
    if value and value > timezone.localdate():
        raise forms.ValidationError(_("The date must be today or in the past."), code="future")


class _SharedFields(dict[str, forms.Field]):
    """Fields that a form's deep copy copies only shallowly (the dict itself)."""

    def __deepcopy__(self, memo: dict[int, Any]) -> dict[str, forms.Field]:
        return dict(self)


class StepForm(forms.Form):
    """Base for the journey's pages.

    ``answers`` holds the cleaned answers of the other pages, for questions
    that depend on them (the contact questions are not asked of someone who
    chose to stay anonymous).
    """

    title: Any = ""
    template_name = "reports/step.html"

    def __init__(
        self,
        *args: Any,
        answers: Mapping[str, Mapping[str, Any]] | None = None,
        validate_only: bool = False,
        **kwargs: Any,
    ) -> None:
        if validate_only:
            # A form that is only validated, never rendered, shares the
            # class's Field objects (cleaning reads them and changes none)
            # instead of deep-copying every field and widget.
            self.base_fields = _SharedFields(type(self).base_fields)  # type: ignore[misc]
        super().__init__(*args, **kwargs)
        self.answers = answers or {}

    def require(self, field: str, message: Any) -> None:
        if not self.cleaned_data.get(field) and field not in self.errors:
            self.add_error(field, forms.ValidationError(message, code="required"))


class WhoForm(StepForm):
    title = _("Who is reporting")

    reporter_role = forms.ChoiceField(
        label=_("Who is making this report?"),
        choices=ReporterRole.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Select who is making this report.")},
    )
    organisation_name = forms.CharField(
        label=_("Name of the organisation"),
        required=False,
        max_length=SHORT_TEXT,
    )
    anonymous = YesNoField(
        label=_("Do you want to report anonymously?"),
        help_text=_(
            "If you report anonymously we will not ask for your name or contact details. "
            "Nobody will be able to contact you about your report, and a support service "
            "cannot offer you help directly. You can still come back with your reference "
            "and secret to add information or see what has happened."
        ),
        error_messages={"required": _("Select yes if you want to report anonymously.")},
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("reporter_role") == ReporterRole.ORGANISATION:
            self.require("organisation_name", _("Enter the name of the organisation."))
        else:
            data["organisation_name"] = ""
        return data


WRITTEN, STATEMENT = "written", "statement"
ACCOUNT_FORMATS = [
    (WRITTEN, _("I will write it down")),
    (STATEMENT, _("I will give a video or audio statement (for example in BSL)")),
]


class WhatForm(StepForm):
    title = _("What happened")

    incident_types = CachedModelMultipleChoiceField(
        label=_("What happened?"),
        help_text=_("Select all that apply."),
        queryset=IncidentType.objects.all(),
        by_code=lambda data: data.incident_types,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": _("Select what happened."),
            "invalid_choice": _("Select what happened from the list."),
            "invalid_pk_value": _("Select what happened from the list."),
        },
    )
    other_incident_type = forms.CharField(
        label=_("Describe what else happened"), required=False, max_length=MEDIUM_TEXT
    )
    account_format = forms.ChoiceField(
        label=_("How would you like to tell us what happened?"),
        choices=ACCOUNT_FORMATS,
        widget=forms.RadioSelect,
        required=False,
        help_text=_(
            "You can record or upload a video or audio statement instead of writing, "
            "for example in British Sign Language. You add it on the evidence page."
        ),
    )
    account = forms.CharField(
        label=_("Tell us what happened"),
        help_text=_(
            "Include what was said or done, and anything else you think is important. "
            "Write as much or as little as you want. If you are giving a video or audio "
            "statement, this is optional."
        ),
        widget=forms.Textarea(attrs={"rows": 8}),
        max_length=LONG_TEXT,
        required=False,
    )
    when_kind = forms.ChoiceField(
        label=_("When did it happen?"),
        choices=WhenKind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Select when it happened.")},
    )
    occurred_on = forms.DateField(
        label=_("Date"),
        help_text=_("For example, 27/03/2026"),
        required=False,
        input_formats=DATE_INPUT_FORMATS,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        validators=[_not_in_future],
        error_messages={"invalid": _("Enter a real date, for example 27/03/2026.")},
    )
    time_of_day = forms.ChoiceField(
        label=_("What time of day was it?"),
        choices=TimeOfDay.choices,
        widget=forms.RadioSelect,
        required=False,
    )
    period_start = forms.DateField(
        label=_("When did it start?"),
        help_text=_("For example, 01/01/2026"),
        required=False,
        input_formats=DATE_INPUT_FORMATS,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        validators=[_not_in_future],
        error_messages={"invalid": _("Enter a real date, for example 01/01/2026.")},
    )
    period_end = forms.DateField(
        label=_("When did it last happen?"),
        help_text=_("Leave this empty if it is still happening."),
        required=False,
        input_formats=DATE_INPUT_FORMATS,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        validators=[_not_in_future],
        error_messages={"invalid": _("Enter a real date, for example 01/03/2026.")},
    )
    still_happening = forms.ChoiceField(
        label=_("Is it still happening?"),
        choices=YesNoUnsure.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Select whether it is still happening.")},
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("account_format") != STATEMENT:
            data["account_format"] = WRITTEN
            self.require("account", _("Tell us what happened."))
        types = data.get("incident_types") or []
        if any(t.code == "other" for t in types):
            self.require("other_incident_type", _("Describe what else happened."))
        else:
            data["other_incident_type"] = ""
        when = data.get("when_kind")
        if when in (WhenKind.DATE, WhenKind.APPROXIMATE):
            self.require("occurred_on", _("Enter the date it happened."))
            data["period_start"] = data["period_end"] = None
        elif when == WhenKind.PERIOD:
            self.require("period_start", _("Enter when it started."))
            start, end = data.get("period_start"), data.get("period_end")
            if start and end and end < start:
                self.add_error(
                    "period_end",
                    forms.ValidationError(
                        _(
                            "The date it last happened must be the same as or after the date it started."
                        ),
                        code="before_start",
                    ),
                )
            data["occurred_on"] = None
            data["time_of_day"] = ""
        return data


class WhereForm(StepForm):
    title = _("Where it happened")

    location_kind = forms.ChoiceField(
        label=_("Where did it happen?"),
        choices=LocationKind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Select where it happened.")},
    )
    area = CachedModelChoiceField(
        label=_("Which area?"),
        help_text=_(
            "The London borough or police force area where it happened. If it happened "
            "online, choose the area where the person it happened to lives."
        ),
        queryset=Area.objects.all(),
        by_code=lambda data: data.areas,
        empty_label=_("Choose an area"),
        error_messages={
            "required": _("Choose the area."),
            "invalid_choice": _("Choose an area from the list."),
        },
    )
    location_description = forms.CharField(
        label=_("Street, building or place"),
        help_text=_("For example, the bus stop on the High Street, or the name of a shop."),
        required=False,
        max_length=MEDIUM_TEXT,
    )
    postcode = forms.CharField(label=_("Postcode (if you know it)"), required=False, max_length=10)
    online_platform = forms.CharField(
        label=_("Website, app or platform"),
        help_text=_("For example, a social media site, a messaging app, email or a game."),
        required=False,
        max_length=100,
    )
    online_link = forms.URLField(
        label=_("Link to the post, page or account (if you have it)"),
        required=False,
        max_length=2000,
        assume_scheme="https",
        error_messages={"invalid": _("Enter a link starting with https://")},
    )
    online_username = forms.CharField(
        label=_("Username of the account responsible (if you know it)"),
        required=False,
        max_length=SHORT_TEXT,
    )

    def clean_postcode(self) -> str:
        value = " ".join(self.cleaned_data.get("postcode", "").upper().split())
        if value and not UK_POSTCODE.match(value):
            raise forms.ValidationError(
                _("Enter a real postcode, like SW1A 2AA, or leave it empty."), code="invalid"
            )
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind = data.get("location_kind")
        if kind == LocationKind.STREET:
            if not data.get("location_description") and not data.get("postcode"):
                self.add_error(
                    "location_description",
                    forms.ValidationError(
                        _("Enter the street, building or place, or a postcode."), code="required"
                    ),
                )
            data["online_platform"] = data["online_link"] = data["online_username"] = ""
        elif kind == LocationKind.ONLINE:
            self.require("online_platform", _("Enter the website, app or platform."))
            data["location_description"] = data["postcode"] = ""
        return data


class WhyForm(StepForm):
    title = _("Why you think it was hate")

    strands = CachedModelMultipleChoiceField(
        label=_("Why do you think it happened?"),
        help_text=_(
            "A hate crime or incident is anything the victim or anyone else thinks was "
            "because of hostility or prejudice towards who someone is. Select all that apply."
        ),
        queryset=Strand.objects.all(),
        by_code=lambda data: data.strands,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        error_messages={
            "invalid_choice": _("Select a reason from the list."),
            "invalid_pk_value": _("Select a reason from the list."),
        },
    )
    other_motivation = forms.CharField(
        label=_("Another reason (for example sex or gender, age, or how someone dresses)"),
        required=False,
        max_length=MEDIUM_TEXT,
    )
    motivation_evidence = forms.CharField(
        label=_("What was said or done that makes you think this? (optional)"),
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
        max_length=LONG_TEXT,
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (
            not data.get("strands")
            and not data.get("other_motivation")
            and "strands" not in self.errors
        ):
            self.add_error(
                "strands",
                forms.ValidationError(
                    _("Select at least one reason, or describe another reason."), code="required"
                ),
            )
        return data


class PeopleForm(StepForm):
    title = _("The people involved")

    perpetrator_description = forms.CharField(
        label=_("Describe the person or people responsible (optional)"),
        help_text=_(
            "For example, how many there were, what they looked like, or what they were wearing."
        ),
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
        max_length=LONG_TEXT,
    )
    perpetrator_known = forms.ChoiceField(
        label=_("Does the person it happened to know who did it?"),
        choices=YesNoUnsure.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Select whether they know who did it.")},
    )
    happened_before = forms.ChoiceField(
        label=_("Has something like this happened to them before?"),
        choices=YesNoUnsure.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Select whether it has happened before.")},
    )


class EvidenceForm(StepForm):
    """The evidence page. Files are sent by the evidence app's upload
    endpoints (or this page's plain file input) and kept with the browser
    session, not in the draft; the page itself has no questions."""

    title = _("Photos, videos and other evidence")
    template_name = "reports/evidence.html"


class SupportForm(StepForm):
    title = _("Support and who we tell")

    wants_support = YesNoField(
        label=_("Would you like a support service to contact you?"),
        help_text=_("Support is free and confidential, whether or not the police are told."),
        error_messages={"required": _("Select yes if you would like support.")},
    )
    wants_police_told = YesNoField(
        label=_("Do you want us to tell the police about this?"),
        error_messages={"required": _("Select yes if you want the police told.")},
    )
    consent_share_with_police = forms.BooleanField(
        label=_("I agree to my name and contact details being given to the police"),
        required=False,
    )
    consent_share_with_support = forms.BooleanField(
        label=_("I agree to my name and contact details being given to a support service"),
        required=False,
    )
    contact_name = forms.CharField(label=_("Your name"), required=False, max_length=SHORT_TEXT)
    contact_methods = forms.MultipleChoiceField(
        label=_("How can we contact you?"),
        help_text=_("Select all that are safe for you."),
        choices=ContactMethod.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        error_messages={"invalid_choice": _("Select a way to contact you from the list.")},
    )
    contact_email = forms.EmailField(
        label=_("Email address"),
        required=False,
        max_length=254,
        error_messages={"invalid": _("Enter an email address like name@example.com.")},
    )
    contact_phone = forms.CharField(label=_("Phone number"), required=False, max_length=20)
    safe_contact_times = forms.CharField(
        label=_("When is it safe to contact you? (optional)"),
        help_text=_("For example, weekdays after 6pm."),
        required=False,
        max_length=MEDIUM_TEXT,
    )
    safe_to_leave_message = YesNoField(
        label=_("Is it safe to leave you a message?"), required=False
    )
    preferred_language = forms.CharField(
        label=_("Which language would you like to be contacted in? (optional)"),
        required=False,
        max_length=100,
    )
    needs_interpreter = forms.BooleanField(label=_("I need an interpreter"), required=False)
    needs_bsl = forms.BooleanField(
        label=_("I need a British Sign Language interpreter"), required=False
    )
    accessibility_needs = forms.CharField(
        label=_("Anything else that would help us contact or support you? (optional)"),
        help_text=_("For example, large print, easy read, or help from someone you trust."),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=MEDIUM_TEXT,
    )

    # What an anonymous reporter is taken to have answered to the questions
    # they are not asked: nothing that could identify them is kept.
    ANONYMOUS_ANSWERS: dict[str, Any] = {
        "consent_share_with_police": False,
        "consent_share_with_support": False,
        "contact_name": "",
        "contact_methods": [],
        "contact_email": "",
        "contact_phone": "",
        "safe_contact_times": "",
        "safe_to_leave_message": False,
        "preferred_language": "",
        "needs_interpreter": False,
        "needs_bsl": False,
        "accessibility_needs": "",
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.is_anonymous:
            for name in self.ANONYMOUS_ANSWERS:
                del self.fields[name]

    @property
    def is_anonymous(self) -> bool:
        return bool(self.answers.get("who", {}).get("anonymous"))

    def clean_contact_phone(self) -> str:
        value = self.cleaned_data.get("contact_phone", "").strip()
        if value and not PHONE.match(value):
            raise forms.ValidationError(
                _("Enter a phone number, like 07700 900 982 or +44 7700 900 982."), code="invalid"
            )
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.is_anonymous:
            # Nothing that could identify an anonymous reporter is kept.
            data.update(self.ANONYMOUS_ANSWERS)
            return data
        methods = data.get("contact_methods") or []
        if ContactMethod.EMAIL in methods:
            self.require("contact_email", _("Enter your email address, or untick email."))
        if ContactMethod.PHONE in methods or ContactMethod.TEXT in methods:
            self.require("contact_phone", _("Enter your phone number, or untick phone and text."))
        wants_contact = data.get("wants_support") or data.get("consent_share_with_police")
        if wants_contact and not methods and "contact_methods" not in self.errors:
            self.add_error(
                "contact_methods",
                forms.ValidationError(
                    _("Select at least one way we can contact you."), code="required"
                ),
            )
        if data.get("safe_to_leave_message") is None:
            data["safe_to_leave_message"] = False
        return data
