from __future__ import annotations

from django import template
from django.forms import BoundField
from django.utils.html import format_html
from django.utils.safestring import SafeString

register = template.Library()

_CLASSES = {"textarea": "textarea", "select": "select"}


@register.simple_tag
def field_widget(field: BoundField) -> SafeString:
    """Render a text-like input linked to its hint and error messages."""
    described_by = []
    if field.help_text:
        described_by.append(f"{field.auto_id}-hint")
    if field.errors:
        described_by.append(f"{field.auto_id}-error")
    css = _CLASSES.get(field.widget_type, "input") + (" input--error" if field.errors else "")
    attrs: dict[str, str | bool] = {"class": css}
    if described_by:
        attrs["aria-describedby"] = " ".join(described_by)
    return field.as_widget(attrs=attrs)


# Questions that only apply after a particular answer to another question on
# the same page: (the other field, the answers that make them apply). With
# JavaScript they are hidden until then (site.js); without it every question
# shows, and the forms ignore answers to questions that do not apply.
SHOWN_WHEN: dict[str, tuple[str, tuple[str, ...]]] = {
    "organisation_name": ("reporter_role", ("organisation",)),
    "other_incident_type": ("incident_types", ("other",)),
    "occurred_on": ("when_kind", ("date", "approximate")),
    "time_of_day": ("when_kind", ("date", "approximate")),
    "period_start": ("when_kind", ("period",)),
    "period_end": ("when_kind", ("period",)),
    "location_description": ("location_kind", ("street",)),
    "postcode": ("location_kind", ("street",)),
    "online_platform": ("location_kind", ("online",)),
    "online_link": ("location_kind", ("online",)),
    "online_username": ("location_kind", ("online",)),
    "contact_email": ("contact_methods", ("email",)),
    "contact_phone": ("contact_methods", ("phone", "text")),
}


@register.simple_tag
def shown_when(field: BoundField) -> SafeString:
    """A data-shown-when attribute for a question that depends on another one."""
    condition = SHOWN_WHEN.get(field.name)
    if condition is None or condition[0] not in field.form.fields:
        return SafeString("")
    controller, values = condition
    return format_html(' data-shown-when="{}:{}"', controller, " ".join(values))
