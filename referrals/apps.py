from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "referrals"
    verbose_name = "Referrals"

    def ready(self) -> None:
        from referrals import receivers
        from referrals.directory import directory_watch
        from reports.signals import report_consent_withdrawn, report_submitted

        # Sent inside the reports app's transactions: the referrals are
        # written (or withdrawn) atomically with the report's change.
        report_submitted.connect(receivers.on_report_submitted, dispatch_uid="referrals-submit")
        report_consent_withdrawn.connect(
            receivers.on_report_consent_withdrawn, dispatch_uid="referrals-withdraw"
        )
        directory_watch()
        from evidence.signals import evidence_cleared

        # Sent inside the evidence app's transaction when a report's file is
        # checked clean: police forces that already have the referral get a
        # follow-up message (the outbox), written atomically with the change.
        evidence_cleared.connect(receivers.on_evidence_cleared, dispatch_uid="referrals-evidence")
        from evidence.selectors import register_report_scope
        from referrals.selectors import evidence_report_scopes

        # Evidence is below referrals: it learns from here whose evidence a
        # provider's or a force's staff may see.
        register_report_scope("referrals", evidence_report_scopes)
        from referrals import case_services

        report_submitted.connect(
            case_services.on_report_submitted, dispatch_uid="referrals-repeats"
        )
