"""Sign-in: the page, safe redirects, and the brakes on password guessing."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts import auth
from accounts.models import SignInFailure
from diplomacy.roles import ANALYSTS, CURATORS
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


@pytest.fixture
def analyst():
    return UserFactory(username="analyst", roles=[ANALYSTS])


@pytest.fixture
def curator():
    return UserFactory(username="curator", roles=[CURATORS], is_staff=True)


@pytest.fixture
def admin_user():
    return UserFactory(username="root", roles=[], is_staff=True, is_superuser=True)


def sign_in(client: Client, username: str, password: str, address: str = "203.0.113.7"):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address
    )


def test_it_signs_in_with_the_right_password(client, analyst):
    """The sign-in page logs a user in and sends them on."""
    response = sign_in(client, "analyst", PASSWORD)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(analyst.pk)


def test_it_never_redirects_off_site_after_sign_in(client, analyst):
    """A `next` pointing to another site is ignored: no open redirect through sign-in."""
    for target in ("https://evil.example/", "//evil.example/", "javascript:alert(1)"):
        response = client.post(
            reverse("login") + "?next=" + target, {"username": "analyst", "password": PASSWORD}
        )
        assert response.status_code == 302
        assert response["Location"] == reverse("diplomacy:timeline"), target
        client.logout()


def test_it_locks_out_an_address_after_ten_failures(client, analyst):
    """Ten wrong passwords from one address: the next attempt is 429, even a right one."""
    for attempt in range(auth.LOGIN_FAILURE_LIMIT):
        assert sign_in(client, f"guess{attempt}", "wrong").status_code == 200

    response = sign_in(client, "analyst", PASSWORD)

    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.content.decode()
    assert response["Retry-After"] == str(auth.LOGIN_FAILURE_WINDOW)
    assert "_auth_user_id" not in client.session
    other_address = sign_in(Client(), "analyst", PASSWORD, address="198.51.100.2")
    assert other_address.status_code == 302


def test_it_locks_out_a_username_tried_from_many_addresses(client, analyst, curator):
    """Ten wrong passwords for one account from ten addresses lock that account only."""
    for attempt in range(auth.LOGIN_FAILURE_LIMIT):
        sign_in(Client(), "Analyst", "wrong", address=f"198.51.100.{attempt + 1}")

    locked = sign_in(client, "analyst", PASSWORD, address="192.0.2.50")
    other_user = sign_in(Client(), "curator", PASSWORD, address="192.0.2.50")

    assert locked.status_code == 429
    assert other_user.status_code == 302


def test_it_counts_clients_behind_a_proxy_by_the_address_the_proxy_saw(analyst, settings):
    """Behind a trusted proxy, one client's failures lock out that client, not everyone."""
    settings.TRUSTED_PROXIES = ["10.0.0.0/24"]
    proxy = "10.0.0.2"
    for attempt in range(auth.LOGIN_FAILURE_LIMIT):
        Client().post(
            reverse("login"),
            {"username": f"guess{attempt}", "password": "wrong"},
            REMOTE_ADDR=proxy,
            # The first entry is the attacker's own invention; the proxy appended the last.
            HTTP_X_FORWARDED_FOR=f"198.51.100.{attempt}, 203.0.113.66",
        )

    attacker = Client().post(
        reverse("login"),
        {"username": "analyst", "password": PASSWORD},
        REMOTE_ADDR=proxy,
        HTTP_X_FORWARDED_FOR="203.0.113.66",
    )
    colleague = Client().post(
        reverse("login"),
        {"username": "analyst", "password": PASSWORD},
        REMOTE_ADDR=proxy,
        HTTP_X_FORWARDED_FOR="192.0.2.77",
    )

    assert attacker.status_code == 429
    assert colleague.status_code == 302


def test_it_locks_out_the_admin_sign_in_too(client, admin_user):
    """Guessing cannot go on through the admin's own sign-in form."""
    for attempt in range(auth.LOGIN_FAILURE_LIMIT):
        sign_in(client, "root", f"wrong{attempt}")

    response = client.post(
        reverse("admin:login"), {"username": "root", "password": PASSWORD}, REMOTE_ADDR="192.0.2.9"
    )

    assert response.status_code == 200  # the admin shows its form again
    assert "_auth_user_id" not in client.session


def test_it_forgets_failures_after_the_window(client, analyst):
    """The lock-out ends when the window does: older failures no longer count."""
    for attempt in range(auth.LOGIN_FAILURE_LIMIT):
        sign_in(client, "analyst", f"wrong{attempt}")
    assert sign_in(client, "analyst", PASSWORD).status_code == 429

    earlier = timezone.now() - timedelta(seconds=auth.LOGIN_FAILURE_WINDOW + 1)
    SignInFailure.objects.update(failed_at=earlier)  # the window, moved on
    assert sign_in(client, "analyst", PASSWORD).status_code == 302


def test_it_keeps_failures_in_the_database_whatever_the_cache(client, analyst, settings):
    """The counts survive a cache that forgets everything (the dummy cache stores nothing)."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    for attempt in range(auth.LOGIN_FAILURE_LIMIT):
        sign_in(client, "analyst", f"wrong{attempt}")

    assert sign_in(client, "analyst", PASSWORD).status_code == 429


def test_it_keeps_only_failures_inside_the_window(client, analyst):
    """Recording a failure forgets the expired ones, so the table stays small."""
    sign_in(client, "someone", "wrong")
    SignInFailure.objects.update(failed_at=timezone.now() - timedelta(days=1))

    sign_in(client, "someone", "wrong")

    assert SignInFailure.objects.count() == 2  # this failure: its address and its username
