"""Security: roles on every write route, closed reading, CSRF, tokens, escaping.

The four personas are anonymous, an analyst (Analysts group: read and ingest), a curator
(Curators group and staff, so the admin opens: edit meetings, people, topics; confirm or
reject) and an administrator (superuser).
"""

import csv
import io
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import ApiToken
from articles.models import Article
from diplomacy.models import Meeting, Topic
from diplomacy.roles import ANALYSTS, CURATORS
from tests.factories import (
    ArticleFactory,
    EvidenceFactory,
    MeetingFactory,
    MeetingTopicFactory,
    ParticipationFactory,
    PersonFactory,
    TopicFactory,
    UserFactory,
)
from tests.security_inputs import HANDLER, PASSWORD, READOUT, SCRIPT

pytestmark = pytest.mark.django_db

BASE_DIR = Path(__file__).resolve().parent.parent
HOSTILE = f"Talks {SCRIPT} {HANDLER}"


def member(username: str, group: str | None = None, **flags):
    """Return a user in exactly this role group (or none)."""
    return UserFactory(username=username, roles=[group] if group else [], **flags)


@pytest.fixture
def analyst():
    return member("analyst", ANALYSTS)


@pytest.fixture
def curator():
    return member("curator", CURATORS, is_staff=True)


@pytest.fixture
def admin_user():
    return member("root", is_staff=True, is_superuser=True)


def signed_in(user, **kwargs) -> Client:
    client = Client(**kwargs)
    client.force_login(user)
    return client


def token_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {ApiToken.objects.create(user=user).key}")
    return client


def submit(client, body=READOUT, **kwargs):
    return client.post(
        reverse("api:article-list"), {"body": body}, content_type="application/json", **kwargs
    )


# Roles: the API ----------------------------------------------------------------------------


def test_it_refuses_every_api_write_to_anonymous_clients(api_client):
    """Every non-GET operation in the OpenAPI schema refuses clients without credentials:
    401 (how to authenticate) for writes open to analysts, 403 for curators' operations."""
    MeetingFactory(slug="talks")
    schema = api_client.get(reverse("schema"), {"format": "json"}).json()
    writes = [
        (path, method)
        for path, operations in schema["paths"].items()
        for method in operations
        if method in ("post", "put", "patch", "delete")
    ]
    assert ("/api/v1/articles/", "post") in writes
    for path, method in writes:
        url = path.replace("{id}", "1").replace("{slug}", "talks").replace("{event_id}", "1")
        response = getattr(api_client, method)(url, {"body": READOUT}, format="json")
        # Watches belong to any signed-in user: their writes ask for credentials like articles.
        watches = path.startswith("/api/v1/watches/")
        curation = path.endswith(("/merge/", "/split/", "/undo/", "/aliases/", "/confirm/")) or (
            method == "patch" and not watches
        )
        expected = 403 if curation else 401
        assert response.status_code == expected, (method, path, response.status_code)
    assert Article.objects.count() == 0


@pytest.mark.parametrize(
    ("route", "method"),
    [
        (route, method)
        for route in (
            ("api:meeting-detail", "pk"),
            ("api:person-detail", "slug"),
            ("api:topic-detail", "slug"),
            ("api:article-detail", "pk"),
        )
        for method in ("put", "patch", "delete")
        if (route[0], method) != ("api:meeting-detail", "patch")
    ],
)
def test_it_keeps_the_api_read_only_even_for_curators(curator, route, method):
    """Records change through the admin (and meetings through curators' PATCH, tested in
    tests/diplomacy/test_curation_api.py): otherwise the API answers 405 to edits."""
    meeting = MeetingFactory(title="Talks", slug="talks")
    PersonFactory(name="Wang Yi", slug="wang-yi")
    TopicFactory(name="Taiwan", slug="taiwan")
    article = ArticleFactory()
    keys = {
        "api:meeting-detail": meeting.pk,
        "api:person-detail": "wang-yi",
        "api:topic-detail": "taiwan",
        "api:article-detail": article.pk,
    }
    name, _ = route
    url = reverse(name, args=[keys[name]])
    response = getattr(token_client(curator), method)(url, {"title": "Changed"}, format="json")
    assert response.status_code == 405
    assert Meeting.objects.get().title == "Talks"
    assert Article.objects.filter(pk=article.pk).exists()


