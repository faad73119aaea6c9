"""Who may read: everyone when PUBLIC_READ is on, otherwise signed-in users."""

from functools import wraps

from django.conf import settings
from django.contrib.auth.views import redirect_to_login


def public_or_signed_in(view):
    """Serve the page to anyone when PUBLIC_READ is on; otherwise send visitors to sign in."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not settings.PUBLIC_READ and not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return wrapper
