from django.urls import path

from diplomacy import views

app_name = "diplomacy"

urlpatterns = [
    path("", views.timeline, name="timeline"),
    path("meetings/<slug:slug>/", views.meeting, name="meeting"),
    path("topics/", views.topics, name="topics"),
    path("topics/<slug:slug>/", views.topic, name="topic"),
    path("people/<slug:slug>/", views.person, name="person"),
    path("channels/", views.channels, name="channels"),
    path("channels/<slug:slug>/", views.channel, name="channel"),
    path("articles/<int:article_id>/reprocess/", views.article_reprocess, name="article-reprocess"),
    path("search/", views.search, name="search"),
]
