from django.shortcuts import render

from diplomacy.models import Meeting


def timeline(request):
    meetings = Meeting.objects.visible().with_related()[:200]
    return render(request, "diplomacy/timeline.html", {"meetings": meetings})
