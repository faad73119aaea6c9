from django.urls import path

from diplomacy import curation_views, network_views, views

app_name = "diplomacy"

urlpatterns = [
    path("", views.timeline, name="timeline"),
    path("meetings/<slug:slug>/", views.meeting, name="meeting"),
    path("meetings/<slug:slug>/edit/", curation_views.meeting_edit, name="meeting-edit"),
    path(
        "meetings/<slug:slug>/participants/",
        curation_views.meeting_participants,
        name="meeting-participants",
    ),
    path("meetings/<slug:slug>/topics/", curation_views.meeting_topics, name="meeting-topics"),
    path("meetings/<slug:slug>/locks/", curation_views.meeting_lock, name="meeting-lock"),
    path("meetings/<slug:slug>/review/", curation_views.meeting_review, name="meeting-review"),
    path("meetings/<slug:slug>/merge/", curation_views.meeting_merge, name="meeting-merge"),
    path("meetings/<slug:slug>/split/", curation_views.meeting_split, name="meeting-split"),
    path(
        "meetings/<slug:slug>/history/<int:event_id>/undo/",
        curation_views.meeting_undo,
        name="meeting-undo",
    ),
    path("review/", curation_views.review, name="review"),
    path("people/search/", curation_views.person_search, name="person-search"),
    path("people/aliases/", curation_views.person_alias_add, name="person-alias-add"),
    path("people/<slug:slug>/merge/", curation_views.person_merge, name="person-merge"),
    path("people/<slug:slug>/confirm/", curation_views.person_confirm, name="person-confirm"),
    path(
        "people/<slug:slug>/history/<int:event_id>/undo/",
        curation_views.person_undo,
        name="person-undo",
    ),
    path("topics/", views.topics, name="topics"),
    path("topics/<slug:slug>/", views.topic, name="topic"),
    path("people/<slug:slug>/", views.person, name="person"),
    path("channels/", views.channels, name="channels"),
    path("channels/<slug:slug>/", views.channel, name="channel"),
    path("network/", network_views.network, name="network"),
    path("articles/<int:article_id>/reprocess/", views.article_reprocess, name="article-reprocess"),
    path("search/", views.search, name="search"),
]
