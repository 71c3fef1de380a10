from django.contrib.auth.management import create_permissions
from django.db import migrations

from claims.roles import apply_roles


def forwards(apps, schema_editor):
    # The roles now cover ingestion jobs, link checks, exports, imported reviews and (for
    # administrators) API clients and authenticator devices, whose models came after 0003.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    apply_roles(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("claims", "0005_anchor_trigger_leaves_spans_to_checks"),
        ("sources", "0002_jobs_and_link_checks"),
        ("newsroom", "0002_change_feed_triggers"),
        ("otp_totp", "0003_add_timestamps"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
