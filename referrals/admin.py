from django.contrib import admin

from referrals.models import Provider, Service


class ServiceInline(admin.StackedInline):
    model = Service
    extra = 0
    filter_horizontal = ["strands", "areas"]


@admin.register(Provider)
class ProviderAdmin(admin.ModelAdmin):
    list_display = ["name", "website"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [ServiceInline]
