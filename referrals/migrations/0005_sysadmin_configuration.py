"""Roles that configure the directory get the model permissions to do it:
system administrators edit providers, services, routing rules and police
delivery channels, revoke provider API keys and read delivery attempts;
triage officers read the directory and the routing rules they review.

Victims' records (referrals, cases) are not granted here: their pages check
the role and read through visible_to (referrals/case_admin.py).
"""

from django.db import migrations

CRUD = ["add", "change", "delete", "view"]
GRANTS = {
    "System administrator": [
        *(f"{action}_{model}" for model in ("provider", "service", "routingrule", "policeforcechannel") for action in CRUD),
        "view_providerapitoken",
        "change_providerapitoken",
        "view_deliveryattempt",
    ],
    "Triage officer": ["view_provider", "view_service", "view_routingrule"],
}


def grant(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    # Permissions are normally made after migrate; make them now to grant them.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0, apps=apps)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in GRANTS.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label="referrals", codename__in=codenames)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("referrals", "0004_casework"),
        ("audit", "0003_role_groups"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
