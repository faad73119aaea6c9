"""Carry the keys issued by DRF's authtoken app over, so every existing client keeps working.

The old table is read with SQL because its app is no longer installed; on a database that never
had it (a fresh install), there is nothing to copy.
"""

from django.db import migrations

OLD_TABLE = "authtoken_token"


def copy_keys(apps, schema_editor):
    connection = schema_editor.connection
    if OLD_TABLE not in connection.introspection.table_names():
        return
    new_table = apps.get_model("accounts", "ApiToken")._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f'INSERT INTO "{new_table}" (key, user_id, created_at) '
            f'SELECT key, user_id, created FROM "{OLD_TABLE}" '
            "ON CONFLICT DO NOTHING"
        )


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [migrations.RunPython(copy_keys, migrations.RunPython.noop)]
