from django.urls import path

from diplomacy import views

app_name = "diplomacy"

urlpatterns = [
    path("", views.timeline, name="timeline"),
]
