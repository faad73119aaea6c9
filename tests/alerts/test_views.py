"""The watches pages: owner only, CSRF-protected forms, pre-filled from the pages' filters."""

import pytest
from django.test import Client
from django.urls import reverse

from alerts.models import DeliveryAttempt, Watch, WatchEvent
from tests.alerts.conftest import SECRET, make_watch
from tests.factories import ChannelFactory

pytestmark = pytest.mark.django_db


def test_it_sends_visitors_to_sign_in(client):
    response = client.get(reverse("alerts:watches"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_it_prefills_the_form_from_the_timeline_filters(owner_client, taiwan_meeting):
    url = reverse("alerts:watch-new") + "?topic=taiwan&status=held&page=3&ordering=start_date"
    page = owner_client.get(url).content.decode()
    assert 'value="topic=taiwan&amp;status=held"' in page
    assert "Meetings: taiwan, held" in page


def test_it_creates_a_webhook_watch_without_showing_the_secret(owner_client, owner, taiwan_meeting):
    response = owner_client.post(
        reverse("alerts:watch-new"),
        {
            "name": "Taiwan",
            "filters": "topic=taiwan",
            "delivery": "webhook",
            "webhook_url": "http://127.0.0.1:9/hook",
            "secret": SECRET,
        },
    )
    watch = Watch.objects.get()
    assert response.status_code == 302 and response["Location"] == watch.get_absolute_url()
    assert watch.filters == {"topic": ["taiwan"]} and watch.webhook_secret == SECRET
    edit = owner_client.get(reverse("alerts:watch-edit", args=[watch.pk])).content.decode()
    assert SECRET not in edit


def test_it_names_a_bad_filter_and_saves_nothing(owner_client, taiwan_meeting):
    for query, named in (("colour=red", "colour:"), ("topic=atlantis", "topic:")):
        response = owner_client.post(
            reverse("alerts:watch-new"), {"name": "Bad", "filters": query, "delivery": "email"}
        )
        assert response.status_code == 200
        assert named in response.content.decode()
    assert not Watch.objects.exists()


def test_it_hides_other_users_watches(client, owner, stranger):
    watch = make_watch(owner)
    client.force_login(stranger)
    for name in ("alerts:watch", "alerts:watch-edit"):
        assert client.get(reverse(name, args=[watch.pk])).status_code == 404
    for name in ("alerts:watch-pause", "alerts:watch-delete"):
        assert client.post(reverse(name, args=[watch.pk])).status_code == 404
    assert Watch.objects.filter(pk=watch.pk, paused_at__isnull=True).exists()
    assert "Taiwan" not in client.get(reverse("alerts:watches")).content.decode()


def test_it_pauses_resumes_and_deletes_with_csrf(owner):
    watch = make_watch(owner)
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(owner)
    assert strict.post(reverse("alerts:watch-pause", args=[watch.pk])).status_code == 403
    page = strict.get(watch.get_absolute_url())
    token = page.cookies["csrftoken"].value
    strict.post(reverse("alerts:watch-pause", args=[watch.pk]), {"csrfmiddlewaretoken": token})
    watch.refresh_from_db()
    assert watch.paused
    strict.post(reverse("alerts:watch-resume", args=[watch.pk]), {"csrfmiddlewaretoken": token})
    watch.refresh_from_db()
    assert not watch.paused
    strict.post(reverse("alerts:watch-delete", args=[watch.pk]), {"csrfmiddlewaretoken": token})
    assert not Watch.objects.exists()


def test_it_shows_the_pause_reason_and_the_delivery_log(owner_client, owner):
    watch = make_watch(
        owner, delivery="webhook", webhook_url="http://127.0.0.1:9/", webhook_secret=SECRET
    )
    watch.paused_at, watch.paused_reason = "2024-01-01T00:00Z", "Paused after 5 failed deliveries"
    watch.save()
    event = WatchEvent.objects.create(
        watch=watch, kind="meeting.new", idempotency_key="k", payload={}
    )
    DeliveryAttempt.objects.create(
        watch=watch,
        event=event,
        succeeded=False,
        status_code=502,
        error="The endpoint answered 502.",
        duration_ms=12,
    )
    page = owner_client.get(watch.get_absolute_url()).content.decode()
    assert "Paused after 5 failed deliveries" in page
    assert "The endpoint answered 502." in page and "12 ms" in page


@pytest.mark.parametrize("rows", [3, 30])
def test_it_lists_watches_in_a_bounded_number_of_queries(
    owner_client, owner, django_assert_num_queries, rows
):
    for number in range(rows):
        watch = make_watch(owner, name=f"Watch {number}")
        event = WatchEvent.objects.create(
            watch=watch, kind="meeting.new", idempotency_key=str(number), payload={}
        )
        for _ in range(2):  # two failed attempts must not count the event twice
            DeliveryAttempt.objects.create(
                watch=watch, event=event, succeeded=False, status_code=500, duration_ms=1
            )
    # The session, its user, the watches with their counts (one query), and the user's and
    # groups' permissions for the navigation's review link.
    with django_assert_num_queries(5):
        response = owner_client.get(reverse("alerts:watches"))
    page = response.content.decode()
    assert page.count('class="card watch-card"') == rows
    assert page.count("1 waiting · 0 delivered") == rows


@pytest.mark.parametrize(
    ("route", "args", "expected"),
    [
        ("diplomacy:timeline", [], "?topic=taiwan"),
        ("diplomacy:topic", ["taiwan"], "?topic=taiwan"),
        ("diplomacy:person", ["wang-yi"], "?participant=wang-yi"),
    ],
)
def test_it_puts_a_watch_button_on_the_pages(owner_client, taiwan_meeting, route, args, expected):
    query = "?topic=taiwan" if route == "diplomacy:timeline" else ""
    page = owner_client.get(reverse(route, args=args) + query).content.decode()
    assert f'href="{reverse("alerts:watch-new")}{expected}"' in page


def test_it_puts_a_watch_button_on_a_channel_page(owner_client):
    channel = ChannelFactory(name="Sullivan Wang", slug="sullivan-wang")
    page = owner_client.get(reverse("diplomacy:channel", args=[channel.slug])).content.decode()
    assert f'href="{reverse("alerts:watch-new")}?channel=sullivan-wang"' in page


def test_it_shows_no_watch_button_to_visitors(client, taiwan_meeting):
    assert "data-watch-button" not in client.get(reverse("diplomacy:timeline")).content.decode()
