from django.urls import path

from alerts import views

app_name = "alerts"

urlpatterns = [
    path("watches/", views.watches, name="watches"),
    path("watches/new/", views.watch_new, name="watch-new"),
    path("watches/<int:pk>/", views.watch, name="watch"),
    path("watches/<int:pk>/edit/", views.watch_edit, name="watch-edit"),
    path("watches/<int:pk>/pause/", views.watch_pause, name="watch-pause"),
    path("watches/<int:pk>/resume/", views.watch_resume, name="watch-resume"),
    path("watches/<int:pk>/delete/", views.watch_delete, name="watch-delete"),
]
