from django.conf import settings
from rest_framework.permissions import SAFE_METHODS, BasePermission


class ReadPublicWriteAuthenticated(BasePermission):
    """Reading is open when PUBLIC_READ is true, else needs a user; writing always needs one."""

    def has_permission(self, request, view):
        if request.method in SAFE_METHODS and settings.PUBLIC_READ:
            return True
        return bool(request.user and request.user.is_authenticated)
