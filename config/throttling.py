"""Request rates: anonymous clients per address (THROTTLE_ANON), signed-in ones per user
(THROTTLE_USER), submissions at THROTTLE_INGEST.

Each keeps DRF's sliding log: a request is refused when as many as the rate allows were made
in the last period. With the cache in Redis (`config.cache.RedisCache`), the log is a sorted
set there, trimmed, counted and added to in one atomic step. DRF's own reads the log, a
pickled list, and writes it back: two round trips, and requests made at once by two processes
both read the same log and one of them goes uncounted. With the in-process cache, DRF's.
"""

from rest_framework import throttling


class SharedLogThrottle(throttling.SimpleRateThrottle):
    """DRF's sliding log, kept in Redis in one step when the cache can (after DRF's own
    throttle in the bases, which names the key and the rate)."""

    def allow_request(self, request, view):
        logged = getattr(self.cache, "request_logged", None)
        if logged is None or self.rate is None:
            return super().allow_request(request, view)
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.now = self.timer()
        self.held, self.oldest = logged(self.key, self.now, self.duration, self.num_requests)
        return self.oldest is None

    def wait(self):
        """Seconds until a request would be accepted again, as DRF reckons them."""
        if getattr(self, "oldest", None) is None:
            return super().wait()
        remaining = self.duration - (self.now - self.oldest)
        available = self.num_requests - self.held + 1
        return remaining / available if available > 0 else None


class AnonRateThrottle(throttling.AnonRateThrottle, SharedLogThrottle):
    """Anonymous clients, per address, at THROTTLE_ANON."""


class UserRateThrottle(throttling.UserRateThrottle, SharedLogThrottle):
    """Signed-in clients, per user, at THROTTLE_USER.

    DRF's own counts an anonymous client too, by address, beside AnonRateThrottle: a second
    log read and written on every anonymous request. Here anonymous clients are
    AnonRateThrottle's alone, at the anonymous rate.
    """

    def get_cache_key(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return None
        return super().get_cache_key(request, view)


class ScopedRateThrottle(throttling.ScopedRateThrottle, SharedLogThrottle):
    """A view's own rate (`throttle_scope`), per user or address: DRF's reads the rate when
    the view is known, then counts the request here."""
