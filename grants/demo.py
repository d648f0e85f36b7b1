"""Demo grants data from the seed decisions (shared/seeds/), and plausible returns.

Decisions, funding, budget lines, awards, amounts and dates are exactly as
the published records give them; where a record does not give something
(a start date, an amount, which budget line) it is left empty and the
grant's notes say so. Payments beyond what a record states, outcome targets,
and monitoring returns are illustrative, and are marked as such.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction

from grants import services
from grants.models import (
    BudgetLine,
    BudgetLineYear,
    Decision,
    DecisionFunding,
    FundingSource,
    Grant,
    MonitoringReturn,
    OutcomeMeasure,
    PlannedPayment,
    Variation,
)
from referrals.models import Provider

D = Decimal
MOPAC = "Mayor's Office for Policing and Crime (MOPAC)"
DERBYSHIRE = "Office of the Police and Crime Commissioner for Derbyshire"
DMPC = "Deputy Mayor for Policing and Crime"
ILLUSTRATIVE = "Illustrative demo figure, not from the decision record"

FUNDING_SOURCES: list[dict[str, str]] = [
    {
        "slug": "mopac-victims-fund",
        "name": "MOPAC Victims' Fund",
        "funder": "Mayor's Office for Policing and Crime",
    },
    {
        "slug": "home-office-pif",
        "name": "Home Office Police Innovation Fund",
        "funder": "Home Office",
        "conditions": "Must be spent by 31 March of the financial year for which it is approved.",
    },
    {
        "slug": "pcd-41-match-funding",
        "name": "Cross-partner match funding (MOPAC, MPS, social media providers)",
        "funder": "MOPAC, the Metropolitan Police Service and social media providers",
        "conditions": "Provided as resources within existing budgets.",
    },
    {
        "slug": "moj-victims-grant",
        "name": "Ministry of Justice Victims' Grant",
        "funder": "Ministry of Justice",
        "conditions": "Must be spent by 31 March in each financial year.",
    },
    {
        "slug": "mopac-budget",
        "name": "MOPAC budget",
        "funder": "Mayor's Office for Policing and Crime",
    },
]

DECISIONS: list[dict[str, Any]] = [
    {
        "reference": "DMPCD 2015 92",
        "title": "Proposals for the delivery of key actions within the Hate Crime Reduction Strategy",
        "body": MOPAC,
        "decision_maker": DMPC,
        "level": Decision.Level.PRINCIPAL,
        "approval_route": "DMPC decision; individual grant agreements signed by the Chief "
        "Operating Officer under delegation",
        # The published form leaves the Deputy Mayor's signature date blank.
        "decided_on": None,
        "officer_approved_on": dt.date(2015, 8, 24),
        "summary": "Two pilots from the Hate Crime Reduction Strategy, against £275,000 of the "
        "£600,000 approved in DMPCD 2015 46 from within the victims' budget.",
        "recommendations": "Approve £100,000 for delivery of the hate crime app pilot to be "
        "awarded through a direct award of grant.\n"
        "Approve £175,000 for the delivery of the hate crime advocates pilot scheme.\n"
        "Delegate authority to sign the individual grant agreements to the Chief Operating "
        "Officer.",
        "funding": [("mopac-victims-fund", D("275000"), "Of the £600,000 in DMPCD 2015 46")],
        "lines": [
            {
                "name": "Hate crime reporting app pilot",
                "amount": D("100000"),
                "funding_source": "mopac-victims-fund",
            },
            {
                "name": "Hate crime victim advocates pilot",
                "amount": D("175000"),
                "funding_source": "mopac-victims-fund",
                "delivered_by": "To be secured through a competitive grant award process",
            },
        ],
    },
    {
        "reference": "PCD 41",
        "title": "Home Office Police Innovation Fund \u2013 Online Hate Crime Hub",
        "body": MOPAC,
        "decision_maker": DMPC,
        "level": Decision.Level.PRINCIPAL,
        "approval_route": "DMPC decision; agreements signed in line with the MOPAC Scheme of "
        "Delegation",
        "decided_on": dt.date(2016, 7, 27),
        "officer_approved_on": dt.date(2016, 7, 27),
        "summary": "A two-year proof of concept online hate crime hub. Total programme cost "
        "£1,730,726, of which £452,756 awarded from the Police Innovation Fund.",
        "recommendations": "Approve £160,000 (£80,000 in 2016/17 and £80,000 in 2017/18) for the "
        "data analysis and evaluation of the project.\n"
        "Approve up to £100,000 (£50,000 in 2016/17 and £50,000 in 2017/18) for the community "
        "hub element.\n"
        "Delegate authority to sign any individual grant or contract agreements.",
        "funding": [
            ("home-office-pif", D("452756"), "Police Innovation Fund award"),
            ("pcd-41-match-funding", D("1277970"), "Cross-partner resources as match funding"),
        ],
        "lines": [
            {
                "name": "Data analysis and evaluation",
                "amount": D("160000"),
                "years": {2016: D("80000"), 2017: D("80000")},
                "funding_source": "home-office-pif",
                "delivered_by": "MOPAC Evidence and Insight Team",
            },
            {
                "name": "Community hub element",
                "amount": D("100000"),
                "years": {2016: D("50000"), 2017: D("50000")},
                "funding_source": "home-office-pif",
            },
        ],
    },
    {
        "reference": "PCD 174",
        "title": "Integrated Victim and Witness Services Resource Plan 2017-2020",
        "body": MOPAC,
        "decision_maker": DMPC,
        "level": Decision.Level.PRINCIPAL,
        "approval_route": "DMPC decision; agreements up to £499,000 signed by the Chief "
        "Executive Officer under delegation",
        "decided_on": dt.date(2017, 4, 7),
        "officer_approved_on": None,
        "summary": "A three-year victim and witness resource plan (2017/18 to 2019/20), "
        "ring-fenced, including expansion of the hate crime victim advocates scheme.",
        "recommendations": "Approve the three-year victim and witness resource plan with a total "
        "budget of £47,110,918.\n"
        "Allocate the Ministry of Justice's Victims' Grant, projected to be £29,092,663 over "
        "three financial years.\n"
        "Commit £18,018,255 from MOPAC's budget over three years.\n"
        "Ring-fence the budget for the three-year period.\n"
        "Delegate to the Chief Executive Officer for activities up to the value of £499,000.",
        "funding": [
            ("moj-victims-grant", D("29092663"), "Projected over three financial years"),
            ("mopac-budget", D("18018255"), "Over three years"),
        ],
        "lines": [
            {
                "name": "Victim and Witness Service Change and Improvement Programme",
                "amount": D("4179523"),
            },
            {"name": "Preventing Victimisation", "amount": D("775000")},
            {"name": "Universal Service Offer", "amount": D("16901030")},
            {"name": "Specialist Service Provision", "amount": D("24135365")},
            {"name": "Commissioning and Programme Delivery", "amount": D("1120000")},
        ],
        "first_year": 2017,
        "last_year": 2019,
    },
    {
        "reference": "PCD 543",
        "title": "Provision of support for male sexual assault and rape victims",
        "body": MOPAC,
        "decision_maker": DMPC,
        "level": Decision.Level.PRINCIPAL,
        "approval_route": "DMPC decision; funding agreement varied and signed by the Chief "
        "Executive Officer under delegation (up to £499,000)",
        "decided_on": dt.date(2019, 3, 25),
        "officer_approved_on": dt.date(2019, 3, 22),
        "summary": "A further year of funding for Survivors UK while MOPAC reviews its sexual "
        "violence profile.",
        "recommendations": "Award a grant of £26,000 to Survivors UK for 2019/20 to provide "
        "services to male victims of sexual assault and rape.",
        "funding": [],
        "lines": [],
    },
    {
        "reference": "18/2020",
        "title": "Hate Crime Services",
        "body": DERBYSHIRE,
        "decision_maker": "Police and Crime Commissioner for Derbyshire",
        "level": Decision.Level.PRINCIPAL,
        "approval_route": "PCC decision record; Strategic Priorities Assurance Board report by "
        "the Chief Finance Officer",
        "decided_on": dt.date(2020, 2, 1),
        "decided_on_precision": Decision.DatePrecision.MONTH,
        "officer_approved_on": None,
        "summary": "Extends the hate crime community advocate contracts of the Multi Faith "
        "Centre, Disability Direct and LGBT+ until March 2021. The related report contains "
        "commercially sensitive information.",
        "recommendations": "Extend the contracts for the Multi Faith Centre, Disability Direct "
        "and LGBT+ until March 2021.",
        "funding": [],
        "lines": [],
    },
]


def _providers() -> dict[str, Provider]:
    # Witness Confident is funded but not a support service, so referrals'
    # directory does not list it; the grant still needs its provider.
    Provider.objects.get_or_create(slug="witness-confident", defaults={"name": "Witness Confident"})
    return {p.slug: p for p in Provider.objects.all()}


def _decisions_load() -> dict[str, Decision]:
    sources = {}
    for source_spec in FUNDING_SOURCES:
        source, _ = FundingSource.objects.update_or_create(
            slug=source_spec["slug"],
            defaults={k: v for k, v in source_spec.items() if k != "slug"},
        )
        sources[source.slug] = source
    decisions = {}
    for spec in DECISIONS:
        fields = {
            k: v
            for k, v in spec.items()
            if k not in ("reference", "funding", "lines", "first_year", "last_year")
        }
        decision, _ = Decision.objects.update_or_create(
            reference=spec["reference"], defaults=fields
        )
        decisions[decision.reference] = decision
        for slug, amount, note in spec["funding"]:
            DecisionFunding.objects.update_or_create(
                decision=decision,
                funding_source=sources[slug],
                defaults={"amount": amount, "note": note},
            )
        for order, line_spec in enumerate(spec["lines"]):
            years = line_spec.get("years", {})
            line, _ = BudgetLine.objects.update_or_create(
                decision=decision,
                name=line_spec["name"],
                defaults={
                    "amount": line_spec["amount"],
                    "funding_source": sources.get(line_spec.get("funding_source", "")),
                    "delivered_by": line_spec.get("delivered_by", ""),
                    "first_financial_year": min(years) if years else spec.get("first_year"),
                    "last_financial_year": max(years) if years else spec.get("last_year"),
                    "order": order,
                },
            )
            for year, amount in years.items():
                BudgetLineYear.objects.update_or_create(
                    budget_line=line, financial_year=year, defaults={"amount": amount}
                )
    return decisions


def _submit_and_review(
    grant: Grant,
    quarter_figures: list[tuple[int, int, Decimal, dict[str, Decimal], str, str]],
) -> None:
    """Submit the given returns; ``review`` is accept, changes or "" (awaiting review)."""
    measures = {m.name: m for m in grant.measures.all()}
    for year, quarter, spend, actuals, narrative, review in quarter_figures:
        monitoring_return = MonitoringReturn.objects.get(
            grant=grant, financial_year=year, quarter=quarter
        )
        services.monitoring_return_submit(
            monitoring_return=monitoring_return,
            actuals={measures[name]: value for name, value in actuals.items()},
            spend=spend,
            narrative=narrative,
            acting_user=None,
        )
        if review == "accept":
            services.monitoring_return_accept(monitoring_return=monitoring_return, acting_user=None)
        elif review == "changes":
            services.monitoring_return_request_changes(
                monitoring_return=monitoring_return,
                comment="The spend does not match the invoices for March; please check and "
                "resubmit.",
                acting_user=None,
            )


def _quarterly(targets: list[int], quarters: list[tuple[int, int]]) -> dict[tuple[int, int], D]:
    return {q: D(t) for q, t in zip(quarters, targets, strict=True)}


def _stop_hate_uk(decisions: dict[str, Decision], providers: dict[str, Provider]) -> None:
    line = BudgetLine.objects.get(decision=decisions["PCD 41"], name="Community hub element")
    grant = services.grant_create(
        reference="pcd-41-community-hub",
        title="Online hate crime hub: community hub element",
        description="Recruit, train and manage community volunteers to identify, report and "
        "challenge online hate material, with referral pathways into victim support.",
        provider=providers["stop-hate-uk"],
        decision=decisions["PCD 41"],
        budget_line=line,
        funding_source=line.funding_source,
        award_route=Grant.AwardRoute.DIRECT_AWARD,
        amount_awarded=D("100000"),
        start_date=dt.date(2016, 7, 27),
        end_date=dt.date(2018, 3, 31),
        profile={2016: D("50000"), 2017: D("50000")},
        payment_terms=Grant.PaymentTerms.TRANCHES,
        payment_terms_note="In arrears, in two tranches (November 2016 and June 2017), for "
        "expenditure incurred up to the approved amount",
        notes="A conditional grant under the exception for no acceptable alternative supplier. "
        "The decision gives the two financial years, not a start date: the start is taken as "
        "the decision date. Home Office money must be spent by 31 March of its year.",
        acting_user=None,
    )
    for due_on, description in (
        (dt.date(2016, 11, 1), "First tranche, November 2016"),
        (dt.date(2017, 6, 1), "Second tranche, June 2017"),
    ):
        PlannedPayment.objects.create(grant=grant, due_on=due_on, description=description)
    quarters = [(2016, 2), (2016, 3), (2016, 4), (2017, 1), (2017, 2), (2017, 3), (2017, 4)]
    services.outcome_measure_add(
        grant=grant,
        name="Community volunteers trained",
        method=OutcomeMeasure.Method.PROVIDER_REPORTED,
        targets=_quarterly([10, 15, 15, 10, 10, 10, 10], quarters),
        order=1,
        acting_user=None,
    )
    services.outcome_measure_add(
        grant=grant,
        name="Online hate reports made to platforms and police",
        unit="reports",
        method=OutcomeMeasure.Method.PROVIDER_REPORTED,
        targets=_quarterly([40, 60, 80, 80, 90, 90, 100], quarters),
        order=2,
        acting_user=None,
    )
    services.outcome_measure_add(
        grant=grant,
        name="Victims referred to support services",
        method=OutcomeMeasure.Method.PROVIDER_REPORTED,
        targets=_quarterly([10, 15, 20, 20, 20, 25, 25], quarters),
        order=3,
        acting_user=None,
    )
    v, r, s = (
        "Community volunteers trained",
        "Online hate reports made to platforms and police",
        "Victims referred to support services",
    )
    _submit_and_review(
        grant,
        [
            (2016, 2, D("14000"), {v: D(8), r: D(35), s: D(9)}, "Recruitment started; coordinator in post from September.", "accept"),
            (2016, 3, D("17500"), {v: D(16), r: D(61), s: D(14)}, "Two training cohorts completed.", "accept"),
            (2016, 4, D("16200"), {v: D(14), r: D(83), s: D(21)}, "Reporting protocol agreed with two platforms.", "accept"),
            (2017, 1, D("12000"), {v: D(9), r: D(70), s: D(17)}, "Volunteer turnover after exams; recruiting again.", "accept"),
            (2017, 2, D("12500"), {v: D(11), r: D(95), s: D(22)}, "Counter-narrative campaign launched.", "accept"),
            (2017, 3, D("13000"), {v: D(10), r: D(88), s: D(26)}, "Handover planning for the end of the proof of concept.", ""),
        ],
    )  # fmt: skip
    services.payment_record(
        grant=grant,
        paid_on=dt.date(2016, 11, 30),
        financial_year=2016,
        amount=D("20000"),
        note=f"First tranche (November 2016). Amount: {ILLUSTRATIVE.lower()}",
        acting_user=None,
    )
    services.payment_record(
        grant=grant,
        paid_on=dt.date(2017, 6, 30),
        financial_year=2016,
        amount=D("27700"),
        note=f"Second tranche (June 2017), in arrears. Amount: {ILLUSTRATIVE.lower()}",
        acting_user=None,
    )


def _survivors_uk(decisions: dict[str, Decision], providers: dict[str, Provider]) -> None:
    grant = services.grant_create(
        reference="pcd-543-male-survivors",
        title="Support for male survivors of sexual assault and rape, 2019/20",
        description="Tailored counselling sessions and blocks of group psycho-educational "
        "programmes for male survivors.",
        provider=providers["survivors-uk"],
        decision=decisions["PCD 543"],
        award_route=Grant.AwardRoute.EXTENSION,
        amount_awarded=D("26000"),
        start_date=dt.date(2019, 4, 1),
        end_date=dt.date(2020, 3, 31),
        profile={2019: D("26000")},
        notes="Funded from the three-year Victims budget approved in PCD 174 (an annual £26,000 "
        "for male rape services); the decision does not say which PCD 174 budget line. The "
        "existing grant agreement is varied for a further year.",
        acting_user=None,
    )
    quarters = [(2019, 1), (2019, 2), (2019, 3), (2019, 4)]
    c, p, g = "Counselling sessions delivered", "Male survivors supported", "Group programme places"
    services.outcome_measure_add(
        grant=grant,
        name=c,
        unit="sessions",
        method=OutcomeMeasure.Method.PROVIDER_REPORTED,
        targets=_quarterly([90, 90, 90, 90], quarters),
        order=1,
        acting_user=None,
    )
    services.outcome_measure_add(
        grant=grant,
        name=p,
        method=OutcomeMeasure.Method.PROVIDER_REPORTED,
        targets=_quarterly([25, 25, 25, 25], quarters),
        order=2,
        acting_user=None,
    )
    services.outcome_measure_add(
        grant=grant,
        name=g,
        unit="places",
        method=OutcomeMeasure.Method.PROVIDER_REPORTED,
        targets=_quarterly([0, 12, 0, 12], quarters),
        order=3,
        acting_user=None,
    )
    _submit_and_review(
        grant,
        [
            (2019, 1, D("6500"), {c: D(94), p: D(27), g: D(0)}, "Waiting list down to three weeks.", "accept"),
            (2019, 2, D("6500"), {c: D(88), p: D(24), g: D(12)}, "Autumn group programme full.", "accept"),
            (2019, 3, D("6500"), {c: D(71), p: D(19), g: D(0)}, "Counsellor vacancy from November; recruited in December.", "accept"),
            (2019, 4, D("5900"), {c: D(64), p: D(18), g: D(7)}, "Sessions moved to telephone and video from mid-March.", "changes"),
        ],
    )  # fmt: skip
    for paid_on in (dt.date(2019, 7, 31), dt.date(2019, 10, 31), dt.date(2020, 1, 31)):
        services.payment_record(
            grant=grant,
            paid_on=paid_on,
            financial_year=2019,
            amount=D("6500"),
            note=f"Quarterly payment in arrears. {ILLUSTRATIVE}",
            acting_user=None,
        )


def _witness_confident(decisions: dict[str, Decision], providers: dict[str, Provider]) -> None:
    line = BudgetLine.objects.get(
        decision=decisions["DMPCD 2015 92"], name="Hate crime reporting app pilot"
    )
    services.grant_create(
        reference="dmpcd-2015-92-reporting-app",
        title="Hate crime reporting app pilot",
        description="A specialised crime reporting app that stores photographic and video "
        "evidence and directs reports to the police, with support, advice and briefing sessions "
        "for users and providers, and participation in the pilot evaluation.",
        provider=providers["witness-confident"],
        decision=decisions["DMPCD 2015 92"],
        budget_line=line,
        funding_source=line.funding_source,
        award_route=Grant.AwardRoute.DIRECT_AWARD,
        amount_awarded=D("100000"),
        start_date=None,
        end_date=None,
        status=Grant.Status.CLOSED,
        notes="A direct award (no acceptable alternative provider) up to £100,000 for a "
        "12-month pilot. The decision gives neither the start date nor a profile by year, and "
        "the Deputy Mayor's signature is undated in the published form (Chief Operating "
        "Officer's approval: 24 August 2015).",
        acting_user=None,
    )


def _derbyshire(decisions: dict[str, Decision], providers: dict[str, Provider]) -> None:
    extension = decisions["18/2020"]
    specs = [
        ("derbyshire-disability-direct", "disability-direct", Grant.AwardRoute.COMPETITIVE_GRANT,
         dt.date(2018, 6, 1), "Hate Crime Community Advocate (disability)", "June 2018, following a successful grant application"),
        ("derbyshire-lgbt", "derbyshire-lgbt", Grant.AwardRoute.COMPETITIVE_GRANT,
         dt.date(2018, 6, 1), "Hate Crime Community Advocate (LGBT+)", "June 2018, following a successful grant application"),
        ("derbyshire-multi-faith-centre", "multi-faith-centre", Grant.AwardRoute.CONTRACT,
         dt.date(2019, 7, 1), "Race and religion hate crime network", "July 2019"),
    ]  # fmt: skip
    for reference, slug, route, start, title, commissioned in specs:
        grant = services.grant_create(
            reference=reference,
            title=title,
            provider=providers[slug],
            award_route=route,
            amount_awarded=None,
            start_date=start,
            end_date=None,
            status=Grant.Status.CLOSED,
            notes=f"Commissioned {commissioned} (the start is recorded as the first of that "
            "month). The original decision is not held, the amounts are not published, and "
            "the original end date is not given; decision 18/2020 extends the contract to "
            "March 2021.",
            acting_user=None,
        )
        services.variation_record(
            grant=grant,
            decision=extension,
            kind=Variation.Kind.EXTENSION,
            new_end_date=dt.date(2021, 3, 31),
            description="Extended until March 2021 to improve the system response to all forms "
            "of hate crime and support advocacy for all protected characteristics.",
            acting_user=None,
        )


@transaction.atomic
def demo_grants_load() -> None:
    """Load the seed decisions and grants; safe to run again (creates nothing twice)."""
    decisions = _decisions_load()
    providers = _providers()
    loaders = {
        "pcd-41-community-hub": _stop_hate_uk,
        "pcd-543-male-survivors": _survivors_uk,
        "dmpcd-2015-92-reporting-app": _witness_confident,
        "derbyshire-disability-direct": _derbyshire,
    }
    for reference, loader in loaders.items():
        if not Grant.objects.filter(reference=reference).exists():
            loader(decisions, providers)