def test_it_lets_an_analyst_submit_with_a_token(analyst):
    """A token of an analyst stores the article (202)."""
    response = submit(token_client(analyst))
    assert response.status_code == 202
    assert Article.objects.count() == 1


def test_it_lets_an_analyst_submit_with_a_session_and_csrf_token(analyst):
    """A signed-in session works for the API too, with the CSRF token a page gave it."""
    client = signed_in(analyst, enforce_csrf_checks=True)
    client.get(reverse("ingest"))  # the form page sets the CSRF cookie
    csrf = client.cookies["csrftoken"].value

    refused = submit(client)
    accepted = submit(client, HTTP_X_CSRFTOKEN=csrf)

    assert refused.status_code == 403
    assert accepted.status_code == 202
    assert Article.objects.count() == 1


def test_it_refuses_a_revoked_token(analyst):
    """Deleting a token ends its access at once."""
    client = token_client(analyst)
    assert submit(client).status_code == 202
    ApiToken.objects.filter(user=analyst).delete()

    response = submit(client, body=READOUT + " More.")

    assert response.status_code == 401
    assert Article.objects.count() == 1


def test_it_refuses_a_token_of_a_deactivated_user(analyst):
    """A user switched off in the admin cannot use the token it had."""
    client = token_client(analyst)
    analyst.is_active = False
    analyst.save()

    assert submit(client).status_code == 401
    assert Article.objects.count() == 0


def test_it_refuses_ingestion_to_a_signed_in_user_without_a_role():
    """Only analysts (and above) ingest: a user in no group is refused by the API and the form."""
    nobody = member("nobody")
    api = submit(token_client(nobody))
    form = signed_in(nobody).post(reverse("ingest"), {"body": READOUT})
    assert api.status_code == 403
    assert form.status_code == 403
    assert Article.objects.count() == 0


# Roles: the pages ------------------------------------------------------------------------


def test_it_sends_anonymous_visitors_of_the_ingest_form_to_sign_in(client):
    """The ingest form needs a user; an anonymous post stores nothing."""
    page = client.get(reverse("ingest"))
    posted = client.post(reverse("ingest"), {"body": READOUT})

    assert page.status_code == 302 and page["Location"].startswith(reverse("login"))
    assert posted.status_code == 302 and posted["Location"].startswith(reverse("login"))
    assert Article.objects.count() == 0


def test_it_lets_an_analyst_ingest_through_the_form(analyst):
    """An analyst's pasted text is stored and followed on its status page."""
    response = signed_in(analyst).post(reverse("ingest"), {"body": READOUT})

    article = Article.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("ingest-status", args=[article.pk])


def test_it_lets_only_curators_rerun_extraction_from_the_page(client, analyst):
    """Anonymous visitors sign in first, analysts are refused, curators (even not staff) re-run."""
    article = ArticleFactory(status="done")
    url = reverse("diplomacy:article-reprocess", args=[article.pk])
    curator = member("desk-curator", CURATORS)

    assert client.post(url)["Location"].startswith(reverse("login"))
    assert signed_in(analyst).post(url).status_code == 403
    article.refresh_from_db()
    assert article.status == "done"
    assert signed_in(curator).post(url).status_code == 302
    article.refresh_from_db()
    assert article.status == "pending"


# Roles: the admin ------------------------------------------------------------------------


def confirm_in_changelist(client, model: str, pk: int):
    """Set review_state to confirmed through the admin list's editable column."""
    return client.post(
        reverse(f"admin:diplomacy_{model}_changelist"),
        {
            "form-TOTAL_FORMS": "1",
            "form-INITIAL_FORMS": "1",
            "form-MIN_NUM_FORMS": "0",
            "form-MAX_NUM_FORMS": "1000",
            "form-0-id": str(pk),
            "form-0-review_state": "confirmed",
            "_save": "Save",
        },
    )


def topic_form(topic, **changes):
    return {
        "name": topic.name,
        "slug": topic.slug,
        "parent": "",
        "keywords": ",".join(topic.keywords),
        "description": topic.description,
        **changes,
    }


