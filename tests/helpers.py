from __future__ import annotations

from typing import Any

from reports import journey
from reports.api.serializers import SECTION_SERIALIZERS, as_form_data
from reports.services import Submission, report_submit


def answers_from(report: dict[str, Any]) -> journey.Answers:
    """Clean an API-shaped report through the journey's forms."""
    raw: dict[str, Any] = {}
    for step in journey.STEPS:
        if step.slug not in SECTION_SERIALIZERS:  # a page with no questions (evidence)
            raw[step.slug] = {}
            continue
        section = SECTION_SERIALIZERS[step.slug](data=report.get(step.slug, {}))
        assert section.is_valid(), section.errors
        raw[step.slug] = as_form_data(section.validated_data, step)
    answers, errors = journey.validate(raw)
    assert not errors, errors
    return answers


def submit(report: dict[str, Any], **kwargs: Any) -> Submission:
    return report_submit(answers=answers_from(report), **kwargs)
