from django.dispatch import Signal

# Sent inside evidence_process's transaction with ``item`` (an EvidenceItem
# attached to a report, just scanned and checked clean): higher apps (the
# referrals app) write what a newly available file implies in the same
# transaction, e.g. the follow-up message to a police force that already
# has the referral. This app never imports them.
evidence_cleared = Signal()
