"""The retention policies a new deployment starts with.

Seeded once by a data migration (privacy 0002) and then owned by the data
protection officer, who changes them in the staff site; docs/privacy.md's
retention table is checked against this list (tests/test_docs.py), so the
two cannot drift apart.
"""

from __future__ import annotations

from typing import Any, NamedTuple


class DefaultPolicy(NamedTuple):
    record_kind: str
    keep_for_days: int
    action: str
    legal_basis: str


SIX_YEARS = 6 * 365
TWO_YEARS = 2 * 365
THIRTY_DAYS = 30

DEFAULT_POLICIES: list[DefaultPolicy] = [
    DefaultPolicy(
        "report",
        SIX_YEARS,
        "anonymise",
        "UK GDPR Art. 6(1)(e) and Art. 9(2)(g) with DPA 2018 Sch. 1 paras 6 and 10; Art. 10 "
        "(alleged offences). Six years: the limitation period for civil claims (Limitation "
        "Act 1980 s.2) and the commissioner's grant audit cycle. The figures (strands, area, "
        "dates) are kept without anything that identifies anyone.",
    ),
    DefaultPolicy(
        "evidence",
        SIX_YEARS,
        "erase",
        "As reports (Art. 6(1)(e), Art. 9(2)(g) with DPA 2018 Sch. 1 para 10, Art. 10). "
        "Files are deleted from storage; the SHA-256, size and chain of custody stay, so a "
        "copy produced in court can still be checked against what we received.",
    ),
    DefaultPolicy(
        "referral",
        SIX_YEARS,
        "anonymise",
        "Art. 6(1)(e) (Victims' Code right 4: referral to support services). Six years, as "
        "reports; kept anonymised for the referral and outcome figures grants report on.",
    ),
    DefaultPolicy(
        "case",
        SIX_YEARS,
        "anonymise",
        "Art. 6(1)(e) and Art. 9(2)(g) with DPA 2018 Sch. 1 paras 6 and 18 (safeguarding). "
        "Six years after the case closed; notes, plans and actions are removed, the needs, "
        "risk levels and outcome measures stay for the grant figures.",
    ),
    DefaultPolicy(
        "access_log",
        TWO_YEARS,
        "erase",
        "Art. 6(1)(c) and Art. 32 (security of processing): long enough to investigate a "
        "breach or a complaint about staff access; the oldest entries are cut off the chain "
        "with an anchor so what remains still verifies.",
    ),
    DefaultPolicy(
        "subject_export",
        THIRTY_DAYS,
        "erase",
        "Art. 5(1)(e) (storage limitation) and Art. 32: an access request's export gathers "
        "everything held about a person into one file. It is deleted when recorded as sent, "
        "or 30 days after it was prepared if nobody did; its SHA-256 stays as the record of "
        "what was sent, and the records it was made from are kept under their own policies.",
    ),
]

# What each kind's job can do. Reports, referrals and cases are only ever
# anonymised: deleting them would change published statistics and grant
# figures after the fact. Evidence files and access log entries hold nothing
# that aggregates need, so they are erased.
ALLOWED_ACTIONS: dict[str, set[str]] = {
    "report": {"anonymise"},
    "evidence": {"erase"},
    "referral": {"anonymise"},
    "case": {"anonymise"},
    "access_log": {"erase"},
    "subject_export": {"erase"},
}


def policies_seed(apps: Any, schema_editor: Any) -> None:
    """Data migrations: a policy for every record kind that has none yet
    (those that have one are left as the data protection officer set them)."""
    RetentionPolicy = apps.get_model("privacy", "RetentionPolicy")
    for policy in DEFAULT_POLICIES:
        RetentionPolicy.objects.get_or_create(
            record_kind=policy.record_kind,
            defaults={
                "keep_for_days": policy.keep_for_days,
                "action": policy.action,
                "legal_basis": policy.legal_basis,
            },
        )
