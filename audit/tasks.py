from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5, acks_late=True)
def audit_alert_burst(actor_id: int, count: int) -> None:
    """Tell the system administrators about a burst of record views."""
    User = get_user_model()
    recipients = list(
        User.objects.filter(groups__name=settings.SYSTEM_ADMINISTRATOR_GROUP, is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
    )
    recipients += [email for _name, email in settings.ADMINS]
    if not recipients:
        return
    actor = User.objects.filter(pk=actor_id).values_list("username", flat=True).first() or actor_id
    send_mail(
        subject="Access alert: unusual number of records viewed",
        message=(
            f"The staff account {actor} viewed {count} records within "
            f"{settings.AUDIT_BURST_WINDOW_SECONDS // 60} minutes. Check the access log "
            f"({settings.SITE_URL}/staff/audit/accesslogentry/?actor_id={actor_id})."
        ),
        from_email=None,
        recipient_list=sorted(set(recipients)),
    )
