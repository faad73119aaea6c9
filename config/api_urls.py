from django.urls import include, path, re_path

from config.api import router
from diplomacy import feeds
from diplomacy.api.network import NetworkView
from diplomacy.api.views import api_not_found

feed_patterns = [
    path("meetings.atom", feeds.meetings_atom, name="meetings-atom"),
    path("meetings.ics", feeds.meetings_ics, name="meetings-ics"),
]

urlpatterns = [
    path(
        "api/v1/",
        include(([path("network/", NetworkView.as_view(), name="network"), *router.urls], "api")),
    ),
    # Last among the API routes: any other /api/ address is a JSON 404.
    re_path(r"^api/", api_not_found),
    path("feeds/", include((feed_patterns, "feeds"))),
]
