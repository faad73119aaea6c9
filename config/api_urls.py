from django.urls import include, path

from config.api import router
from diplomacy import feeds

feed_patterns = [
    path("meetings.atom", feeds.meetings_atom, name="meetings-atom"),
    path("meetings.ics", feeds.meetings_ics, name="meetings-ics"),
]

urlpatterns = [
    path("api/v1/", include((router.urls, "api"))),
    path("feeds/", include((feed_patterns, "feeds"))),
]
