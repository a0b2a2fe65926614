"""Create the two newsroom roles. Editors build disputes; reviewers decide what readers see."""

from django.apps.registry import Apps
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

EDITOR_PERMISSIONS = [
    ("articles", "add_source"), ("articles", "change_source"), ("articles", "view_source"),
    ("articles", "add_quote"), ("articles", "view_quote"), ("articles", "view_snapshot"),
    ("articles", "view_fetch"), ("articles", "view_outlet"), ("articles", "add_outlet"),
    ("articles", "change_outlet"),
    ("disputes", "add_actor"), ("disputes", "change_actor"), ("disputes", "view_actor"),
    ("disputes", "add_statement"), ("disputes", "change_statement"), ("disputes", "view_statement"),
    ("disputes", "add_dispute"), ("disputes", "change_dispute"), ("disputes", "view_dispute"),
    ("disputes", "add_disputelink"), ("disputes", "change_disputelink"), ("disputes", "delete_disputelink"),
    ("disputes", "view_disputelink"), ("disputes", "view_review"), ("disputes", "view_revision"),
    ("disputes", "view_event"),
]  # fmt: skip
REVIEWER_PERMISSIONS = [
    ("articles", "view_source"), ("articles", "view_quote"), ("articles", "view_snapshot"),
    ("articles", "view_fetch"), ("articles", "view_outlet"),
    ("disputes", "view_actor"), ("disputes", "view_statement"), ("disputes", "view_dispute"),
    ("disputes", "view_disputelink"), ("disputes", "view_review"), ("disputes", "view_revision"),
    ("disputes", "view_event"), ("disputes", "review_dispute"),
]  # fmt: skip


def create_groups(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    from django.contrib.auth.management import create_permissions

    # Permissions are normally created after all migrations; make sure ours exist now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, wanted in (("editors", EDITOR_PERMISSIONS), ("reviewers", REVIEWER_PERMISSIONS)):
        group, _ = Group.objects.get_or_create(name=name)
        for app_label, codename in wanted:
            group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))


def remove_groups(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    apps.get_model("auth", "Group").objects.filter(name__in=["editors", "reviewers"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("disputes", "0001_initial"),
        ("articles", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
