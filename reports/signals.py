from django.dispatch import Signal

# Sent inside report_submit's transaction with ``report``, and the
# ``strands`` and ``incident_types`` it was saved with (lists, so receivers
# need not read them back): receivers (the referrals app) write what the
# report implies in the same transaction, so a report is never saved
# without them.
report_submitted = Signal()

# Sent inside report_consent_withdraw's transaction with ``report`` (whose
# consent fields are already updated): receivers stop or recall what the
# report's consent no longer allows.
report_consent_withdrawn = Signal()
