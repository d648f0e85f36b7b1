"""Demo support services, from the organisations named in the seed decisions.

Contact details are each organisation's published national lines where we
are sure of them; an operator confirms them before going live.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from referrals.models import DeliveryMethod, PoliceForceChannel, Provider, Service
from reports.models import Area, PoliceForce, Strand
from reports.reference_data import LONDON_AREAS

LONDON = [code for code, _name in LONDON_AREAS]
DERBYSHIRE = ["force:derbyshire"]

PROVIDERS: list[dict[str, Any]] = [
    {
        "name": "Victim Support",
        "slug": "victim-support",
        "website": "https://www.victimsupport.org.uk/",
        "services": [
            {
                "name": "Supportline",
                "summary": "Free, confidential support for anyone affected by crime, whether or not "
                "it was reported to the police. Open every day, day and night.",
                "all_strands": True,
                "national": True,
                "phone": "08 08 16 89 111",
                "opening_hours": "24 hours, every day",
            }
        ],
    },
    {
        "name": "Galop",
        "slug": "galop",
        "website": "https://galop.org.uk/",
        "services": [
            {
                "name": "LGBT+ hate crime support",
                "summary": "Advice and advocacy for lesbian, gay, bisexual, trans and queer people "
                "who have experienced hate crime.",
                "strands": ["sexual-orientation", "transgender"],
                "national": True,
            },
            {
                "name": "CATCH (Community Alliance To Combat Hate)",
                "summary": "London's partnership of community organisations supporting victims of "
                "every kind of hate crime, led by Galop.",
                "all_strands": True,
                "areas": LONDON,
            },
        ],
    },
    {
        "name": "Tell MAMA",
        "slug": "tell-mama",
        "website": "https://tellmamauk.org/",
        "services": [
            {
                "name": "Anti-Muslim hatred support",
                "summary": "Support for people who have experienced anti-Muslim hatred, online or offline.",
                "strands": ["religion", "race"],
                "national": True,
                "phone": "0800 456 1226",
            }
        ],
    },
    {
        "name": "CST (Community Security Trust)",
        "slug": "cst",
        "website": "https://cst.org.uk/",
        "services": [
            {
                "name": "Antisemitic incident support",
                "summary": "Support and advice for Jewish people and communities after antisemitic "
                "incidents.",
                "strands": ["religion", "race"],
                "national": True,
            }
        ],
    },
    {
        "name": "Stop Hate UK",
        "slug": "stop-hate-uk",
        "website": "https://www.stophateuk.org/",
        "services": [
            {
                "name": "Stop Hate Line",
                "summary": "An independent, confidential helpline for anyone experiencing or "
                "witnessing hate crime.",
                "all_strands": True,
                "national": True,
                "phone": "0800 138 1625",
                "opening_hours": "24 hours, every day",
            }
        ],
    },
    {
        "name": "Survivors UK",
        "slug": "survivors-uk",
        "website": "https://www.survivorsuk.org/",
        "services": [
            {
                "name": "Support after sexual violence",
                "summary": "Support for men, boys and non-binary people who have experienced sexual "
                "violence, including LGBT+ survivors of hate-motivated abuse.",
                "strands": ["sexual-orientation", "transgender"],
                "areas": LONDON,
            }
        ],
    },
    {
        "name": "Disability Direct",
        "slug": "disability-direct",
        "services": [
            {
                "name": "Hate Crime Community Advocate (disability)",
                "summary": "Advocacy and support for disabled people who have experienced hate crime "
                "in Derby and Derbyshire.",
                "strands": ["disability"],
                "areas": DERBYSHIRE,
            }
        ],
    },
    {
        "name": "Derbyshire LGBT+",
        "slug": "derbyshire-lgbt",
        "services": [
            {
                "name": "Hate Crime Community Advocate (LGBT+)",
                "summary": "Advocacy and support for LGBT+ people who have experienced hate crime in "
                "Derby and Derbyshire.",
                "strands": ["sexual-orientation", "transgender"],
                "areas": DERBYSHIRE,
            }
        ],
    },
    {
        "name": "Multi Faith Centre",
        "slug": "multi-faith-centre",
        "services": [
            {
                "name": "Race and religion hate crime network",
                "summary": "A network of community organisations in Derby and Derbyshire helping "
                "people report race and religious hate crime and find support.",
                "strands": ["race", "religion"],
                "areas": DERBYSHIRE,
            }
        ],
    },
]


@transaction.atomic
def demo_providers_load() -> None:
    """Create or update the demo providers and services; idempotent."""
    for spec in PROVIDERS:
        provider, _ = Provider.objects.update_or_create(
            slug=spec["slug"], defaults={"name": spec["name"], "website": spec.get("website", "")}
        )
        if not provider.has_channel:
            # Demo channels: email notices to a reserved domain (RFC 2606),
            # which `make run` writes to DATA_DIR/outbox.
            Provider.objects.filter(pk=provider.pk).update(
                delivery_method=DeliveryMethod.EMAIL,
                notification_email=f"referrals@{provider.slug}.example",
            )
        for service_spec in spec["services"]:
            fields = {
                key: value
                for key, value in service_spec.items()
                if key not in ("name", "strands", "areas")
            }
            service, _ = Service.objects.update_or_create(
                provider=provider, name=service_spec["name"], defaults=fields
            )
            service.strands.set(Strand.objects.filter(code__in=service_spec.get("strands", [])))
            service.areas.set(Area.objects.filter(code__in=service_spec.get("areas", [])))
    for force in PoliceForce.objects.all():
        PoliceForceChannel.objects.get_or_create(
            police_force=force,
            defaults={
                "delivery_method": DeliveryMethod.EMAIL,
                "notification_email": f"hate-crime@{force.code}.police.example",
            },
        )
