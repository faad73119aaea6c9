"""Request rates: anonymous clients per address (THROTTLE_ANON), signed-in ones per user."""

from rest_framework import throttling


class UserRateThrottle(throttling.UserRateThrottle):
    """Signed-in clients, per user, at THROTTLE_USER.

    DRF's own counts an anonymous client too, by address, beside AnonRateThrottle: a second
    history read and written in the cache on every anonymous request. Here anonymous clients
    are AnonRateThrottle's alone, at the anonymous rate.
    """

    def get_cache_key(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return None
        return super().get_cache_key(request, view)
