from __future__ import annotations

from django import template
from django.forms import BoundField
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