def test_it_keeps_anonymous_visitors_and_analysts_out_of_the_admin(client, analyst):
    """The admin sends anyone who is not staff to its sign-in page."""
    meeting = MeetingFactory()
    for visitor in (client, signed_in(analyst)):
        for url in (
            reverse("admin:diplomacy_meeting_changelist"),
            reverse("admin:diplomacy_meeting_change", args=[meeting.pk]),
        ):
            response = visitor.get(url)
            assert response.status_code == 302
            assert response["Location"].startswith(reverse("admin:login"))
        assert confirm_in_changelist(visitor, "meeting", meeting.pk).status_code == 302
    meeting.refresh_from_db()
    assert meeting.review_state == "auto"


def test_it_refuses_curation_to_staff_analysts(analyst):
    """Staff status alone opens the admin, not the right to edit: that is the Curators group."""
    analyst.is_staff = True
    analyst.save()
    meeting = MeetingFactory()
    topic = TopicFactory(name="Taiwan", slug="taiwan")
    client = signed_in(analyst)

    assert client.get(reverse("admin:diplomacy_meeting_changelist")).status_code == 403
    assert confirm_in_changelist(client, "meeting", meeting.pk).status_code == 403
    change_topic = reverse("admin:diplomacy_topic_change", args=[topic.pk])
    assert client.post(change_topic, topic_form(topic, name="Changed")).status_code == 403
    meeting.refresh_from_db()
    assert meeting.review_state == "auto"
    assert Topic.objects.get().name == "Taiwan"


def test_it_lets_curators_confirm_meetings_and_people(curator):
    """A curator confirms a meeting and a person from the admin lists."""
    meeting = MeetingFactory()
    person = PersonFactory(name="Wang Yi", slug="wang-yi")
    client = signed_in(curator)

    assert confirm_in_changelist(client, "meeting", meeting.pk).status_code == 302
    assert confirm_in_changelist(client, "person", person.pk).status_code == 302
    meeting.refresh_from_db()
    person.refresh_from_db()
    assert meeting.review_state == "confirmed"
    assert person.review_state == "confirmed"


def test_it_lets_curators_edit_and_delete_topics(curator):
    """Topics are data that curators edit in the admin."""
    topic = TopicFactory(name="Taiwan", slug="taiwan")
    doomed = TopicFactory(name="Obsolete", slug="obsolete")
    client = signed_in(curator)

    changed = client.post(
        reverse("admin:diplomacy_topic_change", args=[topic.pk]),
        topic_form(topic, name="Taiwan Strait"),
    )
    deleted = client.post(
        reverse("admin:diplomacy_topic_delete", args=[doomed.pk]), {"post": "yes"}
    )

    assert changed.status_code == 302 and deleted.status_code == 302
    assert list(Topic.objects.values_list("name", flat=True)) == ["Taiwan Strait"]


def test_it_keeps_curators_away_from_users_and_groups(curator, analyst):
    """Only administrators manage accounts: curators get 403 there."""
    client = signed_in(curator)
    for url in (
        reverse("admin:auth_user_changelist"),
        reverse("admin:auth_user_change", args=[analyst.pk]),
        reverse("admin:auth_group_changelist"),
        reverse("admin:accounts_apitoken_changelist"),
    ):
        assert client.get(url).status_code == 403, url
    promote = client.post(
        reverse("admin:auth_user_change", args=[analyst.pk]),
        {"username": "analyst", "is_superuser": "on", "is_staff": "on"},
    )
    assert promote.status_code == 403
    analyst.refresh_from_db()
    assert not analyst.is_superuser


def test_it_lets_administrators_manage_users(admin_user, analyst):
    """The superuser reaches the account pages that curators cannot."""
    client = signed_in(admin_user)
    assert client.get(reverse("admin:auth_user_changelist")).status_code == 200
    deleted = client.post(reverse("admin:auth_user_delete", args=[analyst.pk]), {"post": "yes"})
    assert deleted.status_code == 302
    assert not type(analyst).objects.filter(pk=analyst.pk).exists()


# Closed reading --------------------------------------------------------------------------


