"""Template context shared by every page."""

from django.utils.functional import SimpleLazyObject


def curation(request) -> dict:
    """The review queue's length for a curator's nav, read only when the nav shows it."""
    from diplomacy.curation_views import review_count_for

    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"review_count": None}
    return {"review_count": SimpleLazyObject(lambda: review_count_for(user))}
