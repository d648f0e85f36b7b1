from django.contrib import admin

from reports.models import Area, IncidentType, PoliceForce, Strand


@admin.register(PoliceForce)
class PoliceForceAdmin(admin.ModelAdmin):
    list_display = ["name", "code"]
    search_fields = ["name", "code"]


@admin.register(Area)
class AreaAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "kind", "police_force"]
    list_filter = ["kind"]
    list_select_related = ["police_force"]
    search_fields = ["name", "code"]


@admin.register(Strand, IncidentType)
class ReferenceAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "order"]
