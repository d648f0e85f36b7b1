"""The append-only access log: who saw or did what to which record.

No staff role can change or remove an entry: the database refuses UPDATE,
DELETE and TRUNCATE on the table (a trigger, see the migrations), and each
entry carries a SHA-256 hash chained to the one before, so a removed or
altered row is found by ``manage.py audit_verify``. Entries hold who, when,
what, from where and the outcome, never the content that was seen.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class AccessLogEntry(models.Model):
    class Action(models.TextChoices):
        VIEW = "view", _("Viewed")
        DOWNLOAD = "download", _("Downloaded")
        EXPORT = "export", _("Exported")
        CHANGE = "change", _("Changed")
        DELETE = "delete", _("Deleted")
        SIGN_IN = "sign_in", _("Signed in")
        ALERT = "alert", _("Alert raised")

    class Outcome(models.TextChoices):
        ALLOWED = "allowed", _("Allowed")
        DENIED = "denied", _("Denied")

    at = models.DateTimeField(db_index=True)
    # Kept as plain values rather than a foreign key: deleting a user must
    # not touch (and the trigger would refuse) the rows that record them.
    actor_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    actor_username = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=20, choices=Action.choices)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.ALLOWED)
    object_type = models.CharField(max_length=100, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    report_reference = models.CharField(max_length=20, blank=True, db_index=True)
    source = models.CharField(max_length=64, blank=True, help_text=_("Where the request came from"))
    detail = models.JSONField(default=dict, blank=True)
    previous_hash = models.CharField(max_length=64)
    entry_hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = "access log entry"
        verbose_name_plural = "access log"
        indexes = [models.Index(fields=["actor_id", "at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_username or '-'} {self.action} {self.object_type} {self.object_id}"
