"""Read-side queries for the commissioning officer's pages.

Definitions used on the pages (and shown there):

- committed: the grants' profiled amounts for the year (what has been
  agreed to be spent);
- paid: payments recorded against the year;
- remaining: committed less paid;
- forecast underspend: committed less forecast spend, where forecast spend
  is the spend providers have reported in monitoring returns for the year,
  projected to 31 March at the same quarterly rate. With no reported spend
  yet, no underspend is forecast.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import (
    Aggregate,
    Exists,
    F,
    FloatField,
    Func,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Value,
)
from django.db.models import Count as DbCount
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from grants.computed import measure_compute_periods, repeat_victim_q
from grants.financial_years import (
    financial_year_end,
    financial_year_label,
    financial_year_of,
    financial_year_start,
    quarter_bounds,
)
from grants.models import (
    ZERO,
    BudgetLine,
    Decision,
    Grant,
    MonitoringReturn,
    OutcomeMeasure,
    Payment,
)
from grants.suppression import THRESHOLD as THRESHOLD_CASES
from grants.suppression import Count, is_small, suppress, suppress_one
from referrals.case_models import Case, PoliceOutcome, PoliceResponse, VictimFeedback
from referrals.models import Referral
from reports.models import Report, ReporterRole, Strand

PENNY = Decimal("0.01")
AMBER_FROM = Decimal("0.8")  # 80% of target or more, but under 100%


def _money(value: Decimal) -> Decimal:
    return value.quantize(PENNY, rounding=ROUND_HALF_UP)


# --- Money ----------------------------------------------------------------


@dataclass
class YearMoney:
    financial_year: int | None
    budget: Decimal | None = None
    committed: Decimal = ZERO
    paid: Decimal = ZERO
    reported_spend: Decimal = ZERO
    forecast_spend: Decimal = ZERO

    @property
    def label(self) -> str:
        return financial_year_label(self.financial_year) if self.financial_year else "All years"

    @property
    def remaining(self) -> Decimal:
        return self.committed - self.paid

    @property
    def forecast_underspend(self) -> Decimal:
        return max(self.committed - self.forecast_spend, ZERO)

    @property
    def uncommitted(self) -> Decimal | None:
        return None if self.budget is None else self.budget - self.committed

    def add(self, other: YearMoney) -> None:
        self.committed += other.committed
        self.paid += other.paid
        self.reported_spend += other.reported_spend
        self.forecast_spend += other.forecast_spend


def _grant_years(grant: Grant) -> dict[int, YearMoney]:
    """Profile, payments and forecast per financial year for one grant.

    Expects ``profile``, ``payments`` and ``returns`` prefetched.
    """
    years: dict[int, YearMoney] = {}
    for row in grant.profile.all():
        years[row.financial_year] = YearMoney(row.financial_year, committed=row.amount)
    for payment in grant.payments.all():
        years.setdefault(payment.financial_year, YearMoney(payment.financial_year))
        years[payment.financial_year].paid += payment.amount
    returns_by_year: dict[int, list[MonitoringReturn]] = defaultdict(list)
    for monitoring_return in grant.returns.all():
        returns_by_year[monitoring_return.financial_year].append(monitoring_return)
    for year, money in years.items():
        returns = returns_by_year.get(year, [])
        reported = [
            r.spend
            for r in returns
            if r.spend is not None
            and r.status in (MonitoringReturn.Status.SUBMITTED, MonitoringReturn.Status.ACCEPTED)
        ]
        money.reported_spend = sum(reported, ZERO)
        if reported and returns:
            per_quarter = money.reported_spend / len(reported)
            projected = money.reported_spend + per_quarter * (len(returns) - len(reported))
            money.forecast_spend = _money(min(projected, money.committed))
        else:
            money.forecast_spend = money.committed
    return years


def _grants_with_money() -> list[Grant]:
    return list(
        Grant.objects.with_related()
        .exclude(status=Grant.Status.WITHDRAWN)
        .prefetch_related(
            "profile",
            Prefetch("payments", queryset=Payment.objects.order_by("paid_on")),
            "returns",
            Prefetch("variations__decision"),
        )
    )


@dataclass
class LineSummary:
    """A programme budget line (or the grants of a decision without one)."""

    name: str
    budget_line: BudgetLine | None
    years: list[YearMoney]
    total: YearMoney
    grants: list[Grant]


@dataclass
class ProgrammeSummary:
    decision: Decision | None
    lines: list[LineSummary] = field(default_factory=list)
    total: YearMoney = field(default_factory=lambda: YearMoney(None))

    @property
    def title(self) -> str:
        return str(self.decision) if self.decision else "Grants without a recorded decision"


def _programme_of(grant: Grant) -> Decision | None:
    if grant.budget_line is not None:
        return grant.budget_line.decision
    if grant.decision is not None:
        return grant.decision
    variations = list(grant.variations.all())
    return variations[-1].decision if variations else None


def portfolio_overview() -> list[ProgrammeSummary]:
    """Per programme (decision), per budget line and financial year: the money."""
    decisions = list(
        Decision.objects.prefetch_related(
            "budget_lines__years", "funding__funding_source"
        ).order_by(Coalesce("decided_on", "officer_approved_on").asc(nulls_last=True), "reference")
    )
    grants = _grants_with_money()
    by_line: dict[int, list[Grant]] = defaultdict(list)
    unlined: dict[int | None, list[Grant]] = defaultdict(list)
    for grant in grants:
        if grant.budget_line_id is not None:
            by_line[grant.budget_line_id].append(grant)
        else:
            owner = _programme_of(grant)
            unlined[owner.pk if owner else None].append(grant)

    def summarise(name: str, line: BudgetLine | None, line_grants: list[Grant]) -> LineSummary:
        years: dict[int, YearMoney] = {}
        if line is not None:
            for line_year in line.years.all():
                years[line_year.financial_year] = YearMoney(
                    line_year.financial_year, budget=line_year.amount
                )
        unprofiled = ZERO
        for grant in line_grants:
            grant_years = _grant_years(grant)
            for year, money in grant_years.items():
                years.setdefault(year, YearMoney(year)).add(money)
            if not any(m.committed for m in grant_years.values()) and grant.amount_awarded:
                # Awarded but with no profile by year: committed, in no year.
                unprofiled += grant.amount_awarded
        total = YearMoney(None, budget=line.amount if line is not None else None)
        for money in years.values():
            total.add(money)
        total.committed += unprofiled
        total.forecast_spend += unprofiled
        return LineSummary(
            name=name,
            budget_line=line,
            years=[years[y] for y in sorted(years)],
            total=total,
            grants=line_grants,
        )

    programmes = []
    for decision in decisions:
        programme: ProgrammeSummary = ProgrammeSummary(decision=decision)
        for line in decision.budget_lines.all():
            programme.lines.append(summarise(line.name, line, by_line.get(line.pk, [])))
        if unlined.get(decision.pk):
            programme.lines.append(
                summarise("Grants not assigned to a budget line", None, unlined[decision.pk])
            )
        if not programme.lines:
            continue
        budgets = [ln.total.budget for ln in programme.lines if ln.total.budget is not None]
        programme.total.budget = sum(budgets, ZERO) if budgets else None
        for ln in programme.lines:
            programme.total.add(ln.total)
        programmes.append(programme)
    if unlined.get(None):
        orphans = ProgrammeSummary(decision=None)
        orphans.lines.append(summarise("Grants", None, unlined[None]))
        orphans.total.add(orphans.lines[0].total)
        programmes.append(orphans)
    return programmes


# --- One grant -------------------------------------------------------------


@dataclass
class QuarterOutcome:
    financial_year: int
    quarter: int
    target: Decimal | None
    reported: Decimal | None
    computed: Count | None
    status: str  # green / amber / red / "" when there is nothing to compare

    @property
    def reported_shown(self) -> str:
        """What the provider reported, with counts of 1 to 4 suppressed."""
        if self.reported is None:
            return ""
        if self.reported == self.reported.to_integral_value():
            return str(suppress_one(int(self.reported)))
        return f"{self.reported:,}"

    @property
    def label(self) -> str:
        return f"{financial_year_label(self.financial_year)} Q{self.quarter}"


@dataclass
class MeasureOutcomes:
    measure: OutcomeMeasure
    quarters: list[QuarterOutcome]


def rag_status(*, actual: Decimal | int | None, target: Decimal | None) -> str:
    """Green at or above target, amber from 80%, red below; "" if not comparable."""
    if actual is None or target is None:
        return ""
    if target <= 0 or Decimal(actual) >= target:
        return "green"
    if Decimal(actual) >= target * AMBER_FROM:
        return "amber"
    return "red"


def grant_for_page(reference: str) -> Grant:
    grant: Grant = (
        Grant.objects.with_related()
        .prefetch_related(
            "profile",
            Prefetch("payments", queryset=Payment.objects.order_by("paid_on")),
            "returns__actuals",
            "variations__decision",
            "planned_payments",
            "measures__targets",
            "measures__strand",
            "measures__area",
        )
        .get(reference=reference)
    )
    return grant


def grant_money(grant: Grant) -> list[YearMoney]:
    years = _grant_years(grant)
    return [years[y] for y in sorted(years)]


def grant_outcomes(grant: Grant, *, today: dt.date) -> list[MeasureOutcomes]:
    """Per measure and quarter: target, reported (submitted or accepted), computed."""
    reported: dict[tuple[int, int, int], Decimal] = {}
    for monitoring_return in grant.returns.all():
        if monitoring_return.status not in (
            MonitoringReturn.Status.SUBMITTED,
            MonitoringReturn.Status.ACCEPTED,
        ):
            continue
        for row in monitoring_return.actuals.all():
            key = (row.measure_id, monitoring_return.financial_year, monitoring_return.quarter)
            reported[key] = row.value
    results = []
    for measure in grant.measures.all():
        targets = list(measure.targets.all())
        bounds = [quarter_bounds(t.financial_year, t.quarter) for t in targets]
        # Only quarters that have begun, counted to today: one query per measure.
        begun = [(start, min(end, today)) for start, end in bounds if start <= today]
        values = iter(measure_compute_periods(measure=measure, periods=begun))
        quarters = []
        for target, (start, end) in zip(targets, bounds, strict=True):
            year, quarter = target.financial_year, target.quarter
            value = next(values) if start <= today else None
            computed = suppress_one(value) if value is not None else None
            value_reported = reported.get((measure.pk, year, quarter))
            achieved: Decimal | int | None = value if value is not None else value_reported
            status = rag_status(actual=achieved, target=target.target) if end < today else ""
            quarters.append(
                QuarterOutcome(year, quarter, target.target, value_reported, computed, status)
            )
        results.append(MeasureOutcomes(measure=measure, quarters=quarters))
    return results


def returns_awaiting_review() -> list[MonitoringReturn]:
    return list(
        MonitoringReturn.objects.filter(status=MonitoringReturn.Status.SUBMITTED)
        .select_related("grant", "grant__provider")
        .order_by("submitted_at")
    )


def returns_overdue(*, today: dt.date) -> list[MonitoringReturn]:
    return list(
        MonitoringReturn.objects.overdue_on(today)
        .filter(grant__status=Grant.Status.ACTIVE)
        .select_related("grant", "grant__provider")
        .order_by("due_on")
    )


# --- The aggregate picture -------------------------------------------------


@dataclass
class Table:
    """A table as shown and as exported to CSV."""

    key: str
    title: str
    columns: list[str]
    rows: list[list[object]]
    note: str = ""


def _period_q(financial_year: int | None, prefix: str = "") -> Q:
    """Reports submitted in the financial year (London dates), or all."""
    if financial_year is None:
        return Q()
    # A range of instants (midnight in London at each end) rather than a
    # date lookup, so the index on submitted_at can be used.
    start = _london_midnight(financial_year_start(financial_year))
    end = _london_midnight(financial_year_end(financial_year) + dt.timedelta(days=1))
    return Q(**{f"{prefix}submitted_at__gte": start, f"{prefix}submitted_at__lt": end})


def _london_midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _reports(financial_year: int | None) -> QuerySet[Report]:
    return Report.objects.filter(_period_q(financial_year))


def reports_by_strand(*, financial_year: int | None = None) -> Table:
    names = dict(Strand.objects.order_by("order", "name").values_list("id", "name"))
    found: dict[int, int] = {
        row["strand_id"]: row["n"]
        for row in Report.strands.through.objects.filter(_period_q(financial_year, "report__"))
        .values("strand_id")
        .annotate(n=DbCount("report_id"))
    }
    counts = {name: found.get(strand_id, 0) for strand_id, name in names.items()}
    cells = suppress(list(counts.values()), with_total=False)
    return Table(
        key="strand",
        title="Reports by strand",
        columns=["Strand", "Reports"],
        rows=[[name, cell] for name, cell in zip(counts, cells, strict=True)],
        note="A report may name several strands, so these add up to more than the reports.",
    )


def reports_by_area(*, financial_year: int | None = None) -> Table:
    reports = _reports(financial_year)
    pairs = list(reports.values_list("area__name").annotate(n=DbCount("id")).order_by("area__name"))
    cells = suppress([n for _name, n in pairs])
    total = sum(n for _name, n in pairs)
    rows: list[list[object]] = [[name, cell] for (name, _n), cell in zip(pairs, cells, strict=True)]
    rows.append(["Total", suppress_one(total)])
    return Table(key="area", title="Reports by area", columns=["Area", "Reports"], rows=rows)


def _month_counts(financial_year: int | None) -> list[tuple[dt.date, int]]:
    reports = _reports(financial_year)
    return [
        (month.date() if isinstance(month, dt.datetime) else month, n)
        for month, n in reports.annotate(month=TruncMonth("submitted_at"))
        .values_list("month")
        .annotate(n=DbCount("id"))
        .order_by("month")
    ]


def reports_by_month(
    *, financial_year: int | None = None, months: list[tuple[dt.date, int]] | None = None
) -> Table:
    pairs = months if months is not None else _month_counts(financial_year)
    cells = suppress([n for _m, n in pairs])
    rows: list[list[object]] = [
        [month.strftime("%B %Y"), cell] for (month, _n), cell in zip(pairs, cells, strict=True)
    ]
    rows.append(["Total", suppress_one(sum(n for _m, n in pairs))])
    return Table(key="month", title="Reports by month", columns=["Month", "Reports"], rows=rows)


def reports_by_financial_year(*, months: list[tuple[dt.date, int]] | None = None) -> Table:
    totals: dict[int, int] = defaultdict(int)
    for month, n in months if months is not None else _month_counts(None):
        totals[financial_year_of(month)] += n
    years = sorted(totals)
    cells = suppress([totals[y] for y in years])
    rows: list[list[object]] = [
        [financial_year_label(y), cell] for y, cell in zip(years, cells, strict=True)
    ]
    rows.append(["Total", suppress_one(sum(totals.values()))])
    return Table(
        key="financial-year",
        title="Reports by financial year",
        columns=["Financial year", "Reports"],
        rows=rows,
    )


def report_financial_years() -> list[int]:
    first = Report.objects.order_by("submitted_at").values_list("submitted_at", flat=True).first()
    last = Report.objects.order_by("-submitted_at").values_list("submitted_at", flat=True).first()
    if first is None or last is None:
        return []
    return list(
        range(
            financial_year_of(timezone.localtime(first).date()),
            financial_year_of(timezone.localtime(last).date()) + 1,
        )
    )


def reports_by_strand_and_year() -> Table:
    """Reports per strand in each financial year (counts under 5 suppressed)."""
    counts: dict[tuple[str, int], int] = defaultdict(int)
    strand_names = list(Strand.objects.order_by("order", "name").values_list("name", flat=True))
    rows_by_month = (
        Strand.objects.filter(reports__isnull=False)
        .annotate(month=TruncMonth("reports__submitted_at"))
        .values_list("name", "month")
        .annotate(n=DbCount("reports"))
    )
    for name, month, n in rows_by_month:
        counts[(name, financial_year_of(timezone.localtime(month).date()))] += n
    years = sorted({year for _name, year in counts})
    columns_by_year = {
        year: suppress([counts[(name, year)] for name in strand_names], with_total=False)
        for year in years
    }
    rows: list[list[object]] = [
        [name, *(columns_by_year[year][i] for year in years)] for i, name in enumerate(strand_names)
    ]
    return Table(
        key="strand-year",
        title="Reports by strand and financial year",
        columns=["Strand", *(financial_year_label(y) for y in years)],
        rows=rows,
        note="A report may name several strands.",
    )


def _insights_key(financial_year: int | None) -> str:
    return f"grants:insights:v3:{financial_year or 'all'}"


def _insights_compute(
    financial_years: list[int | None],
) -> dict[int | None, dict[str, Table]]:
    """The aggregate picture for each of ``financial_years`` (None: all years).

    The tables over every year (by financial year, strand by year, repeat
    victimisation, the month counts) are counted once and shared.
    """
    all_months = _month_counts(None)
    names = _strand_names()
    every_year = {
        "financial-year": reports_by_financial_year(months=all_months),
        "strand-year": reports_by_strand_and_year(),
        "repeat": repeat_victimisation_by_year(),
        **outcome_tables(strand_names=names),
    }
    pictures: dict[int | None, dict[str, Table]] = {}
    for year in financial_years:
        months = (
            all_months
            if year is None
            else [(m, n) for m, n in all_months if financial_year_of(m) == year]
        )
        pictures[year] = {
            "strand": reports_by_strand(financial_year=year),
            "area": reports_by_area(financial_year=year),
            "month": reports_by_month(financial_year=year, months=months),
            "funnel": referral_funnel(financial_year=year, strand_names=names),
            "first-contact": time_to_first_contact(financial_year=year, strand_names=names),
            **every_year,
        }
    return pictures


def insights_tables(*, financial_year: int | None) -> dict[str, Table]:
    """Every table of the reports picture, from the cache.

    Over a million reports these counts take seconds (the repeat-victim count
    most), so a periodic task (``insights_refresh``, every
    GRANTS_INSIGHTS_CACHE_SECONDS) counts them ahead of any visitor; they
    are suppressed aggregates (nothing personal), safe to keep for minutes.
    Only when nothing is cached (a new deployment, before the task first
    runs) does a request count them itself.
    """
    key = _insights_key(financial_year)
    cached: dict[str, Table] | None = cache.get(key)
    if cached is not None:
        return cached
    tables = _insights_compute([financial_year])[financial_year]
    cache.set(key, tables, settings.GRANTS_INSIGHTS_CACHE_SECONDS)
    return tables


def insights_refresh() -> int:
    """Count the aggregate picture for all years and for each financial year,
    and keep it until well after the next refresh, so pages never wait for
    it. Returns how many pictures were stored."""
    years: list[int | None] = [None, *report_financial_years()]
    pictures = _insights_compute(years)
    # Three periods: a refresh that is late or fails once leaves the
    # previous figures in place rather than a visitor counting a million rows.
    keep = 3 * settings.GRANTS_INSIGHTS_CACHE_SECONDS
    cache.set_many({_insights_key(year): tables for year, tables in pictures.items()}, keep)
    return len(pictures)


def repeat_victimisation_by_year() -> Table:
    """Per financial year: victims' reports, how many from repeat victims, the share.

    A count is suppressed when it, or the rest of its year's reports, is 1 to
    4 (either would let someone work out the other); the share goes with it.
    """
    victims = Report.objects.filter(reporter_role=ReporterRole.VICTIM)
    totals: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for month, n, repeat in (
        victims.annotate(month=TruncMonth("submitted_at"))
        .values_list("month")
        .annotate(n=DbCount("id"), repeat=DbCount("id", filter=repeat_victim_q()))
        .values_list("month", "n", "repeat")
    ):
        year = financial_year_of(timezone.localtime(month).date())
        totals[year][0] += n
        totals[year][1] += repeat
    rows: list[list[object]] = []
    for year in sorted(totals):
        reports, repeat = totals[year]
        hidden = is_small(repeat) or is_small(reports - repeat)
        share = "" if hidden or not reports else f"{round(100 * repeat / reports)}%"
        rows.append(
            [
                financial_year_label(year),
                suppress_one(reports),
                Count(None) if hidden else Count(repeat),
                share,
            ]
        )
    return Table(
        key="repeat",
        title="Repeat victimisation by financial year",
        columns=["Financial year", "Reports by victims", "From repeat victims", "Share"],
        rows=rows,
        note="A repeat victim said it had happened before, or reported before with the same "
        "email or phone (compared by keyed hash, never in plain text).",
    )


# --- Outcomes by strand and financial year (police, repeat victims, feedback) ------------

SATISFIED_FROM = VictimFeedback.Satisfaction.SATISFIED


def share_cells(total: int, part: int) -> tuple[Count, Count, str]:
    """A total, a part of it and the share, suppressed together.

    The part is hidden when it, or the rest of the total, is 1 to 4 (either
    would let someone work out the other); the share goes with it.
    """
    hidden = is_small(part) or is_small(total - part)
    share = "" if hidden or not total else f"{round(100 * part / total)}%"
    return suppress_one(total), Count(None) if hidden else Count(part), share


def _year(month: dt.datetime | dt.date) -> int:
    if isinstance(month, dt.datetime):
        month = timezone.localtime(month).date()
    return financial_year_of(month)


def _strand_year_table(
    *,
    key: str,
    title: str,
    columns: tuple[str, str],
    counts: dict[tuple[int, int], list[int]],
    note: str,
    names: dict[int, str] | None,
) -> Table:
    names = names if names is not None else _strand_names()
    rows: list[list[object]] = []
    for strand_id, name in names.items():
        for year in sorted({y for s, y in counts if s == strand_id}):
            total, part = counts[(strand_id, year)]
            rows.append([name, financial_year_label(year), *share_cells(total, part)])
    return Table(
        key=key,
        title=title,
        columns=["Strand", "Financial year", *columns, "Share"],
        rows=rows,
        note=note,
    )


def _strand_names() -> dict[int, str]:
    return dict(Strand.objects.order_by("order", "name").values_list("id", "name"))


def _add(counts: dict[tuple[int, int], list[int]], rows: Any) -> dict[tuple[int, int], list[int]]:
    for strand_id, month, total, part in rows:
        if strand_id is None or month is None:
            continue
        entry = counts[(strand_id, _year(month))]
        entry[0] += total
        entry[1] += part
    return counts


def police_outcomes_by_strand_and_year(*, strand_names: dict[int, str] | None = None) -> Table:
    """Of the reports passed to the police, the share with a charge or summons."""
    to_police = Exists(
        Referral.objects.filter(
            report=OuterRef("pk"),
            kind=Referral.Kind.POLICE,
            delivery_status=Referral.DeliveryStatus.DELIVERED,
        )
    )
    charged = Exists(
        PoliceResponse.objects.filter(
            referral__report=OuterRef("pk"), outcome=PoliceOutcome.CHARGE_SUMMONS
        )
    )
    rows = (
        Report.objects.filter(to_police)
        .annotate(month=TruncMonth("submitted_at"))
        .values_list("strands", "month")
        .annotate(n=DbCount("id"), charged=DbCount("id", filter=Q(charged)))
        .values_list("strands", "month", "n", "charged")
    )
    return _strand_year_table(
        key="police-outcomes",
        title="Police outcomes: charge or summons, by strand and financial year",
        columns=("Reports passed to the police", "Charge or summons"),
        counts=_add(defaultdict(lambda: [0, 0]), rows),
        names=strand_names,
        note="By the financial year the report was made, as police liaisons record the "
        "outcome. A report may name several strands.",
    )


def repeat_victimisation_by_strand_and_year(*, strand_names: dict[int, str] | None = None) -> Table:
    rows = (
        Report.objects.filter(reporter_role=ReporterRole.VICTIM)
        .annotate(month=TruncMonth("submitted_at"))
        .values_list("strands", "month")
        .annotate(n=DbCount("id"), repeat=DbCount("id", filter=repeat_victim_q()))
        .values_list("strands", "month", "n", "repeat")
    )
    return _strand_year_table(
        key="repeat-strand",
        title="Repeat victimisation by strand and financial year",
        columns=("Reports by victims", "From repeat victims"),
        counts=_add(defaultdict(lambda: [0, 0]), rows),
        names=strand_names,
        note="A repeat victim said it had happened before, or reported before with the same "
        "email or phone (compared by keyed hash, never in plain text).",
    )


def _answered() -> QuerySet[VictimFeedback]:
    return VictimFeedback.objects.filter(answered_at__isnull=False)


def satisfaction_by_strand_and_year(*, strand_names: dict[int, str] | None = None) -> Table:
    rows = (
        _answered()
        .annotate(month=TruncMonth("answered_at"))
        .values_list("case__referral__report__strands", "month")
        .annotate(
            n=DbCount("id"), satisfied=DbCount("id", filter=Q(satisfaction__gte=SATISFIED_FROM))
        )
        .values_list("case__referral__report__strands", "month", "n", "satisfied")
    )
    return _strand_year_table(
        key="satisfaction",
        title="Victims' satisfaction by strand and financial year",
        columns=("Victims who gave feedback", "Satisfied or very satisfied"),
        counts=_add(defaultdict(lambda: [0, 0]), rows),
        names=strand_names,
        note="By the financial year the feedback was given, when a case closed.",
    )


FEEDBACK_COLUMNS = [
    "Victims who gave feedback",
    "Satisfied",
    "Share satisfied",
    "Feeling safer",
    "Share feeling safer",
    "Confident to report again",
    "Share confident",
]


def _feedback_table(*, key: str, title: str, group: str, label: str) -> Table:
    """Answers grouped by ``group`` (a name), in name order."""
    rows: list[list[object]] = []
    for name, total, *parts in (
        _answered()
        .values_list(group)
        .annotate(
            n=DbCount("id"),
            satisfied=DbCount("id", filter=Q(satisfaction__gte=SATISFIED_FROM)),
            safer=DbCount("id", filter=Q(feels_safer=VictimFeedback.Answer.YES)),
            confident=DbCount("id", filter=Q(confident_to_report=VictimFeedback.Answer.YES)),
        )
        .values_list(group, "n", "satisfied", "safer", "confident")
        .order_by(group)
    ):
        row: list[object] = [name or "Not known", suppress_one(total)]
        for part in parts:
            _total, shown, share = share_cells(total, part)
            row += [shown, share]
        rows.append(row)
    return Table(
        key=key,
        title=title,
        columns=[label, *FEEDBACK_COLUMNS],
        rows=rows,
        note="Victims' answers when their case closed, counted together: never one person's.",
    )


def feedback_by_provider() -> Table:
    return _feedback_table(
        key="feedback-provider",
        title="Victims' feedback by provider",
        group="case__provider__name",
        label="Provider",
    )


def feedback_by_area() -> Table:
    return _feedback_table(
        key="feedback-area",
        title="Victims' feedback by area",
        group="case__referral__report__area__name",
        label="Area",
    )


def outcome_tables(*, strand_names: dict[int, str] | None = None) -> dict[str, Table]:
    """One aggregate per table (and the strands' names, unless given)."""
    names = strand_names if strand_names is not None else _strand_names()
    return {
        "police-outcomes": police_outcomes_by_strand_and_year(strand_names=names),
        "repeat-strand": repeat_victimisation_by_strand_and_year(strand_names=names),
        "satisfaction": satisfaction_by_strand_and_year(strand_names=names),
        "feedback-provider": feedback_by_provider(),
        "feedback-area": feedback_by_area(),
    }


# --- The referral funnel and time to first contact, by strand --------------------------

ALL_STRANDS = "All strands"
FUNNEL_STAGES = [
    ("referred", "Referred to support"),
    ("delivered", "Delivered"),
    ("accepted", "Accepted (case opened)"),
    ("contacted", "First contact made"),
    ("closed", "Case closed"),
]


def _funnel_q() -> dict[str, Q]:
    """Per stage: the report has a support referral (or its case) that reached it."""
    support = Referral.objects.filter(report=OuterRef("pk"), kind=Referral.Kind.SUPPORT)
    cases = Case.objects.filter(referral__report=OuterRef("pk"))
    return {
        "referred": Q(Exists(support)),
        "delivered": Q(Exists(support.filter(delivery_status=Referral.DeliveryStatus.DELIVERED))),
        "accepted": Q(Exists(cases)),
        "contacted": Q(Exists(support.filter(first_contact_at__isnull=False))),
        "closed": Q(Exists(cases.filter(closed_at__isnull=False))),
    }


def _funnel_row(name: str, counts: dict[str, int]) -> list[object]:
    reports = counts["n"]
    row: list[object] = [name, suppress_one(reports)]
    for stage, _label in FUNNEL_STAGES:
        _total, shown, share = share_cells(reports, counts[stage])
        row += [shown, share]
    return row


def referral_funnel(
    *, financial_year: int | None = None, strand_names: dict[int, str] | None = None
) -> Table:
    """Of the reports made in the year, how many reached each stage of support.

    Two queries: all strands together, then per strand (a report may name
    several strands, so the strands' rows add up to more than the first).
    A stage's count is hidden when it, or the rest of the reports, is 1 to 4.
    """
    names = strand_names if strand_names is not None else _strand_names()
    stage_q = _funnel_q()
    counts = {"n": DbCount("id")} | {
        stage: DbCount("id", filter=stage_q[stage]) for stage, _label in FUNNEL_STAGES
    }
    reports = _reports(financial_year)
    overall = reports.aggregate(**counts)
    by_strand: dict[int, dict[str, int]] = {
        strand_id: dict(zip(counts, figures, strict=True))
        for strand_id, *figures in reports.filter(strands__isnull=False)
        .values("strands")
        .annotate(**counts)
        .values_list("strands", *counts)
    }
    empty = dict.fromkeys(["n", *(stage for stage, _label in FUNNEL_STAGES)], 0)
    rows = [_funnel_row(ALL_STRANDS, overall)]
    rows += [
        _funnel_row(name, by_strand.get(strand_id, empty)) for strand_id, name in names.items()
    ]
    columns = ["Strand", "Reports"]
    for _stage, label in FUNNEL_STAGES:
        columns += [label, "Share of reports"]
    return Table(
        key="funnel",
        title="Referral funnel by strand",
        columns=columns,
        rows=rows,
        note="Of the reports made in the period: those with a support referral, one delivered "
        "to the service, accepted (a case opened), the victim reached, and the case closed. "
        "A report may name several strands. A count is shown as <5, and its share left out, "
        "when it or the rest of the reports is from 1 to 4.",
    )


class PercentileCont(Aggregate):
    """PostgreSQL's ``percentile_cont(fraction) WITHIN GROUP (ORDER BY ...)``."""

    function = "PERCENTILE_CONT"
    name = "PercentileCont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression: Any, *, fraction: float, **extra: Any) -> None:
        if not 0 <= fraction <= 1:
            raise ValueError("a percentile's fraction is from 0 to 1")
        # A number from the code, never from a request.
        super().__init__(expression, fraction=repr(float(fraction)), **extra)


class HoursBetween(Func):
    """Hours on the clock from the first datetime to the second."""

    template = "EXTRACT(EPOCH FROM (%(expressions)s)) / 3600.0"
    arg_joiner = " - "
    output_field = FloatField()

    def __init__(self, start: Any, end: Any) -> None:
        super().__init__(end, start)


def _hours(value: float | None) -> str:
    return "" if value is None else f"{value:,.1f}"


def time_to_first_contact(
    *, financial_year: int | None = None, strand_names: dict[int, str] | None = None
) -> Table:
    """Accepted support referrals of the year's reports: hours from the
    referral to the first contact with the victim (median and 90th
    percentile), and the share reached by the service's deadline.

    One query: per strand, with all strands together as a second part of
    the same statement (UNION ALL). A group of fewer than 5 victims reached
    shows no times; a share is left out when its count or the rest is 1 to 4.
    """
    names = strand_names if strand_names is not None else _strand_names()
    now = timezone.now()
    accepted = Referral.objects.filter(
        Exists(Case.objects.filter(referral=OuterRef("pk"))),
        _period_q(financial_year, "report__"),
        kind=Referral.Kind.SUPPORT,
    )
    hours = HoursBetween("created_at", "first_contact_at")
    reached = Q(first_contact_at__isnull=False)
    figures = {
        "contacted": DbCount("id", filter=reached),
        "median": PercentileCont(hours, fraction=0.5, filter=reached),
        "p90": PercentileCont(hours, fraction=0.9, filter=reached),
        # Due: reached, or the deadline has passed without it.
        "due": DbCount("id", filter=reached | Q(contact_by__lt=now)),
        "in_time": DbCount("id", filter=Q(first_contact_at__lte=F("contact_by"))),
    }
    fields = ["group", *figures]
    per_strand = (
        accepted.filter(report__strands__isnull=False)
        .annotate(group=F("report__strands"))
        .values("group")
        .annotate(**figures)
        .values_list(*fields)
        .order_by()
    )
    together = (
        accepted.annotate(group=Value(None, output_field=IntegerField()))
        .values("group")
        .annotate(**figures)
        .values_list(*fields)
        .order_by()
    )
    found: dict[int | None, tuple[int, float | None, float | None, int, int]] = {
        group: (contacted, median, p90, due, in_time)
        for group, contacted, median, p90, due, in_time in together.union(per_strand, all=True)
    }
    rows: list[list[object]] = []
    for group, name in [(None, ALL_STRANDS), *names.items()]:
        contacted, median, p90, due, in_time = found.get(group, (0, None, None, 0, 0))
        shown = contacted >= THRESHOLD_CASES
        _due, in_time_shown, share = share_cells(due, in_time)
        rows.append(
            [
                name,
                suppress_one(contacted),
                _hours(median) if shown else "",
                _hours(p90) if shown else "",
                suppress_one(due),
                in_time_shown,
                share,
            ]
        )
    return Table(
        key="first-contact",
        title="Time to first contact by strand",
        columns=[
            "Strand",
            "Victims reached",
            "Median hours to first contact",
            "90th percentile, hours",
            "Referrals due first contact",
            "Reached within the deadline",
            "Share within the deadline",
        ],
        rows=rows,
        note="Accepted support referrals of the reports made in the period. Hours on the "
        "clock (nights, weekends and bank holidays included) from the referral to the first "
        "contact with the victim; no times are shown for fewer than 5 victims reached. The "
        "deadline is the service's, in working days (shorter when the risk is high); a "
        "referral is due once the victim is reached or its deadline has passed.",
    )
