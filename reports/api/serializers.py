"""API shapes for reports, generated from the journey's forms.

The forms in reports.forms are the one definition of a report's questions:
the serializers below are derived from them field by field, so the API and
the web journey cannot drift apart. The serializers check JSON types (and
give the OpenAPI schema); the forms then apply the same validation as the
web pages.
"""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from rest_framework import serializers
from rest_framework.utils.serializer_helpers import BindingDict

from reports import journey
from reports.forms import YesNoField


def _choices(field: forms.ChoiceField) -> list[tuple[Any, Any]]:
    return [(value, label) for value, label in field.choices]  # type: ignore[union-attr,misc]


def _serializer_field(field: forms.Field) -> serializers.Field:
    common: dict[str, Any] = {
        "required": field.required,
        "help_text": str(field.help_text or field.label),
    }
    if isinstance(field, YesNoField):
        return serializers.BooleanField(**common)
    if isinstance(field, forms.BooleanField):
        return serializers.BooleanField(
            required=False, default=False, help_text=common["help_text"]
        )
    if isinstance(field, forms.ModelMultipleChoiceField):
        return serializers.ListField(
            child=serializers.SlugField(), allow_empty=not field.required, **common
        )
    if isinstance(field, forms.ModelChoiceField):
        return serializers.SlugField(**common)
    if isinstance(field, forms.MultipleChoiceField):
        return serializers.MultipleChoiceField(
            choices=_choices(field), allow_empty=not field.required, **common
        )
    if isinstance(field, forms.ChoiceField):
        return serializers.ChoiceField(
            choices=_choices(field), allow_blank=not field.required, **common
        )
    if isinstance(field, forms.DateField):
        return serializers.DateField(allow_null=not field.required, **common)
    if isinstance(field, forms.EmailField):
        return serializers.EmailField(max_length=field.max_length, allow_blank=True, **common)
    if isinstance(field, forms.URLField):
        return serializers.URLField(max_length=field.max_length, allow_blank=True, **common)
    if isinstance(field, forms.CharField):
        return serializers.CharField(
            max_length=field.max_length,
            allow_blank=not field.required,
            trim_whitespace=True,
            **common,
        )
    raise TypeError(f"no API field for {type(field).__name__}")


def _section_serializer(step: journey.Step) -> type[serializers.Serializer[Any]]:
    form = step.form_class()
    attrs: dict[str, Any] = {name: _serializer_field(field) for name, field in form.fields.items()}
    # A form built without answers has every question, including the contact
    # questions the form drops for anonymous reporters (ignored for them).
    name = f"{step.slug.title()}Section"
    attrs["__doc__"] = str(step.form_class.title)
    return type(name, (serializers.Serializer,), attrs)


# Pages without questions (the evidence page) have no section: files are
# uploaded separately and listed in "evidence".
SECTION_SERIALIZERS = {
    step.slug: _section_serializer(step) for step in journey.STEPS if step.form_class().fields
}


class SharedFieldsSerializer(serializers.Serializer[Any]):
    """A serializer whose fields are built and bound once per class.

    DRF deep-copies a serializer's declared fields (and, for nested
    serializers, theirs) for every instance, so that no instance's changes
    reach another. A request body's type check (no instance, no context,
    never partial) reads the fields and changes none, so every instance of
    such a serializer shares one bound set, and validates and answers
    exactly as a fresh set would.
    """

    @property
    def fields(self) -> BindingDict:
        cls = type(self)
        shared: BindingDict | None = cls.__dict__.get("_shared_fields")
        if shared is None:
            prototype = cls()
            shared = BindingDict(prototype)
            for name, field in prototype.get_fields().items():
                shared[name] = field
            for field in shared.values():
                if isinstance(field, serializers.Serializer):
                    field.fields  # noqa: B018 (the nested fields, built now, once)
            cls._shared_fields = shared  # type: ignore[attr-defined]
        return shared


ReportCreateSerializer = type(
    "ReportCreate",
    (SharedFieldsSerializer,),
    {
        "__doc__": "A new report: one object per page of the web journey.",
        **{slug: serializer() for slug, serializer in SECTION_SERIALIZERS.items()},
        "evidence": serializers.ListField(
            child=serializers.UUIDField(),
            required=False,
            max_length=50,
            help_text=(
                "Ids of finished uploads (see /uploads/) to attach; send the "
                "X-Upload-Token header they were made with."
            ),
        ),
        "statement": serializers.UUIDField(
            required=False,
            allow_null=True,
            help_text=(
                "Id of a finished video or audio upload given as the account of what "
                'happened (what.account_format "statement"; what.account is then optional).'
            ),
        ),
    },
)


class EvidenceAttachSerializer(serializers.Serializer[dict[str, Any]]):
    evidence = serializers.ListField(child=serializers.UUIDField(), min_length=1, max_length=50)


class EvidenceAttachedSerializer(serializers.Serializer[dict[str, Any]]):
    attached = serializers.IntegerField()


def as_form_data(section: dict[str, Any], step: journey.Step) -> dict[str, Any]:
    """Typed API values as the raw strings the journey's form expects."""
    fields = step.form_class.base_fields
    data: dict[str, Any] = {}
    for name, value in section.items():
        field = fields.get(name)
        if value is None:
            continue
        if isinstance(field, YesNoField):
            data[name] = "yes" if value else "no"
        elif isinstance(value, bool):
            if value:
                data[name] = "on"
        elif isinstance(value, datetime.date):
            data[name] = value.isoformat()
        elif isinstance(value, list | set):
            data[name] = list(value)
        else:
            data[name] = value
    return data


class ReportCreatedSerializer(serializers.Serializer[dict[str, Any]]):
    reference = serializers.CharField(
        help_text="Quote this reference in any contact about the report."
    )
    follow_up_secret = serializers.CharField(
        help_text="Shown once. With the reference it lets the reporter see progress and add information."
    )
    status = serializers.CharField()


class ReportStatusSerializer(serializers.Serializer[dict[str, Any]]):
    reference = serializers.CharField()
    status = serializers.CharField()
    status_text = serializers.CharField(help_text="The report's status in plain words.")
    submitted_at = serializers.DateTimeField()
