"""The public reporting journey: thin views over reports.journey and services."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods
from django.views.i18n import set_language
from django_ratelimit.core import is_ratelimited

from audit.roles import Role, has_role
from evidence import selectors as evidence_selectors
from evidence import services as evidence_services
from evidence.pages import handle_files_action, takes_files
from evidence.views import item_view, session_owner, session_owner_forget
from referrals.selectors import services_to_call
from reports import abuse, journey
from reports.api.errors import json_error
from reports.forms import STATEMENT
from reports.models import Channel
from reports.services import report_submit

# The confirmation page (a referrals view) reads and removes this once.
SUBMISSION_SESSION_KEY = "report_submission"


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "reports/home.html", {"services_to_call": services_to_call()})


def easy_read(request: HttpRequest) -> HttpResponse:
    return render(request, "reports/easy_read.html", {"back_url": reverse("reports:home")})


def easy_read_next(request: HttpRequest) -> HttpResponse:
    return render(
        request, "reports/easy_read_next.html", {"back_url": reverse("reports:easy_read")}
    )


def start(request: HttpRequest) -> HttpResponse:
    return render(request, "reports/start.html")


def _step_url(slug: str, *, change: bool = False) -> str:
    url = reverse("reports:step", args=[slug])
    return f"{url}?change=1" if change else url


@sensitive_post_parameters()
@require_http_methods(["GET", "POST"])
def step(request: HttpRequest, slug: str) -> HttpResponse:
    current = journey.step_for(slug)
    if current is None:
        raise Http404
    draft = journey.Draft(request.session)
    abuse.note_start(request.session)
    # Pages are answered in order; someone who jumps ahead is taken back to
    # the first page they have not answered yet.
    first_unanswered = draft.first_unanswered()
    if first_unanswered is not None and journey.STEP_SLUGS.index(slug) > journey.STEP_SLUGS.index(
        first_unanswered
    ):
        return redirect(_step_url(first_unanswered))
    answers, _errors = journey.validate(draft.raw())
    changing = request.GET.get("change") == "1"
    if request.method == "POST" and request.POST.get("language"):
        # The language switcher on a journey page submits this page's form
        # (its buttons carry form="step-form"), so what was typed here is
        # kept before the page comes back in the other language.
        form = current.form_class(data=request.POST, answers=answers)
        if draft.answered(slug) or any(request.POST.get(name) for name in form.fields):
            draft.save(slug, request.POST, list(form.fields))
        return set_language(request)
    if request.method == "POST":
        form = current.form_class(data=request.POST, answers=answers)
        draft.save(slug, request.POST, list(form.fields))
        if form.is_valid():
            following = journey.next_slug(slug)
            if changing or following is None:
                return redirect("reports:check")
            return redirect(_step_url(following))
    else:
        form = (
            current.form_class(data=draft.data_for(slug), answers=answers)
            if draft.answered(slug)
            else current.form_class(answers=answers)
        )
    previous = journey.previous_slug(slug)
    back_url = (
        reverse("reports:check")
        if changing
        else (_step_url(previous) if previous else reverse("reports:start"))
    )
    return render(
        request,
        "reports/step.html",
        {
            "form": form,
            "step": current,
            "step_number": journey.STEP_SLUGS.index(slug) + 1,
            "step_count": len(journey.STEPS),
            "back_url": back_url,
            "action_url": _step_url(slug, change=changing),
            "switch_form_id": "step-form",
            "switch_action": f"{_step_url(slug, change=changing)}"
            f"{'&' if changing else '?'}{urlencode({'next': _step_url(slug, change=changing)})}",
        },
    )


def _statement_wanted(answers: journey.Answers) -> bool:
    return answers.get("what", {}).get("account_format") == STATEMENT


@takes_files
@require_http_methods(["GET", "POST"])
def evidence_step(request: HttpRequest) -> HttpResponse:
    slug = "evidence"
    draft = journey.Draft(request.session)
    first_unanswered = draft.first_unanswered()
    if first_unanswered is not None and journey.STEP_SLUGS.index(slug) > journey.STEP_SLUGS.index(
        first_unanswered
    ):
        return redirect(_step_url(first_unanswered))
    answers, _errors = journey.validate(draft.raw())
    changing = request.GET.get("change") == "1"
    owner = session_owner(request.session)
    assert owner is not None
    errors: list[dict[str, str]] = []
    if request.method == "POST":
        handled, errors = handle_files_action(request, owner)
        if handled and not errors:
            return redirect(request.get_full_path())
        if not handled:
            staged = evidence_selectors.evidence_for_owner(owner)
            if _statement_wanted(answers) and not staged.filter(is_statement=True).exists():
                errors.append(
                    {
                        "field": "statement",
                        "message": str(
                            _(
                                "Add your video or audio statement, or go back and choose "
                                "to write down what happened."
                            )
                        ),
                    }
                )
            else:
                draft.save(slug, {}, [])
                following = journey.next_slug(slug)
                if changing or following is None:
                    return redirect("reports:check")
                return redirect(_step_url(following))
    previous = journey.previous_slug(slug)
    items = list(evidence_selectors.evidence_for_owner(owner))
    return render(
        request,
        "reports/evidence.html",
        {
            "errors": errors,
            "items": [item_view(item) for item in items],
            "statement_wanted": _statement_wanted(answers),
            "has_statement": any(item.is_statement for item in items),
            "max_files": settings.EVIDENCE_MAX_FILES,
            "accepted": evidence_services.kinds.ACCEPTED_DESCRIPTION,
            "step_number": journey.STEP_SLUGS.index(slug) + 1,
            "step_count": len(journey.STEPS),
            "back_url": reverse("reports:check")
            if changing
            else (_step_url(previous) if previous else reverse("reports:start")),
            "action_url": _step_url(slug, change=changing),
        },
        status=400 if errors else 200,
    )


@sensitive_post_parameters()
@require_http_methods(["GET", "POST"])
def check(request: HttpRequest) -> HttpResponse:
    draft = journey.Draft(request.session)
    first_unanswered = draft.first_unanswered()
    if first_unanswered is not None:
        return redirect(_step_url(first_unanswered))
    answers, errors = journey.validate(draft.raw())
    if errors:
        # Something changed underneath (an area removed, a date now in the
        # future after a long pause): send them to the page to fix it.
        return redirect(_step_url(next(iter(errors)), change=True))
    owner = session_owner(request.session, create=False)
    evidence = list(evidence_selectors.evidence_for_owner(owner)) if owner else []
    if _statement_wanted(answers) and not any(item.is_statement for item in evidence):
        return redirect(_step_url("evidence", change=True))
    notice = ""
    if request.method == "POST":
        limited = _rate_limited(request)
        if limited is not None:
            return limited
        if abuse.honeypot_filled(request):
            # Only scripts fill the hidden field: nothing is stored, and the
            # answer gives a script nothing to learn from.
            return render(request, "reports/not_sent.html", status=400)
        if abuse.too_fast(request.session):
            notice = _("Please check your answers, then press “Send report” again.")
    if request.method == "POST" and not notice:
        # A reporting centre worker signed in to the staff site is entering
        # a report for someone who came to them: recorded as assisted.
        assisted = has_role(request.user, Role.REPORTING_CENTRE_WORKER)
        try:
            submission = report_submit(
                answers=answers,
                channel=Channel.ASSISTED if assisted else Channel.WEB,
                language=get_language() or "en",
                acting_user=request.user if assisted else None,  # type: ignore[arg-type]
                evidence_owner=owner,
            )
        except evidence_services.EvidenceError:
            return redirect(_step_url("evidence", change=True))
        draft.clear()
        abuse.forget(request.session)
        session_owner_forget(request.session)
        request.session[SUBMISSION_SESSION_KEY] = {
            "report_id": submission.report.pk,
            "reference": submission.report.reference,
            "secret": submission.follow_up_secret,
        }
        # A new session key after submission: the draft's key is retired.
        request.session.cycle_key()
        return HttpResponseRedirect(reverse("referrals:confirmation"))
    return render(
        request,
        "reports/check.html",
        {
            "rows": [
                (step, title, fields, _step_url(step.slug, change=True))
                for step, title, fields in journey.summary(answers)
            ],
            "back_url": _step_url(journey.STEP_SLUGS[-1]),
            "notice": notice,
            "honeypot_field": abuse.HONEYPOT_FIELD,
            "evidence": [item_view(item) for item in evidence],
            "evidence_change_url": _step_url("evidence", change=True),
        },
    )


def _rate_limited(request: HttpRequest) -> HttpResponse | None:
    """Report sending is limited per client and per browser session."""
    for key, rate in (
        (abuse.client_ratelimit_key, settings.RATELIMIT_REPORT_PER_CLIENT),
        (abuse.session_ratelimit_key, settings.RATELIMIT_REPORT_PER_SESSION),
    ):
        if is_ratelimited(
            request, group="report-send", key=key, rate=rate, method="POST", increment=True
        ):
            return too_many_requests(request)
    return None


def too_many_requests(request: HttpRequest) -> HttpResponse:
    """A kind page for a rate limit: what happened, that nothing is wrong
    with them, and where to get help now."""
    return render(request, "429.html", status=429)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if request.path.startswith("/api/"):
        return json_error(404, "not_found", "Not found.")
    return render(request, "404.html", status=404)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if request.path.startswith("/api/"):
        return json_error(400, "bad_request", "The request could not be understood.")
    return render(request, "400.html", status=400)


def server_error(request: HttpRequest) -> HttpResponse:
    if request.path.startswith("/api/"):
        return json_error(500, "server_error", "Something went wrong. Please try again later.")
    return render(request, "500.html", status=500)
