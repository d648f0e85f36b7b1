"""Reference data every installation needs: strands, incident types, police
forces of England and Wales (police.uk identifiers) and the areas reports
are allocated to (the London boroughs and City of London by ONS code; each
other force's area as a whole)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models, transaction
from django.utils.translation import gettext, gettext_noop

from reports.caching import VersionedCache
from reports.models import Area, IncidentType, PoliceForce, Strand

# Strand and incident type names are rows in the database, stored in English
# (staff read them in the admin); reporters see them translated by code, so a
# row renamed by staff still shows, untranslated, rather than disappearing.
STRANDS = [
    ("race", gettext_noop("Race or ethnicity")),
    ("religion", gettext_noop("Religion or belief")),
    ("sexual-orientation", gettext_noop("Sexual orientation")),
    ("disability", gettext_noop("Disability")),
    ("transgender", gettext_noop("Transgender identity")),
]

INCIDENT_TYPES = [
    ("physical-assault", gettext_noop("Physical assault")),
    ("verbal-abuse", gettext_noop("Verbal abuse or insults")),
    ("threats", gettext_noop("Threats")),
    ("harassment", gettext_noop("Harassment or intimidation")),
    ("damage", gettext_noop("Damage to property, graffiti or arson")),
    ("online-abuse", gettext_noop("Online abuse")),
    ("sexual-assault", gettext_noop("Sexual assault")),
    ("other", gettext_noop("Something else")),
]

# (police.uk id, name, the area it polices outside London or None)
POLICE_FORCES = [
    ("avon-and-somerset", "Avon and Somerset Constabulary", "Avon and Somerset"),
    ("bedfordshire", "Bedfordshire Police", "Bedfordshire"),
    ("btp", "British Transport Police", None),
    ("cambridgeshire", "Cambridgeshire Constabulary", "Cambridgeshire"),
    ("cheshire", "Cheshire Constabulary", "Cheshire"),
    ("city-of-london", "City of London Police", None),
    ("cleveland", "Cleveland Police", "Cleveland"),
    ("cumbria", "Cumbria Constabulary", "Cumbria"),
    ("derbyshire", "Derbyshire Constabulary", "Derbyshire"),
    ("devon-and-cornwall", "Devon and Cornwall Police", "Devon and Cornwall"),
    ("dorset", "Dorset Police", "Dorset"),
    ("durham", "Durham Constabulary", "Durham"),
    ("dyfed-powys", "Dyfed-Powys Police", "Dyfed-Powys"),
    ("essex", "Essex Police", "Essex"),
    ("gloucestershire", "Gloucestershire Constabulary", "Gloucestershire"),
    ("greater-manchester", "Greater Manchester Police", "Greater Manchester"),
    ("gwent", "Gwent Police", "Gwent"),
    ("hampshire", "Hampshire and Isle of Wight Constabulary", "Hampshire and Isle of Wight"),
    ("hertfordshire", "Hertfordshire Constabulary", "Hertfordshire"),
    ("humberside", "Humberside Police", "Humberside"),
    ("kent", "Kent Police", "Kent"),
    ("lancashire", "Lancashire Constabulary", "Lancashire"),
    ("leicestershire", "Leicestershire Police", "Leicestershire"),
    ("lincolnshire", "Lincolnshire Police", "Lincolnshire"),
    ("merseyside", "Merseyside Police", "Merseyside"),
    ("metropolitan", "Metropolitan Police Service", None),
    ("norfolk", "Norfolk Constabulary", "Norfolk"),
    ("north-wales", "North Wales Police", "North Wales"),
    ("north-yorkshire", "North Yorkshire Police", "North Yorkshire"),
    ("northamptonshire", "Northamptonshire Police", "Northamptonshire"),
    ("northumbria", "Northumbria Police", "Northumbria"),
    ("nottinghamshire", "Nottinghamshire Police", "Nottinghamshire"),
    ("south-wales", "South Wales Police", "South Wales"),
    ("south-yorkshire", "South Yorkshire Police", "South Yorkshire"),
    ("staffordshire", "Staffordshire Police", "Staffordshire"),
    ("suffolk", "Suffolk Constabulary", "Suffolk"),
    ("surrey", "Surrey Police", "Surrey"),
    ("sussex", "Sussex Police", "Sussex"),
    ("thames-valley", "Thames Valley Police", "Thames Valley"),
    ("warwickshire", "Warwickshire Police", "Warwickshire"),
    ("west-mercia", "West Mercia Police", "West Mercia"),
    ("west-midlands", "West Midlands Police", "West Midlands"),
    ("west-yorkshire", "West Yorkshire Police", "West Yorkshire"),
    ("wiltshire", "Wiltshire Police", "Wiltshire"),
]

# ONS codes of the City of London and the 32 London boroughs.
LONDON_AREAS = [
    ("E09000001", "City of London"),
    ("E09000002", "Barking and Dagenham"),
    ("E09000003", "Barnet"),
    ("E09000004", "Bexley"),
    ("E09000005", "Brent"),
    ("E09000006", "Bromley"),
    ("E09000007", "Camden"),
    ("E09000008", "Croydon"),
    ("E09000009", "Ealing"),
    ("E09000010", "Enfield"),
    ("E09000011", "Greenwich"),
    ("E09000012", "Hackney"),
    ("E09000013", "Hammersmith and Fulham"),
    ("E09000014", "Haringey"),
    ("E09000015", "Harrow"),
    ("E09000016", "Havering"),
    ("E09000017", "Hillingdon"),
    ("E09000018", "Hounslow"),
    ("E09000019", "Islington"),
    ("E09000020", "Kensington and Chelsea"),
    ("E09000021", "Kingston upon Thames"),
    ("E09000022", "Lambeth"),
    ("E09000023", "Lewisham"),
    ("E09000024", "Merton"),
    ("E09000025", "Newham"),
    ("E09000026", "Redbridge"),
    ("E09000027", "Richmond upon Thames"),
    ("E09000028", "Southwark"),
    ("E09000029", "Sutton"),
    ("E09000030", "Tower Hamlets"),
    ("E09000031", "Waltham Forest"),
    ("E09000032", "Wandsworth"),
    ("E09000033", "Westminster"),
]


_TRANSLATABLE_NAMES: dict[type[models.Model], dict[str, str]] = {
    Strand: dict(STRANDS),
    IncidentType: dict(INCIDENT_TYPES),
}


def reference_name(obj: models.Model) -> str:
    """A strand's or incident type's name in the reporter's language, by its code."""
    names = _TRANSLATABLE_NAMES.get(type(obj), {})
    english = names.get(getattr(obj, "code", ""))
    return gettext(english) if english else str(obj)