def test_it_closes_every_read_when_public_read_is_off(settings, client, api_client, analyst):
    """With PUBLIC_READ=false, anonymous readers meet 401 or the sign-in page everywhere."""
    settings.PUBLIC_READ = False
    meeting = MeetingFactory(slug="talks")
    person = PersonFactory(name="Wang Yi", slug="wang-yi")
    topic = TopicFactory(name="Taiwan", slug="taiwan")
    article = ArticleFactory()
    api_urls = [
        reverse("api:meeting-list"),
        reverse("api:meeting-detail", args=[meeting.pk]),
        reverse("api:meeting-list") + "?format=csv",
        reverse("api:article-list"),
        reverse("api:article-detail", args=[article.pk]),
        reverse("api:person-list"),
        reverse("api:topic-list"),
        reverse("api:topic-activity", args=[topic.slug]),
        reverse("api:location-list"),
        reverse("api:network"),
        reverse("feeds:meetings-atom"),
        reverse("feeds:meetings-ics"),
        reverse("schema"),
    ]
    pages = [
        reverse("swagger-ui"),
        reverse("redoc"),
        reverse("diplomacy:timeline"),
        reverse("diplomacy:meeting", args=[meeting.slug]),
        reverse("diplomacy:topics"),
        reverse("diplomacy:topic", args=[topic.slug]),
        reverse("diplomacy:person", args=[person.slug]),
        reverse("articles:article", args=[article.pk]),
        reverse("articles:article-status", args=[article.pk]),
        reverse("diplomacy:search") + "?q=talks",
        reverse("diplomacy:network"),
    ]
    for url in api_urls:
        assert api_client.get(url).status_code == 401, url
    for url in pages:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login")), url
    reader = token_client(analyst)
    for url in api_urls:
        assert reader.get(url).status_code == 200, url
    session = signed_in(analyst)
    for url in pages:
        assert session.get(url).status_code == 200, url


def test_it_keeps_health_and_sign_in_open_when_reading_is_closed(settings, client):
    """Load balancers and visitors who must sign in still reach what they need."""
    settings.PUBLIC_READ = False
    assert client.get(reverse("healthz")).status_code == 200
    assert client.get(reverse("login")).status_code == 200


# CSRF ------------------------------------------------------------------------------------


def test_it_needs_a_csrf_token_on_the_forms(analyst):
    """Sign-in and ingest forms refuse a post without the CSRF token (403)."""
    anonymous = Client(enforce_csrf_checks=True)
    session = signed_in(analyst, enforce_csrf_checks=True)

    sign_in = anonymous.post(reverse("login"), {"username": "analyst", "password": PASSWORD})
    ingest = session.post(reverse("ingest"), {"body": READOUT})

    assert sign_in.status_code == 403
    assert "_auth_user_id" not in anonymous.session
    assert ingest.status_code == 403
    assert Article.objects.count() == 0


def test_it_accepts_the_forms_with_their_csrf_token(analyst):
    """The token a form page hands out makes the same posts work."""
    anonymous = Client(enforce_csrf_checks=True)
    anonymous.get(reverse("login"))
    signed = anonymous.post(
        reverse("login"),
        {
            "username": "analyst",
            "password": PASSWORD,
            "csrfmiddlewaretoken": anonymous.cookies["csrftoken"].value,
        },
    )
    assert signed.status_code == 302

    anonymous.get(reverse("ingest"))
    stored = anonymous.post(
        reverse("ingest"),
        {"body": READOUT, "csrfmiddlewaretoken": anonymous.cookies["csrftoken"].value},
    )
    assert stored.status_code == 302
    assert Article.objects.count() == 1


# Escaping --------------------------------------------------------------------------------


@pytest.fixture
def hostile_rows():
    """A meeting, person, topic and article whose names and text carry markup."""
    person = PersonFactory(name=f"Wang {SCRIPT}", slug="wang-yi", country="CN")
    topic = TopicFactory(name=f"Topic {HANDLER}", slug="hostile-topic")
    meeting = MeetingFactory(title=HOSTILE, slug="hostile", summary=HOSTILE, location_note=SCRIPT)
    ParticipationFactory(meeting=meeting, person=person, role=SCRIPT, side="cn")
    MeetingTopicFactory(meeting=meeting, topic=topic)
    article = ArticleFactory(title=HOSTILE, body=f"Envoys met. {SCRIPT} {HANDLER} Then more.")
    EvidenceFactory(article=article, meeting=meeting, start=0, end=len(article.body))
    return {"meeting": meeting, "person": person, "topic": topic, "article": article}


def assert_escaped(html: str, where: str) -> None:
    assert "<script>alert" not in html, where
    assert "<img src=x" not in html, where
    assert 'onerror="alert' not in html, where


