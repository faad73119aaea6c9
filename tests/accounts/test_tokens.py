"""API tokens: the header scheme, an optional lifetime, the last use, and keys issued before."""

import importlib
import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.authentication import LAST_USED_RESOLUTION
from accounts.models import ApiToken
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

READOUT = "Secretary Blinken met Foreign Minister Wang Yi in Beijing on Friday."


def with_token(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def age(token: ApiToken, **delta) -> None:
    ApiToken.objects.filter(pk=token.pk).update(created_at=timezone.now() - timedelta(**delta))


def submit(client: APIClient):
    return client.post(reverse("api:article-list"), {"body": READOUT}, format="json")


def test_it_signs_in_with_authorization_token():
    """`Authorization: Token <key>` works as it always has: 40 hexadecimal characters."""
    token = ApiToken.objects.create(user=UserFactory())

    assert len(token.key) == 40 and int(token.key, 16) >= 0
    assert submit(with_token(token.key)).status_code == 202


def test_it_keeps_tokens_valid_for_ever_without_a_lifetime(settings):
    """Unset API_TOKEN_LIFETIME: a token issued years ago still works."""
    settings.API_TOKEN_LIFETIME = None
    token = ApiToken.objects.create(user=UserFactory())
    age(token, days=3650)

    assert submit(with_token(token.key)).status_code == 202


def test_it_refuses_a_token_older_than_its_lifetime(settings):
    """With API_TOKEN_LIFETIME=30, a 31-day-old token is a 401 saying it expired."""
    settings.API_TOKEN_LIFETIME = 30
    fresh = ApiToken.objects.create(user=UserFactory(username="fresh"))
    old = ApiToken.objects.create(user=UserFactory(username="old"))
    age(fresh, days=29)
    age(old, days=31)

    assert with_token(fresh.key).get(reverse("api:meeting-list")).status_code == 200
    refused = with_token(old.key).get(reverse("api:meeting-list"))
    assert refused.status_code == 401
    assert "expired" in refused.json()["detail"]
    assert submit(with_token(old.key)).status_code == 401
    settings.PUBLIC_READ = False  # feeds check tokens only when reading is closed
    assert with_token(old.key).get(reverse("feeds:meetings-atom")).status_code == 401
    assert with_token(fresh.key).get(reverse("feeds:meetings-atom")).status_code == 200


def test_it_records_when_a_token_was_last_used():
    """Each use stamps last_used_at, written at most once a minute."""
    token = ApiToken.objects.create(user=UserFactory())
    client = with_token(token.key)
    assert token.last_used_at is None

    client.get(reverse("api:topic-list"))
    token.refresh_from_db()
    first = token.last_used_at
    client.get(reverse("api:topic-list"))
    token.refresh_from_db()

    assert first is not None and timezone.now() - first < timedelta(seconds=30)
    assert token.last_used_at == first  # within the minute: no second write
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first - LAST_USED_RESOLUTION)
    client.get(reverse("api:topic-list"))
    token.refresh_from_db()
    assert token.last_used_at > first


def test_it_shows_the_last_use_and_expiry_in_the_admin(client, settings):
    """The admin's token list shows when each token was last used and when it expires."""
    settings.API_TOKEN_LIFETIME = 90
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    token = ApiToken.objects.create(user=UserFactory(username="analyst"))
    with_token(token.key).get(reverse("api:topic-list"))

    page = client.get(reverse("admin:accounts_apitoken_changelist")).content.decode()

    assert "Last used at" in page
    assert "Expires" in page
    assert "analyst" in page


def test_it_prints_a_users_token_from_the_command():
    """`manage.py api_token USER` prints the key, the same one twice; --renew issues another."""
    user = UserFactory(username="loader")

    def run(*options):
        out = io.StringIO()
        call_command("api_token", "loader", *options, stdout=out)
        return out.getvalue().strip()

    first = run()
    assert first == run() == ApiToken.objects.get(user=user).key
    renewed = run("--renew")
    assert renewed != first
    assert submit(with_token(renewed)).status_code == 202
    assert submit(with_token(first)).status_code == 401


def test_it_carries_keys_issued_by_the_old_token_table_over():
    """The data migration copies every key of DRF's authtoken table, which then keep working."""
    user = UserFactory(username="old-client")
    key = "a" * 40
    migration = importlib.import_module("accounts.migrations.0002_copy_authtoken_keys")
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE authtoken_token "
            "(key varchar(40) PRIMARY KEY, user_id integer, created timestamptz)"
        )
        cursor.execute("INSERT INTO authtoken_token VALUES (%s, %s, now())", [key, user.pk])

    class Editor:  # what RunPython hands its function: the schema editor's connection
        pass

    Editor.connection = connection
    from django.apps import apps

    migration.copy_keys(apps, Editor())

    assert ApiToken.objects.get(user=user).key == key
    assert submit(with_token(key)).status_code == 202
