"""The API router: every app registers its viewsets here under /api/v1/."""

from rest_framework.routers import DefaultRouter

from alerts.api import views as alert_views
from diplomacy.api import channels as channel_views
from diplomacy.api import curation as curation_views
from diplomacy.api import views as diplomacy_views

router = DefaultRouter()
router.register("meetings", diplomacy_views.MeetingViewSet, basename="meeting")
# The article viewset is registered from diplomacy: its detail shows what extraction found,
# and `articles` never imports diplomacy.
router.register("articles", diplomacy_views.ArticleViewSet, basename="article")
router.register("people", diplomacy_views.PersonViewSet, basename="person")
router.register("topics", diplomacy_views.TopicViewSet, basename="topic")
router.register("locations", diplomacy_views.LocationViewSet, basename="location")
router.register("review", curation_views.ReviewViewSet, basename="review")
router.register("channels", channel_views.ChannelViewSet, basename="channel")
router.register("watches", alert_views.WatchViewSet, basename="watch")
