"""The commissioning officer's pages, and the provider manager's return form.

Thin: check the role, call a selector or one service, render. Nothing here
reads a report's personal fields: the only report data these pages use is
counted, and every count is suppressed below 5.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.safestring import SafeString
from django.views.decorators.http import require_http_methods, require_POST

from grants import selectors, services
from grants.access import (
    commissioning_officer_required,
    get_submittable_return,
    submittable_returns,
)
from grants.charts import Series, bar_chart
from grants.financial_years import financial_year_label, financial_year_of
from grants.forms import ReturnReviewForm, ReturnSubmitForm
from grants.models import Grant, MonitoringReturn, OutcomeMeasure
from grants.open_data import package_360giving, package_csv_rows, package_json
from grants.selectors import Table
from privacy.csv_export import csv_response


def _table_csv(table: Table) -> HttpResponse:
    return csv_response(filename=f"{table.key}.csv", columns=table.columns, rows=table.rows)


def _overview_table(programmes: list[selectors.ProgrammeSummary]) -> Table:
    rows: list[list[object]] = []
    for programme in programmes:
        reference = programme.decision.reference if programme.decision else ""
        for line in programme.lines:
            for year in [*line.years, line.total]:
                rows.append(
                    [
                        reference,
                        line.name,
                        year.label,
                        year.budget if year.budget is not None else "",
                        year.committed,
                        year.paid,
                        year.remaining,
                        year.forecast_underspend,
                    ]
                )
    return Table(
        key="portfolio",
        title="Portfolio",
        columns=[
            "Decision",
            "Budget line",
            "Financial year",
            "Budget",
            "Committed",
            "Paid",
            "Remaining",
            "Forecast underspend",
        ],
        rows=rows,
    )


@commissioning_officer_required
def overview(request: HttpRequest) -> HttpResponse:
    programmes = selectors.portfolio_overview()
    if request.GET.get("csv") == "portfolio":
        return _table_csv(_overview_table(programmes))
    today = timezone.localdate()
    return render(
        request,
        "grants/overview.html",
        {
            "programmes": programmes,
            "awaiting_review": selectors.returns_awaiting_review(),
            "overdue": selectors.returns_overdue(today=today),
            "today": today,
        },
    )


def _grant_tables(grant: Grant, today: dt.date) -> dict[str, Table]:
    money = selectors.grant_money(grant)
    outcomes = selectors.grant_outcomes(grant, today=today)
    profile = Table(
        key="profile",
        title="Profile and payments by financial year",
        columns=["Financial year", "Profiled", "Paid", "Remaining", "Spend reported"],
        rows=[[m.label, m.committed, m.paid, m.remaining, m.reported_spend] for m in money],
    )
    outcome_rows: list[list[object]] = []
    for measure_outcomes in outcomes:
        for q in measure_outcomes.quarters:
            outcome_rows.append(
                [
                    measure_outcomes.measure.name,
                    q.label,
                    q.target if q.target is not None else "",
                    q.reported_shown,
                    q.computed if q.computed is not None else "",
                    q.status,
                ]
            )
    outcome_table = Table(
        key="outcomes",
        title="Outcomes against targets",
        columns=["Measure", "Quarter", "Target", "Reported", "Computed", "Status"],
        rows=outcome_rows,
    )
    returns = Table(
        key="returns",
        title="Monitoring returns",
        columns=["Quarter", "Due", "Status", "Spend"],
        rows=[
            [r.label, r.due_on.isoformat(), r.get_status_display(), r.spend or ""]
            for r in grant.returns.all()
        ],
    )
    return {"profile": profile, "outcomes": outcome_table, "returns": returns}


@commissioning_officer_required
def grant_detail(request: HttpRequest, reference: str) -> HttpResponse:
    try:
        grant = selectors.grant_for_page(reference)
    except Grant.DoesNotExist as exc:
        raise Http404 from exc
    today = timezone.localdate()
    tables = _grant_tables(grant, today)
    wanted = request.GET.get("csv")
    if wanted:
        if wanted not in tables:
            raise Http404
        return _table_csv(tables[wanted])
    money = selectors.grant_money(grant)
    chart = bar_chart(
        title="Profile and payments by financial year",
        table_id="profile",
        labels=[m.label for m in money],
        series=[
            Series("Profiled", [m.committed for m in money]),
            Series("Paid", [m.paid for m in money]),
            Series("Spend reported", [m.reported_spend for m in money]),
        ],
        money=True,
    )
    returns = list(grant.returns.all())
    return render(
        request,
        "grants/grant.html",
        {
            "grant": grant,
            "money": money,
            "chart": chart,
            "outcomes": selectors.grant_outcomes(grant, today=today),
            "returns": returns,
            "overdue_ids": {r.pk for r in returns if r.is_overdue(today)},
            "review_form": ReturnReviewForm(),
            "today": today,
        },
    )


@require_POST
@commissioning_officer_required
def return_review(request: HttpRequest, pk: int) -> HttpResponse:
    monitoring_return = get_object_or_404(MonitoringReturn.objects.select_related("grant"), pk=pk)
    form = ReturnReviewForm(request.POST)
    if form.is_valid():
        try:
            if form.cleaned_data["decision"] == "accept":
                services.monitoring_return_accept(
                    monitoring_return=monitoring_return,
                    comment=form.cleaned_data["comment"],
                    acting_user=request.user,
                )
                messages.success(request, f"Return for {monitoring_return.label} accepted.")
            else:
                services.monitoring_return_request_changes(
                    monitoring_return=monitoring_return,
                    comment=form.cleaned_data["comment"],
                    acting_user=request.user,
                )
                messages.success(
                    request, f"Changes requested to the return for {monitoring_return.label}."
                )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    else:
        messages.error(request, "Choose accept or request changes; say what needs to change.")
    return redirect(monitoring_return.grant.get_absolute_url() + "#returns")


SHARE_CHARTS = [
    ("police-outcomes", "Police outcomes: charge or summons"),
    ("repeat-strand", "Repeat victimisation"),
    ("satisfaction", "Victims' satisfaction"),
]
CHART_YEARS = 4  # one bar colour each


def share_chart(table: Table) -> SafeString:
    """A strand-by-year share table as bars: strands along, the latest years as series.

    Suppressed shares draw no bar; the table beside it says "<5".
    """
    strands: list[str] = []
    shares: dict[tuple[str, str], int | None] = {}
    for strand, year, _total, _part, share in table.rows:
        if strand not in strands:
            strands.append(str(strand))
        shares[(str(strand), str(year))] = int(str(share).rstrip("%")) if share else None
    years = sorted({year for _strand, year in shares})[-CHART_YEARS:]
    return bar_chart(
        title=table.title,
        table_id=table.key,
        labels=strands,
        series=[Series(year, [shares.get((strand, year)) for strand in strands]) for year in years],
        money=False,
        percent=True,
    )


def _number(cell: object) -> Decimal | None:
    """A table cell as a bar: None for a suppressed count or a blank."""
    if isinstance(cell, selectors.Count):
        return None if cell.value is None else Decimal(cell.value)
    text = str(cell).rstrip("%").replace(",", "")
    return Decimal(text) if text else None


def casework_charts(funnel: Table, contact: Table) -> tuple[SafeString, SafeString]:
    """The funnel for all strands as shares of the reports at each stage, and
    the median and 90th percentile hours to first contact per strand."""
    overall = funnel.rows[0]
    stages = [label for _key, label in selectors.FUNNEL_STAGES]
    funnel_chart = bar_chart(
        title=funnel.title + " (all strands, share of reports)",
        table_id=funnel.key,
        labels=[label.split(" (")[0] for label in stages],
        series=[Series("Share of reports", [_number(cell) for cell in overall[3::2]])],
        money=False,
        percent=True,
    )
    contact_chart = bar_chart(
        title=contact.title,
        table_id=contact.key,
        labels=[str(row[0]) for row in contact.rows],
        series=[
            Series("Median hours", [_number(row[2]) for row in contact.rows]),
            Series("90th percentile hours", [_number(row[3]) for row in contact.rows]),
        ],
        money=False,
    )
    return funnel_chart, contact_chart


@commissioning_officer_required
def insights(request: HttpRequest) -> HttpResponse:
    years = selectors.report_financial_years()
    year: int | None = None
    raw_year = request.GET.get("year", "")
    if raw_year.isdigit() and int(raw_year) in years:
        year = int(raw_year)
    tables = selectors.insights_tables(financial_year=year)
    wanted = request.GET.get("csv")
    if wanted:
        if wanted not in tables:
            raise Http404
        return _table_csv(tables[wanted])
    month_rows = [row for row in tables["month"].rows if row[0] != "Total"]
    chart = bar_chart(
        title="Reports by month",
        table_id="month",
        labels=[str(row[0])[:3] + " " + str(row[0])[-2:] for row in month_rows],
        series=[Series("Reports", [getattr(row[1], "value", None) for row in month_rows])],
        money=False,
    )
    funnel_chart, contact_chart = casework_charts(tables["funnel"], tables["first-contact"])
    outcome_sections = [
        (heading, share_chart(tables[key]), tables[key]) for key, heading in SHARE_CHARTS
    ]
    return render(
        request,
        "grants/insights.html",
        {
            "tables": tables,
            "fy_table": tables["financial-year"],
            "strand_year_table": tables["strand-year"],
            "repeat_table": tables["repeat"],
            "chart": chart,
            "outcome_sections": outcome_sections,
            "funnel_table": tables["funnel"],
            "funnel_chart": funnel_chart,
            "contact_table": tables["first-contact"],
            "contact_chart": contact_chart,
            "feedback_tables": [tables["feedback-provider"], tables["feedback-area"]],
            "years": [(y, financial_year_label(y)) for y in years],
            "year": year,
            "current_year": financial_year_of(timezone.localdate()),
        },
    )


@commissioning_officer_required
def export_360giving(request: HttpRequest, fmt: str) -> HttpResponse:
    if fmt not in ("json", "csv"):
        raise Http404
    package, _skipped = package_360giving(today=timezone.localdate(), now=timezone.now())
    if fmt == "csv":
        columns, rows = package_csv_rows(package)
        return csv_response(filename="grants-360giving.csv", columns=columns, rows=rows)
    response = HttpResponse(package_json(package), content_type="application/json")
    response["Content-Disposition"] = 'attachment; filename="grants-360giving.json"'
    return response


# --- Provider managers -------------------------------------------------------


@login_required(login_url="admin:login")
def provider_returns(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    returns = list(submittable_returns(request.user).order_by("due_on"))
    return render(
        request,
        "grants/provider_returns.html",
        {
            "returns": returns,
            "overdue_ids": {r.pk for r in returns if r.is_overdue(today)},
            "provider_pages": True,
        },
    )


@login_required(login_url="admin:login")
@require_http_methods(["GET", "POST"])
def return_submit(request: HttpRequest, pk: int) -> HttpResponse:
    monitoring_return = get_submittable_return(request, pk)
    measures = list(
        monitoring_return.grant.measures.filter(method=OutcomeMeasure.Method.PROVIDER_REPORTED)
    )
    initial: dict[str, object] = {
        "spend": monitoring_return.spend,
        "narrative": monitoring_return.narrative,
        "risks": monitoring_return.risks,
    }
    for actual in monitoring_return.actuals.all():
        initial[f"measure_{actual.measure_id}"] = actual.value
    form = ReturnSubmitForm(request.POST or None, initial=initial, measures=measures)
    if request.method == "POST" and form.is_valid():
        try:
            services.monitoring_return_submit(
                monitoring_return=monitoring_return,
                actuals=form.actuals(),
                spend=form.cleaned_data["spend"] or Decimal(0),
                narrative=form.cleaned_data["narrative"],
                risks=form.cleaned_data["risks"],
                acting_user=request.user,
            )
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            messages.success(request, f"Return for {monitoring_return.label} submitted.")
            return redirect("grants:provider_returns")
    return render(
        request,
        "grants/return_submit.html",
        {"monitoring_return": monitoring_return, "form": form, "provider_pages": True},
    )
