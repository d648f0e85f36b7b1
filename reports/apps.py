from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "Reports"

    def ready(self) -> None:
        from reports.models import Area, IncidentType, PoliceForce, Strand
        from reports.reference_data import REFERENCE_DATA

        REFERENCE_DATA.watch(Area, Strand, IncidentType, PoliceForce)
