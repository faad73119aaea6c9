from django.urls import path

from articles import views

app_name = "articles"

urlpatterns = [
    path("articles/<int:article_id>/", views.article, name="article"),
    path("articles/<int:article_id>/status/", views.article_status, name="article-status"),
]

# Named without the app namespace ("ingest"), as DESIGN.md names the route; included from
# config/urls.py on its own.
ingest_urlpatterns = [
    path("ingest/", views.ingest, name="ingest"),
    path("ingest/<int:article_id>/", views.ingest_status, name="ingest-status"),
]
