"""The order of the reporting journey's pages and the draft kept between them.

A reporter's answers are kept server-side in their (encrypted) session as
the raw values they entered, page by page, so a refresh, the back button or
a change from the check-your-answers page loses nothing. Everything is
validated again, together, before the report is submitted.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib.sessions.backends.base import SessionBase
from django.db.models import Model
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _

from reports.forms import (
    EvidenceForm,
    PeopleForm,
    StepForm,
    SupportForm,
    WhatForm,
    WhereForm,
    WhoForm,
    WhyForm,
)
from reports.reference_data import reference_name

Answers = dict[str, dict[str, Any]]


@dataclass(frozen=True)
class Step:
    slug: str
    form_class: type[StepForm]


STEPS: tuple[Step, ...] = (
    Step("who", WhoForm),
    Step("what", WhatForm),
    Step("where", WhereForm),
    Step("why", WhyForm),
    Step("people", PeopleForm),
    Step("evidence", EvidenceForm),
    Step("support", SupportForm),
)
STEP_SLUGS = tuple(step.slug for step in STEPS)
SESSION_KEY = "report_draft"


def step_for(slug: str) -> Step | None:
    return next((step for step in STEPS if step.slug == slug), None)


def next_slug(slug: str) -> str | None:
    index = STEP_SLUGS.index(slug)
    return STEP_SLUGS[index + 1] if index + 1 < len(STEP_SLUGS) else None


def previous_slug(slug: str) -> str | None:
    index = STEP_SLUGS.index(slug)
    return STEP_SLUGS[index - 1] if index > 0 else None


def validate(raw: Mapping[str, Any]) -> tuple[Answers, dict[str, forms.utils.ErrorDict]]:
    """Validate every page's raw values, in order; the one check before submission."""
    cleaned: Answers = {}
    errors: dict[str, forms.utils.ErrorDict] = {}
    for step in STEPS:
        form = step.form_class(data=raw.get(step.slug) or {}, answers=cleaned, validate_only=True)
        if form.is_valid():
            cleaned[step.slug] = form.cleaned_data
        else:
            errors[step.slug] = form.errors
    return cleaned, errors


class Draft:
    """The answers a reporter has given so far, in their session."""

    def __init__(self, session: SessionBase) -> None:
        self.session = session

    @property
    def _pages(self) -> dict[str, dict[str, list[str]]]:
        pages: dict[str, dict[str, list[str]]] = self.session.get(SESSION_KEY, {})
        return pages

    def data_for(self, slug: str) -> MultiValueDict[str, str] | None:
        page = self._pages.get(slug)
        return MultiValueDict(page) if page is not None else None

    def raw(self) -> dict[str, MultiValueDict[str, str]]:
        return {slug: MultiValueDict(page) for slug, page in self._pages.items()}

    def save(self, slug: str, data: Mapping[str, Any], fields: list[str]) -> None:
        pages = dict(self._pages)
        getlist = getattr(data, "getlist", None)
        pages[slug] = {
            name: (getlist(name) if getlist else [data[name]]) for name in fields if name in data
        }
        self.session[SESSION_KEY] = pages

    def answered(self, slug: str) -> bool:
        return slug in self._pages

    def first_unanswered(self) -> str | None:
        return next((slug for slug in STEP_SLUGS if not self.answered(slug)), None)

    def clear(self) -> None:
        self.session.pop(SESSION_KEY, None)


def display_value(field: forms.Field, value: Any) -> str:
    """A cleaned answer as a person reads it on the check-your-answers page."""
    if value in (None, "", []):
        return _("Not given")
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, Model):
        return reference_name(value)
    if isinstance(value, datetime.date):
        return value.strftime("%d/%m/%Y")
    choices = dict(getattr(field, "choices", []) or [])
    if hasattr(value, "__iter__") and not isinstance(value, str):
        return ", ".join(
            reference_name(item) if isinstance(item, Model) else str(choices.get(item, item))
            for item in value
        )
    return str(choices.get(value, value))


def summary(answers: Answers) -> list[tuple[Step, Any, list[tuple[str, str, str]]]]:
    """Rows of (step, title, [(field name, label, display value)]) to check."""
    rows = []
    for step in STEPS:
        form = step.form_class(answers=answers)
        cleaned = answers.get(step.slug, {})
        fields = [
            (name, str(field.label), display_value(field, cleaned.get(name)))
            for name, field in form.fields.items()
        ]
        rows.append((step, form.title, fields))
    return rows
