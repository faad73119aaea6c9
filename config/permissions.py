from django.conf import settings
from rest_framework.permissions import SAFE_METHODS, BasePermission


class ReadPublicWriteAuthenticated(BasePermission):
    """Reading is open when PUBLIC_READ is true, else needs a user.

    Writing needs a user whose role allows it: staff, or the model permission for the action
    (analysts may add articles; curators may change meetings, people, places and topics).
    """

    write_actions = {"POST": "add", "PUT": "change", "PATCH": "change", "DELETE": "delete"}

    def has_permission(self, request, view):
        user = request.user
        if request.method in SAFE_METHODS:
            return settings.PUBLIC_READ or bool(user and user.is_authenticated)
        if not hasattr(view, request.method.lower()):
            return True  # the view answers 405 Method Not Allowed, which says more than 403
        if not (user and user.is_authenticated):
            return False
        if user.is_staff:
            return True
        model = view.get_queryset().model
        action = self.write_actions.get(request.method, "change")
        return user.has_perm(f"{model._meta.app_label}.{action}_{model._meta.model_name}")