@transaction.atomic
def reference_data_load() -> None:
    """Create or update the reference data; safe to run any number of times."""
    for order, (code, name) in enumerate(STRANDS):
        Strand.objects.update_or_create(code=code, defaults={"name": name, "order": order})
    for order, (code, name) in enumerate(INCIDENT_TYPES):
        IncidentType.objects.update_or_create(code=code, defaults={"name": name, "order": order})
    forces = {}
    for code, name, area_name in POLICE_FORCES:
        forces[code], _ = PoliceForce.objects.update_or_create(code=code, defaults={"name": name})
        if area_name:
            Area.objects.update_or_create(
                code=f"force:{code}",
                defaults={
                    "name": area_name,
                    "kind": Area.Kind.FORCE_AREA,
                    "police_force": forces[code],
                },
            )
    for code, name in LONDON_AREAS:
        force = forces["city-of-london" if code == "E09000001" else "metropolitan"]
        Area.objects.update_or_create(
            code=code,
            defaults={"name": name, "kind": Area.Kind.LONDON_BOROUGH, "police_force": force},
        )


# --- The loaded reference data, cached per process (reports.caching) ---------------


@dataclass(frozen=True)
class ReferenceData:
    """Every area (with its police force), strand and incident type by code,
    each in its model's own order."""

    areas: dict[str, Area]
    strands: dict[str, Strand]
    incident_types: dict[str, IncidentType]


def _reference_data_read() -> ReferenceData:
    return ReferenceData(
        areas={area.code: area for area in Area.objects.select_related("police_force")},
        strands={strand.code: strand for strand in Strand.objects.all()},
        incident_types={kind.code: kind for kind in IncidentType.objects.all()},
    )


REFERENCE_DATA = VersionedCache("reference-data", _reference_data_read)


def reference_data_cached() -> ReferenceData:
    """The reference data, without a query when this process has it already.

    The instances are shared: copy one before handing it to code that may
    change it (reports.forms does).
    """
    return REFERENCE_DATA.get()