def test_it_escapes_hostile_text_in_every_page(client, hostile_rows, admin_user):
    """Markup in titles, names, roles and text is shown as text in the dashboard and admin."""
    rows = hostile_rows
    pages = [
        reverse("diplomacy:timeline"),
        reverse("diplomacy:meeting", args=[rows["meeting"].slug]),
        reverse("diplomacy:topics"),
        reverse("diplomacy:topic", args=[rows["topic"].slug]),
        reverse("diplomacy:person", args=[rows["person"].slug]),
        reverse("articles:article", args=[rows["article"].pk]),
        reverse("diplomacy:search") + "?q=envoys",
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert_escaped(response.content.decode(), url)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in client.get(pages[1]).content.decode()

    admin = signed_in(admin_user)
    for url in (
        reverse("admin:diplomacy_meeting_changelist"),
        reverse("admin:diplomacy_meeting_change", args=[rows["meeting"].pk]),
        reverse("admin:diplomacy_person_changelist"),
        reverse("admin:articles_article_changelist"),
        reverse("admin:articles_article_change", args=[rows["article"].pk]),
        reverse("admin:diplomacy_evidence_changelist"),
    ):
        response = admin.get(url)
        assert response.status_code == 200, url
        assert_escaped(response.content.decode(), url)


def test_it_escapes_hostile_text_in_the_api(api_client, hostile_rows):
    """JSON carries markup as plain strings, served as JSON, never as HTML."""
    response = api_client.get(reverse("api:meeting-detail", args=[hostile_rows["meeting"].pk]))
    assert response["Content-Type"].startswith("application/json")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response.json()["title"] == HOSTILE


def test_it_escapes_hostile_text_in_the_atom_feed(client, hostile_rows):
    """The Atom feed is well-formed XML with the markup escaped."""
    from xml.etree import ElementTree

    response = client.get(reverse("feeds:meetings-atom"))
    assert response.status_code == 200
    assert "<script>alert" not in response.content.decode()
    namespace = {"atom": "http://www.w3.org/2005/Atom"}
    entry = ElementTree.fromstring(response.content).find("atom:entry", namespace)
    # The title is text; the summary is HTML in which the markup is itself escaped.
    assert entry.find("atom:title", namespace).text == HOSTILE
    summary = entry.find("atom:summary", namespace)
    assert summary.get("type") == "html"
    assert_escaped(summary.text, "summary")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in summary.text


def test_it_keeps_hostile_text_from_breaking_out_of_a_calendar_event(client):
    """Line breaks in a title cannot start a new iCalendar property or event."""
    MeetingFactory(
        title="Talks\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nSUMMARY:Forged",
        slug="forged",
        summary="Line\nATTACH:http://evil.example/x",
    )
    response = client.get(reverse("feeds:meetings-ics"))
    lines = response.content.decode().splitlines()

    assert lines.count("BEGIN:VEVENT") == 1
    assert not any(line.startswith(("SUMMARY:Forged", "ATTACH:")) for line in lines)


@pytest.mark.parametrize("formula", ['=HYPERLINK("http://evil")', "+1+1", "-2+3", "@SUM(A1)"])
def test_it_neutralises_formulas_in_csv_exports(api_client, formula):
    """A cell that a spreadsheet would run as a formula is exported as text."""
    MeetingFactory(title=formula, slug="formula")
    PersonFactory(name=formula, slug="formula-person")
    ArticleFactory(title=formula)
    for name in ("api:meeting-list", "api:person-list", "api:article-list"):
        response = api_client.get(reverse(name), {"format": "csv"})
        assert response.status_code == 200, name
        text = b"".join(response.streaming_content).decode()
        cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
        assert formula not in cells, name
        assert "'" + formula in cells, name


# Deployment ------------------------------------------------------------------------------


def check_deploy(*options: str) -> subprocess.CompletedProcess:
    """Run `manage.py check --deploy` in production mode: DEBUG off, a real key and host."""
    db = connection.settings_dict
    # A clean environment: test set-ups export variables (DJANGO_ALLOW_ASYNC_UNSAFE for the
    # browser tests) that a deployment never has.
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", "/tmp"),
        "LANG": "C.UTF-8",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": f"postgresql://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "backchannel.example.org",
        "DEVDB_AUTOSTART": "0",
    }
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING", *options],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_it_passes_every_deployment_check_in_production_mode():
    """`manage.py check --deploy` with DEBUG off and real settings reports no warnings at all."""
    result = check_deploy()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
