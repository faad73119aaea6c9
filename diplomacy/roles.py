"""The roles of Backchannel, as Django groups kept in step with their permissions.

- anonymous: reads when PUBLIC_READ is true
- Analysts: read and ingest articles
- Curators: also edit meetings, people, places and topics, and confirm or reject records
- admins: superusers
"""

from django.contrib.auth.models import Group, Permission

ANALYSTS = "Analysts"
CURATORS = "Curators"

ANALYST_PERMISSIONS = [
    "articles.add_article",
    "articles.view_article",
    "articles.view_source",
]
CURATOR_PERMISSIONS = [
    *ANALYST_PERMISSIONS,
    "articles.change_article",
    "articles.add_source",
    "articles.change_source",
    *(
        f"diplomacy.{action}_{model}"
        for model in (
            "meeting",
            "participation",
            "meetingtopic",
            "person",
            "office",
            "location",
            "topic",
        )
        for action in ("view", "add", "change", "delete")
    ),
    "diplomacy.view_evidence",
    "diplomacy.change_evidence",
    "diplomacy.view_mention",
]


def _permissions(names):
    wanted = [name.split(".", 1) for name in names]
    found = Permission.objects.filter(
        content_type__app_label__in={app for app, _ in wanted},
        codename__in={code for _, code in wanted},
    ).select_related("content_type")
    return [p for p in found if [p.content_type.app_label, p.codename] in wanted]


def roles_ensure(**kwargs) -> None:
    """Create the role groups and give them exactly their permissions (after each migrate)."""
    for name, permissions in ((ANALYSTS, ANALYST_PERMISSIONS), (CURATORS, CURATOR_PERMISSIONS)):
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(_permissions(permissions))


def can_curate(user) -> bool:
    return user.is_authenticated and (user.is_staff or user.has_perm("diplomacy.change_meeting"))
