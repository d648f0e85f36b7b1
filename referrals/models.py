"""Providers of support and their services: the support directory.

The referrals issue extends these with delivery channels, capacity, routing
rules and the referrals themselves.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from reports.models import Area, Strand


class Provider(models.Model):
    """An organisation that supports victims (a charity, a council team)."""

    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(unique=True)
    website = models.URLField(blank=True)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ServiceQuerySet(models.QuerySet["Service"]):
    def listed(self) -> ServiceQuerySet:
        return self.filter(listed=True).select_related("provider").prefetch_related("strands")

    def for_strands_and_area(
        self, *, strands: list[Strand] | None, area: Area | None
    ) -> ServiceQuerySet:
        """Services that fit any of the strands (or all strands) and the area
        (or everywhere in England and Wales), specialists first."""
        services = self
        if strands:
            services = services.filter(models.Q(all_strands=True) | models.Q(strands__in=strands))
        if area is not None:
            services = services.filter(models.Q(national=True) | models.Q(areas=area))
        return services.distinct().order_by("all_strands", "national", "provider__name", "name")


class Service(models.Model):
    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="services")
    name = models.CharField(max_length=200)
    summary = models.TextField(help_text=_("What the service offers, in plain words."))
    strands = models.ManyToManyField(Strand, blank=True, related_name="services")
    all_strands = models.BooleanField(
        default=False,
        help_text=_("Supports victims of every kind of hate crime (a universal service)."),
    )
    areas = models.ManyToManyField(Area, blank=True, related_name="services")
    national = models.BooleanField(default=False, help_text=_("Serves all of England and Wales."))
    phone = models.CharField(max_length=50, blank=True)
    text_relay = models.CharField(
        max_length=50, blank=True, help_text=_("Relay UK or textphone number")
    )
    email = models.EmailField(blank=True)
    website = models.URLField(blank=True)
    opening_hours = models.CharField(max_length=200, blank=True)
    languages = models.CharField(max_length=300, blank=True)
    listed = models.BooleanField(
        default=True, help_text=_("Shown in the public support directory.")
    )

    objects = ServiceQuerySet.as_manager()

    class Meta:
        ordering = ["provider__name", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "name"], name="service_unique_name_per_provider"
            )
        ]

    def __str__(self) -> str:
        return f"{self.provider.name}: {self.name}"
