"""What a victim is asked when their case closes, and the form that asks it.

Kept apart from ``case_models`` (staff-only, in English) because the victim
reads these words: ``bin/makemessages`` extracts this module for the Welsh,
Polish and Arabic catalogues. The three questions are the ones the seed
documents' outcome frameworks track: satisfaction with the service, feeling
safer, and confidence to report again.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.db import models
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext_lazy as _


class Satisfaction(models.IntegerChoices):
    VERY_DISSATISFIED = 1, _("Very dissatisfied")
    DISSATISFIED = 2, _("Dissatisfied")
    NEITHER = 3, _("Neither satisfied nor dissatisfied")
    SATISFIED = 4, _("Satisfied")
    VERY_SATISFIED = 5, _("Very satisfied")


class Answer(models.TextChoices):
    YES = "yes", _("Yes")
    NO = "no", _("No")
    UNSURE = "unsure", _("I am not sure")


class FeedbackForm(forms.Form):
    satisfaction = forms.TypedChoiceField(
        label=_("How satisfied are you with the support you were given?"),
        choices=Satisfaction.choices,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose how satisfied you are with the support.")},
    )
    feels_safer = forms.ChoiceField(
        label=_("Do you feel safer than before you were given support?"),
        choices=Answer.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose whether you feel safer.")},
    )
    confident_to_report = forms.ChoiceField(
        label=_("If it happened again, would you feel confident to report it?"),
        choices=Answer.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose whether you would feel confident to report again.")},
    )


def invitation_email(*, link: str, provider: str, language: str) -> tuple[str, str]:
    """The invitation's subject and body, in the language the victim reported in.

    Deliberately plain: it names no crime and no report, in case someone
    else reads the victim's email.
    """
    with translation.override(language or settings.LANGUAGE_CODE):
        subject = str(_("Your feedback on the support you were given"))
        body = render_to_string(
            "referrals/email/feedback_invitation.txt", {"link": link, "provider": provider}
        )
    return subject, body
