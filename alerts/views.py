"""The watches pages: list, create, edit, pause, resume, delete, and a watch's delivery log."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from alerts import selectors, services
from alerts.filters import filters_summary
from alerts.forms import WatchForm, initial_from_query, watch_initial

LOG_PAGE_SIZE = 50


@login_required
def watches(request):
    rows = list(selectors.watch_list(request.user))
    for watch in rows:
        watch.summary = filters_summary(watch.filters)
    return render(request, "alerts/watches.html", {"watches": rows})


@login_required
def watch_new(request):
    form = WatchForm(request.POST or None, initial=initial_from_query(request.GET))
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                watch = services.watch_create(request.user, form.values())
        except services.WatchInvalid as invalid:
            form.add_service_errors(invalid.errors)
        else:
            messages.success(request, f"Saved the watch “{watch.name}”.")
            return redirect(watch)
    return render(request, "alerts/watch_form.html", {"form": form, "watch": None})


@login_required
def watch_edit(request, pk: int):
    watch = get_object_or_404(selectors.watches_of(request.user), pk=pk)
    form = WatchForm(request.POST or None, initial=watch_initial(watch))
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                services.watch_update(watch, form.values())
        except services.WatchInvalid as invalid:
            form.add_service_errors(invalid.errors)
        else:
            messages.success(request, "Saved your changes.")
            return redirect(watch)
    return render(request, "alerts/watch_form.html", {"form": form, "watch": watch})


@login_required
def watch(request, pk: int):
    watch = get_object_or_404(selectors.watches_of(request.user), pk=pk)
    page = Paginator(selectors.watch_deliveries(watch), LOG_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "alerts/watch.html",
        {"watch": watch, "summary": filters_summary(watch.filters), "page_obj": page},
    )


@login_required
@require_POST
def watch_pause(request, pk: int):
    watch = get_object_or_404(selectors.watches_of(request.user), pk=pk)
    if not watch.paused:
        services.watch_pause(watch)
        messages.success(request, "Paused: nothing is delivered until you resume it.")
    return redirect(watch)


@login_required
@require_POST
def watch_resume(request, pk: int):
    watch = get_object_or_404(selectors.watches_of(request.user), pk=pk)
    if watch.paused:
        with transaction.atomic():
            services.watch_resume(watch)
        messages.success(request, "Resumed: waiting events are on their way.")
    return redirect(watch)


@login_required
@require_POST
def watch_delete(request, pk: int):
    watch = get_object_or_404(selectors.watches_of(request.user), pk=pk)
    watch.delete()
    messages.success(request, f"Deleted the watch “{watch.name}”.")
    return redirect("alerts:watches")
