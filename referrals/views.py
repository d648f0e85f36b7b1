"""Public pages that compose reports with support services: the
confirmation after a report, the support directory, and follow-up."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods
from django_ratelimit.core import is_ratelimited

from audit.models import AccessLogEntry
from audit.services import audit_record
from evidence import selectors as evidence_selectors
from evidence import services as evidence_services
from evidence.pages import handle_files_action, takes_files
from evidence.views import (
    integrity_failed_response,
    item_view,
    served_response,
    session_owner,
    session_owner_forget,
)
from privacy.clients import client_key
from privacy.models import RecordKind
from privacy.selectors import retention_in_plain_words
from referrals.case_models import VictimFeedback
from referrals.case_services import feedback_by_token, feedback_record
from referrals.feedback import FeedbackForm
from referrals.forms import (
    AddInformationForm,
    DirectoryFilterForm,
    FollowUpForm,
    WithdrawConsentForm,
)
from referrals.models import Service
from referrals.selectors import report_referrals_for_reporter
from referrals.services import EvidenceLinkRefused, referral_evidence_serve
from reports.abuse import client_ratelimit_key
from reports.models import Report
from reports.selectors import report_status_text
from reports.services import (
    FollowUpLocked,
    report_add_evidence,
    report_add_information,
    report_consent_withdraw,
    report_follow_up_authenticate,
)
from reports.views import SUBMISSION_SESSION_KEY, too_many_requests

FOLLOW_UP_SESSION_KEY = "follow_up_report_id"


def confirmation(request: HttpRequest) -> HttpResponse:
    submission = request.session.pop(SUBMISSION_SESSION_KEY, None)
    if not submission:
        # The secret is shown once: a refresh or a return visit does not show it again.
        return render(request, "referrals/confirmation_gone.html")
    report = Report.objects.with_reference_data().get(pk=submission["report_id"])
    services = Service.objects.listed().for_strands_and_area(
        strands=list(report.strands.all()), area=report.area
    )
    return render(
        request,
        "referrals/confirmation.html",
        {
            "reference": submission["reference"],
            "secret": submission["secret"],
            "report": report,
            "services": services,
            "retention": retention_in_plain_words(RecordKind.REPORT),
        },
    )


def directory(request: HttpRequest) -> HttpResponse:
    form = DirectoryFilterForm(request.GET or None)
    services = Service.objects.listed()
    if form.is_valid():
        strand, area = form.cleaned_data["strand"], form.cleaned_data["area"]
        services = services.for_strands_and_area(strands=[strand] if strand else None, area=area)
    else:
        services = services.for_strands_and_area(strands=None, area=None)
    return render(request, "referrals/directory.html", {"form": form, "services": services})


@sensitive_post_parameters("secret")
@require_http_methods(["GET", "POST"])
def follow_up(request: HttpRequest) -> HttpResponse:
    form = FollowUpForm(request.POST or None)
    status = 200
    if request.method == "POST" and is_ratelimited(
        request,
        group="follow-up",
        key=client_ratelimit_key,
        rate=settings.RATELIMIT_FOLLOW_UP_PER_CLIENT,
        method="POST",
        increment=True,
    ):
        return too_many_requests(request)
    if request.method == "POST" and form.is_valid():
        try:
            report = report_follow_up_authenticate(
                reference=form.cleaned_data["reference"],
                secret=form.cleaned_data["secret"],
                client=client_key(request),
            )
        except FollowUpLocked:
            return render(request, "referrals/follow_up_locked.html", status=429)
        if report is not None:
            request.session.cycle_key()
            request.session[FOLLOW_UP_SESSION_KEY] = report.pk
            return redirect("referrals:follow_up_status")
        form.add_error(
            None,
            _(
                "We could not find a report with that reference and secret. Check them and try again."
            ),
        )
        status = 400
    elif request.method == "POST":
        status = 400
    return render(request, "referrals/follow_up.html", {"form": form}, status=status)


def _follow_up_report(request: HttpRequest) -> Report | None:
    report_id = request.session.get(FOLLOW_UP_SESSION_KEY)
    return Report.objects.filter(pk=report_id).first() if report_id else None


def _withdraw_form(report: Report, data: object = None) -> WithdrawConsentForm:
    return WithdrawConsentForm(
        data,
        police=report.consent_share_with_police,
        support=report.consent_share_with_support,
        prefix="withdraw",
    )


@require_http_methods(["GET", "POST"])
def follow_up_status(request: HttpRequest) -> HttpResponse:
    report = _follow_up_report(request)
    if report is None:
        return redirect("referrals:follow_up")
    form = AddInformationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        report_add_information(report=report, text=form.cleaned_data["text"])
        messages.success(request, _("Thank you. We have added this to your report."))
        return redirect("referrals:follow_up_status")
    return render(
        request,
        "referrals/follow_up_status.html",
        {
            "report": report,
            "status_text": report_status_text(report),
            "form": form,
            "where_it_went": report_referrals_for_reporter(report=report),
            "withdraw_form": _withdraw_form(report),
            "feedback_invitations": _feedback_invitations(report),
        },
        status=400 if form.errors else 200,
    )


@require_http_methods(["POST"])
def follow_up_withdraw_consent(request: HttpRequest) -> HttpResponse:
    """The reporter stops sharing their report (UK GDPR article 7(3))."""
    report = _follow_up_report(request)
    if report is None:
        return redirect("referrals:follow_up")
    withdraw_form = _withdraw_form(report, request.POST)
    if withdraw_form.is_valid() and withdraw_form.fields:
        report_consent_withdraw(
            report=report,
            police=bool(withdraw_form.cleaned_data.get("police")),
            support=bool(withdraw_form.cleaned_data.get("support")),
        )
        messages.success(request, _("We have stopped sharing your report as you asked."))
        return redirect("referrals:follow_up_status")
    return render(
        request,
        "referrals/follow_up_status.html",
        {
            "report": report,
            "status_text": report_status_text(report),
            "form": AddInformationForm(),
            "where_it_went": report_referrals_for_reporter(report=report),
            "withdraw_form": withdraw_form,
            "feedback_invitations": _feedback_invitations(report),
        },
        status=400,
    )


@require_http_methods(["POST"])
def follow_up_finish(request: HttpRequest) -> HttpResponse:
    request.session.pop(FOLLOW_UP_SESSION_KEY, None)
    session_owner_forget(request.session, purpose="follow-up")
    request.session.cycle_key()
    return redirect("reports:home")


@takes_files
@require_http_methods(["GET", "POST"])
def follow_up_evidence(request: HttpRequest) -> HttpResponse:
    """Add photos, videos and other files to a report already made."""
    report_id = request.session.get(FOLLOW_UP_SESSION_KEY)
    report = Report.objects.filter(pk=report_id).first() if report_id else None
    if report is None:
        return redirect("referrals:follow_up")
    owner = session_owner(request.session, purpose="follow-up")
    assert owner is not None
    errors: list[dict[str, str]] = []
    if request.method == "POST":
        handled, errors = handle_files_action(request, owner)
        if handled and not errors:
            return redirect("referrals:follow_up_evidence")
        if not handled:
            staged = list(evidence_selectors.evidence_for_owner(owner))
            if not staged:
                errors.append({"field": "files", "message": _("Choose a file to add.")})
            else:
                try:
                    report_add_evidence(
                        report=report,
                        evidence_owner=owner,
                        evidence_ids=[item.pk for item in staged],
                    )
                except evidence_services.EvidenceError as exc:
                    errors.append({"field": "files", "message": exc.message})
                else:
                    messages.success(
                        request, _("Thank you. We have added the files to your report.")
                    )
                    return redirect("referrals:follow_up_status")
    items = list(evidence_selectors.evidence_for_owner(owner))
    return render(
        request,
        "referrals/follow_up_evidence.html",
        {
            "report": report,
            "errors": errors,
            "items": [item_view(item) for item in items],
            "max_files": settings.EVIDENCE_MAX_FILES,
            "accepted": evidence_services.kinds.ACCEPTED_DESCRIPTION,
            "continue_label": _("Add these files to my report"),
            "action_url": reverse("referrals:follow_up_evidence"),
            "back_url": reverse("referrals:follow_up_status"),
            "upload_query": "?for=follow-up",
        },
        status=400 if errors else 200,
    )


# --- Victim feedback, when a case has closed ----------------------------------------


def _feedback_invitations(report: Report) -> list[VictimFeedback]:
    """Feedback the reporter has been invited to give and has not given yet."""
    return list(
        VictimFeedback.objects.filter(
            case__referral__report=report, answered_at__isnull=True
        ).select_related("case__provider")
    )


def _feedback_page(
    request: HttpRequest, feedback: VictimFeedback, *, back_url: str | None
) -> HttpResponse:
    if feedback.answered_at is not None:
        return render(request, "referrals/feedback_thanks.html", {"back_url": back_url})
    form = FeedbackForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        feedback_record(feedback=feedback, **form.cleaned_data)
        return render(request, "referrals/feedback_thanks.html", {"back_url": back_url})
    return render(
        request,
        "referrals/feedback.html",
        {"form": form, "provider": feedback.case.provider.name, "back_url": back_url},
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
def follow_up_feedback(request: HttpRequest, pk: int) -> HttpResponse:
    """Feedback from the follow-up page (signed in with reference and secret)."""
    report = _follow_up_report(request)
    if report is None:
        return redirect("referrals:follow_up")
    feedback = (
        VictimFeedback.objects.select_related("case__provider")
        .filter(pk=pk, case__referral__report=report)
        .first()
    )
    if feedback is None:
        raise Http404
    return _feedback_page(request, feedback, back_url=reverse("referrals:follow_up_status"))


@require_http_methods(["GET", "POST"])
def feedback_by_link(request: HttpRequest, token: str) -> HttpResponse:
    """Feedback from the emailed link (its single-use token is the key)."""
    feedback = feedback_by_token(token)
    if feedback is None:
        return render(request, "referrals/feedback_link_used.html", status=404)
    return _feedback_page(request, feedback, back_url=None)


@require_http_methods(["GET"])
def evidence_link(request: HttpRequest, token: str) -> HttpResponse | StreamingHttpResponse:
    """A file from a police referral's payload, by its signed, short-lived
    link: always an attachment, hashed again before sending, recorded in
    the file's chain of custody and the access log. A forged or expired
    link is simply not found; a link whose consent has been withdrawn is
    refused and the refusal logged."""
    try:
        linked = referral_evidence_serve(token=token)
    except EvidenceLinkRefused as exc:
        audit_record(
            actor=None,
            action=AccessLogEntry.Action.DOWNLOAD,
            outcome=AccessLogEntry.Outcome.DENIED,
            object_type="evidence.evidenceitem",
            request=request,
            detail={"via": "signed link", "why": str(exc)},
        )
        raise Http404 from exc
    except evidence_services.EvidenceIntegrityError:
        return integrity_failed_response()
    if linked is None:
        raise Http404
    audit_record(
        actor=None,
        action=AccessLogEntry.Action.DOWNLOAD,
        obj=linked.item,
        report_reference=linked.referral.report.reference,
        request=request,
        detail={
            "via": "signed link",
            "referral_id": linked.referral.pk,
            "version": linked.served.version,
            "sha256": linked.served.sha256,
        },
    )
    return served_response(linked.item, linked.served, inline=False)
