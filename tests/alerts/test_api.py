"""The watches API: the signed-in user's own watches only, a write-only secret, clear 400s."""

import pytest
from django.urls import reverse

from alerts.models import DeliveryAttempt, Watch, WatchEvent
from tests.alerts.conftest import SECRET, make_watch

pytestmark = pytest.mark.django_db

LIST = "api:watch-list"


def detail(watch) -> str:
    return reverse("api:watch-detail", args=[watch.pk])


def webhook_body(**changes) -> dict:
    return {
        "name": "Taiwan talks",
        "filters": {"topic": "taiwan", "status": ["held"]},
        "delivery": "webhook",
        "webhook_url": "http://127.0.0.1:9/hook",
        "secret": SECRET,
        **changes,
    }


def test_it_creates_a_webhook_watch_and_never_returns_the_secret(owner_api, owner, taiwan_meeting):
    """The secret is stored to sign bodies, but no answer carries it."""
    response = owner_api.post(reverse(LIST), webhook_body(), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert "secret" not in body and SECRET not in response.content.decode()
    assert body["filters"] == {"topic": ["taiwan"], "status": ["held"]}
    watch = Watch.objects.get(pk=body["id"])
    assert watch.user == owner and watch.webhook_secret == SECRET
    again = owner_api.get(detail(watch))
    assert SECRET not in again.content.decode()


def test_it_keeps_the_secret_when_an_update_leaves_it_out(owner_api, owner, taiwan_meeting):
    watch = make_watch(
        owner, delivery="webhook", webhook_url="http://127.0.0.1:9/", webhook_secret=SECRET
    )
    response = owner_api.patch(detail(watch), {"name": "Renamed"}, format="json")
    assert response.status_code == 200, response.json()
    watch.refresh_from_db()
    assert watch.name == "Renamed" and watch.webhook_secret == SECRET


def test_it_shows_and_changes_only_the_owners_watches(api_client, owner, stranger, taiwan_meeting):
    """Another user's watch answers 404 to every method, and stays as it was."""
    watch = make_watch(owner)
    api_client.force_authenticate(stranger)
    assert api_client.get(reverse(LIST)).json()["count"] == 0
    assert api_client.get(detail(watch)).status_code == 404
    assert api_client.patch(detail(watch), {"name": "Mine"}, format="json").status_code == 404
    assert api_client.delete(detail(watch)).status_code == 404
    deliveries = reverse("api:watch-deliveries", args=[watch.pk])
    assert api_client.get(deliveries).status_code == 404
    watch.refresh_from_db()
    assert watch.name == "Taiwan"


def test_it_needs_a_signed_in_user(api_client, owner):
    make_watch(owner)
    assert api_client.get(reverse(LIST)).status_code == 401
    assert api_client.post(reverse(LIST), webhook_body(), format="json").status_code == 401


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"filters": {"topic": "no-such-topic"}}, "filters"),
        ({"filters": {"colour": "red"}}, "filters"),
        ({"filters": {"date_from": "last tuesday"}}, "filters"),
        ({"filters": "topic=taiwan"}, "filters"),
        ({"filters": {"q": "x" * 5000}}, "filters"),
        ({"filters": {"topic": [{"nested": 1}]}}, "filters"),
        ({"filters": {f"f{number}": "x" for number in range(5000)}}, "filters"),
        ({"delivery": "pigeon"}, "delivery"),
        ({"webhook_url": "ftp://127.0.0.1/hook"}, "webhook_url"),
        ({"webhook_url": "http://169.254.169.254/latest/meta-data/"}, "webhook_url"),
        ({"webhook_url": "http://10.0.0.5/hook"}, "webhook_url"),
        ({"webhook_url": "http://user:pw@127.0.0.1/hook"}, "webhook_url"),
        ({"webhook_url": "not a url"}, "webhook_url"),
        ({"webhook_url": ""}, "webhook_url"),
        ({"secret": "short"}, "secret"),
        ({"secret": ""}, "secret"),
        ({"name": ""}, "name"),
        ({"name": "x" * 500}, "name"),
        ({"name": "bad\x00byte"}, "name"),
    ],
)
def test_it_refuses_bad_input_naming_the_field(owner_api, taiwan_meeting, changes, field):
    """Each bad field is a 400 that names it, and nothing is saved."""
    response = owner_api.post(reverse(LIST), webhook_body(**changes), format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"], response.json()
    assert not Watch.objects.exists()


def test_it_names_the_bad_filter_inside_filters(owner_api, taiwan_meeting):
    response = owner_api.post(
        reverse(LIST), webhook_body(filters={"topic": "nope", "kind": "summit"}), format="json"
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]["filters"]) == ["topic"]


def test_it_refuses_a_body_that_is_not_json(owner_api):
    response = owner_api.post(reverse(LIST), b"\xff\xfe\x00binary", content_type="application/json")
    assert response.status_code == 400
    assert not Watch.objects.exists()


def test_it_pauses_and_resumes_a_watch(owner_api, owner, taiwan_meeting):
    watch = make_watch(owner, consecutive_failures=0)
    assert owner_api.patch(detail(watch), {"paused": True}, format="json").json()["paused"] is True
    watch.refresh_from_db()
    assert watch.paused_at is not None
    resumed = owner_api.patch(detail(watch), {"paused": False}, format="json").json()
    assert resumed["paused"] is False and resumed["paused_reason"] == ""


def test_it_deletes_a_watch(owner_api, owner):
    watch = make_watch(owner)
    assert owner_api.delete(detail(watch)).status_code == 204
    assert not Watch.objects.exists()


def _log(watch, rows: int) -> None:
    for number in range(rows):
        event = WatchEvent.objects.create(
            watch=watch, kind="meeting.new", idempotency_key=f"{watch.pk}-{number}", payload={}
        )
        DeliveryAttempt.objects.create(
            watch=watch, event=event, succeeded=False, status_code=500, duration_ms=3
        )


@pytest.mark.parametrize("rows", [3, 30])
def test_it_lists_watches_and_deliveries_in_a_bounded_number_of_queries(
    owner_api, owner, django_assert_num_queries, rows
):
    """The same number of queries for 3 rows as for 30."""
    for number in range(rows):
        make_watch(owner, name=f"Watch {number}")
    watch = Watch.objects.first()
    _log(watch, rows)
    # The watches of the user (count, page); the session user is forced, so no auth query.
    with django_assert_num_queries(2):
        response = owner_api.get(reverse(LIST))
    assert response.json()["count"] == rows
    # The watch; the attempts (count, page with their events joined).
    with django_assert_num_queries(3):
        response = owner_api.get(reverse("api:watch-deliveries", args=[watch.pk]))
    body = response.json()
    assert body["count"] == rows
    assert body["results"][0]["status_code"] == 500


def test_it_is_in_the_schema(api_client):
    schema = api_client.get(reverse("schema"), HTTP_ACCEPT="application/json").json()
    assert "/api/v1/watches/" in schema["paths"]
    assert "/api/v1/watches/{id}/deliveries/" in schema["paths"]
    watch = schema["components"]["schemas"]["Watch"]["properties"]
    assert watch["secret"]["writeOnly"] is True
