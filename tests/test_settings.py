"""Settings come from the environment and fail loudly, naming the variable, on malformed values."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int, env_list, env_str, env_url

BASE_DIR = Path(__file__).resolve().parent.parent
SECRET = "test-secret-key-" + "s" * 40


def load_settings(code: str = "", **variables: str) -> subprocess.CompletedProcess:
    """Import the whole settings module in a fresh interpreter with only `variables` set."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        **variables,
    }
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()\n" + code],
        env=env,
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("raw", ["1", "true", "Yes", " ON "])
def test_it_reads_true_spellings_as_true(monkeypatch, raw):
    """env_bool accepts the usual spellings of true, in any case and with spaces."""
    monkeypatch.setenv("FEATURE", raw)
    assert env_bool("FEATURE", False) is True


@pytest.mark.parametrize("raw", ["0", "false", "No", "off", ""])
def test_it_reads_false_spellings_as_false(monkeypatch, raw):
    """env_bool accepts the usual spellings of false, and an empty value."""
    monkeypatch.setenv("FEATURE", raw)
    assert env_bool("FEATURE", True) is False


def test_it_uses_the_default_when_a_variable_is_unset(monkeypatch):
    """Unset variables fall back to their defaults."""
    for name in ["FEATURE", "COUNT", "HOSTS", "BROKER", "NAME"]:
        monkeypatch.delenv(name, raising=False)
    assert env_bool("FEATURE", True) is True
    assert env_int("COUNT", 7, minimum=1) == 7
    assert env_list("HOSTS", ["localhost"]) == ["localhost"]
    assert env_url("BROKER", "redis://127.0.0.1:6379/0", ("redis",)) == "redis://127.0.0.1:6379/0"
    assert env_str("NAME", "fallback") == "fallback"


def test_it_rejects_a_boolean_that_is_neither_true_nor_false(monkeypatch):
    """env_bool("DEBUG") with "maybe" raises, naming DEBUG and the value."""
    monkeypatch.setenv("DEBUG", "maybe")
    with pytest.raises(ImproperlyConfigured, match=r"DEBUG must be true or false, not 'maybe'"):
        env_bool("DEBUG", True)


def test_it_reads_whole_numbers(monkeypatch):
    """env_int strips spaces and treats a blank value as unset."""
    monkeypatch.setenv("FETCH_TIMEOUT", " 42 ")
    assert env_int("FETCH_TIMEOUT", 15, minimum=1) == 42
    monkeypatch.setenv("FETCH_TIMEOUT", "  ")
    assert env_int("FETCH_TIMEOUT", 15, minimum=1) == 15


@pytest.mark.parametrize("raw", ["ten", "1.5", "12s"])
def test_it_rejects_a_number_that_is_not_whole(monkeypatch, raw):
    """env_int with a non-integer raises, naming the variable."""
    monkeypatch.setenv("FETCH_TIMEOUT", raw)
    with pytest.raises(ImproperlyConfigured, match=r"FETCH_TIMEOUT must be a whole number"):
        env_int("FETCH_TIMEOUT", 15, minimum=1)


def test_it_rejects_a_number_below_the_minimum(monkeypatch):
    """env_int below its minimum raises, naming the variable and the minimum."""
    monkeypatch.setenv("INGEST_SWEEP_INTERVAL", "0")
    with pytest.raises(ImproperlyConfigured, match=r"INGEST_SWEEP_INTERVAL must be at least 1"):
        env_int("INGEST_SWEEP_INTERVAL", 60, minimum=1)


def test_it_accepts_a_number_at_the_minimum(monkeypatch):
    """The minimum itself is allowed."""
    monkeypatch.setenv("DB_CONN_MAX_AGE", "0")
    assert env_int("DB_CONN_MAX_AGE", 60, minimum=0) == 0


def test_it_splits_lists_on_commas_and_drops_blanks(monkeypatch):
    """env_list trims items and ignores empty ones."""
    monkeypatch.setenv("ALLOWED_HOSTS", " a.example , b.example,, ")
    assert env_list("ALLOWED_HOSTS", []) == ["a.example", "b.example"]
    monkeypatch.setenv("ALLOWED_HOSTS", "")
    assert env_list("ALLOWED_HOSTS", ["localhost"]) == []


@pytest.mark.parametrize("raw", ["http://cache.example:6379/0", "redis-host:6379", "redis://", ""])
def test_it_rejects_a_url_with_the_wrong_scheme_or_no_address(monkeypatch, raw):
    """env_url raises, naming the variable and the allowed schemes."""
    monkeypatch.setenv("REDIS_URL", raw)
    with pytest.raises(
        ImproperlyConfigured, match=r"REDIS_URL must be a URL starting with redis://"
    ):
        env_url("REDIS_URL", "redis://127.0.0.1:6379/0", ("redis", "rediss"))


def test_it_accepts_a_url_with_an_allowed_scheme(monkeypatch):
    """env_url returns the URL, stripped."""
    monkeypatch.setenv("REDIS_URL", " rediss://cache.example:6380/2 ")
    assert env_url("REDIS_URL", "", ("redis", "rediss")) == "rediss://cache.example:6380/2"


def test_it_loads_a_production_configuration():
    """With valid values the settings load and reflect them (the control for the cases below)."""
    result = load_settings(
        "from django.conf import settings as s; import json; print(json.dumps({"
        "'debug': s.DEBUG, 'hosts': s.ALLOWED_HOSTS, 'db': s.DATABASES['default'],"
        "'embedded': s.EMBEDDED_DATABASE, 'broker': s.CELERY_BROKER_URL,"
        "'redirect': s.SECURE_SSL_REDIRECT, 'public': s.PUBLIC_READ,"
        "'sweep': s.INGEST_SWEEP_INTERVAL}, default=str))",
        DEBUG="false",
        SECRET_KEY=SECRET,
        ALLOWED_HOSTS="backchannel.example.org, localhost",
        DATABASE_URL="postgresql://analyst:pw@db.example:5433/backchannel",
        CELERY_BROKER_URL="redis://redis:6379/0",
        PUBLIC_READ="no",
        INGEST_SWEEP_INTERVAL="30",
    )
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout)
    assert loaded["debug"] is False
    assert loaded["hosts"] == ["backchannel.example.org", "localhost"]
    assert loaded["embedded"] is False
    assert loaded["db"]["HOST"] == "db.example"
    assert str(loaded["db"]["PORT"]) == "5433"
    assert loaded["db"]["NAME"] == "backchannel"
    assert loaded["db"]["USER"] == "analyst"
    assert loaded["broker"] == "redis://redis:6379/0"
    assert loaded["redirect"] is True
    assert loaded["public"] is False
    assert loaded["sweep"] == 30


def test_it_uses_the_embedded_database_when_database_url_is_unset():
    """Without DATABASE_URL the settings point at the embedded cluster on DEVDB_PORT."""
    result = load_settings(
        "from django.conf import settings as s; d = s.DATABASES['default'];"
        "print(s.EMBEDDED_DATABASE, d['HOST'], d['PORT'], s.CELERY_BROKER_URL)",
        DEVDB_PORT="54999",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "127.0.0.1", "54999", "filesystem://localhost/"]


def test_the_default_broker_takes_a_task_without_warning(tmp_path):
    """kombu warns on every pooled connection to a broker URL without a host (a line in every
    `make run` log); the default has one, and the task lands in the folder."""
    code = (
        "import logging, os; from celery import Celery; from django.conf import settings as s\n"
        "logging.basicConfig(level=logging.WARNING)\n"
        "for folder in ('queue', 'control'): os.makedirs(s.CELERY_FILESYSTEM_DIR / folder)\n"
        "app = Celery('check')\n"
        "app.config_from_object('django.conf:settings', namespace='CELERY')\n"
        "app.send_task('diplomacy.article_extract', args=[1])\n"
        "print(len(os.listdir(s.CELERY_FILESYSTEM_DIR / 'queue')))\n"
    )
    result = load_settings(code, DEVDB_PORT="54999", CELERY_FILESYSTEM_DIR=str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["1"]
    assert "WARNING" not in result.stderr, result.stderr


@pytest.mark.parametrize(
    ("variables", "named"),
    [
        ({"DEBUG": "maybe"}, "DEBUG"),
        ({"PUBLIC_READ": "perhaps"}, "PUBLIC_READ"),
        ({"DATABASE_URL": "mysql://backchannel:pw@db:3306/backchannel"}, "DATABASE_URL"),
        ({"DATABASE_URL": "garbage"}, "DATABASE_URL"),
        ({"DATABASE_URL": "postgresql://backchannel@db:port/backchannel"}, "DATABASE_URL"),
        ({"DEBUG": "false"}, "SECRET_KEY"),
        ({"DEBUG": "false", "SECRET_KEY": ""}, "SECRET_KEY"),
        ({"DEBUG": "false", "SECRET_KEY": "short-but-not-empty"}, "SECRET_KEY"),
        ({"DEBUG": "false", "SECRET_KEY": "ab" * 40}, "SECRET_KEY"),
        ({"DEBUG": "false", "SECRET_KEY": "django-insecure-" + "k3y" * 20}, "SECRET_KEY"),
        ({"FETCH_TIMEOUT": "ten"}, "FETCH_TIMEOUT"),
        ({"DB_CONN_MAX_AGE": "-1"}, "DB_CONN_MAX_AGE"),
        ({"DB_CONNECT_TIMEOUT": "0"}, "DB_CONNECT_TIMEOUT"),
        ({"INGEST_STALE_AFTER": "0"}, "INGEST_STALE_AFTER"),
        ({"ARTICLE_MAX_CHARS": "10"}, "ARTICLE_MAX_CHARS"),
        ({"REDIS_URL": "http://cache.example:6379/0"}, "REDIS_URL"),
        ({"CELERY_BROKER_URL": "ftp://queue.example"}, "CELERY_BROKER_URL"),
        ({"DEVDB_PORT": "80"}, "DEVDB_PORT"),
        ({"TRUSTED_PROXIES": "10.0.0.1, nginx"}, "TRUSTED_PROXIES"),
        ({"API_TOKEN_LIFETIME": "0"}, "API_TOKEN_LIFETIME"),
        ({"DATABASE_REPLICA_URLS": "mysql://replica:3306/backchannel"}, "DATABASE_REPLICA_URLS"),
        ({"DATABASE_REPLICA_URLS": "postgresql://replica:port/bc"}, "DATABASE_REPLICA_URLS"),
        ({"DATABASE_PRIMARY_AFTER_WRITE": "-1"}, "DATABASE_PRIMARY_AFTER_WRITE"),
        ({"DATABASE_POOLER": "statement"}, "DATABASE_POOLER"),
    ],
)
def test_it_refuses_to_start_with_a_malformed_value(variables, named):
    """Loading the settings exits non-zero with a message naming the variable."""
    result = load_settings(**variables)
    assert result.returncode != 0
    message = result.stderr.strip().splitlines()[-1]
    assert named in message, result.stderr


def test_it_never_echoes_a_weak_secret_key():
    """The refusal of a weak key names the variable and the rule, never the key itself."""
    result = load_settings(DEBUG="false", SECRET_KEY="hunter2-hunter2")

    assert result.returncode != 0
    assert "at least 50 characters" in result.stderr
    assert "hunter2" not in result.stderr


def test_it_accepts_a_short_secret_key_in_development():
    """With DEBUG on, any key will do: nothing there needs to stay secret."""
    assert load_settings(DEBUG="true", SECRET_KEY="dev").returncode == 0


DATABASES_REPORT = (
    "from django.conf import settings as s; import json;"
    "print(json.dumps([sorted(s.DATABASES), s.DATABASE_REPLICAS, s.DATABASE_ROUTERS,"
    " {a: [d['HOST'], d.get('TEST', {}).get('MIRROR'), d.get('DISABLE_SERVER_SIDE_CURSORS', False)]"
    " for a, d in s.DATABASES.items()}]))"
)


def test_it_keeps_one_database_without_replicas_or_a_pooler():
    """Unset, the new variables change nothing: one alias, no router, server-side cursors on."""
    result = load_settings(DATABASES_REPORT, DATABASE_URL="postgresql://bc@db:5432/bc")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [["default"], [], [], {"default": ["db", None, False]}]


def test_it_adds_a_mirrored_alias_per_replica_and_the_router():
    """Each URL of DATABASE_REPLICA_URLS becomes replica_N (a mirror of the test database in
    tests), with the router installed; DATABASE_POOLER=transaction turns off server-side
    cursors on every alias, a password in a URL is never echoed."""
    result = load_settings(
        DATABASES_REPORT,
        DATABASE_URL="postgresql://bc@db:5432/bc",
        DATABASE_REPLICA_URLS="postgresql://bc:s3cret@replica-a/bc, postgresql://bc@replica-b/bc",
        DATABASE_POOLER="transaction",
    )
    assert result.returncode == 0, result.stderr
    aliases, replicas, routers, details = json.loads(result.stdout)
    assert aliases == ["default", "replica_0", "replica_1"]
    assert replicas == ["replica_0", "replica_1"]
    assert routers == ["accounts.replicas.ReplicaRouter"]
    assert details == {
        "default": ["db", None, True],
        "replica_0": ["replica-a", "default", True],
        "replica_1": ["replica-b", "default", True],
    }

    refused = load_settings(DATABASE_REPLICA_URLS="postgresql://bc:s3cret@replica:port/bc")
    assert "DATABASE_REPLICA_URLS (entry 1)" in refused.stderr
    assert "s3cret" not in refused.stderr


PREPARE_REPORT = (
    "from django.conf import settings as s; import json;"
    "print(json.dumps({a: d['OPTIONS']['prepare_threshold'] for a, d in s.DATABASES.items()}))"
)


def test_it_prepares_statements_only_on_request_and_never_behind_a_pooler():
    """Without a pooler psycopg may prepare the statements that ask for it (the threshold
    itself is never reached); behind a transaction pooler prepared statements are off."""
    direct = load_settings(PREPARE_REPORT, DATABASE_URL="postgresql://bc@db:5432/bc")
    pooled = load_settings(
        PREPARE_REPORT, DATABASE_URL="postgresql://bc@db:5432/bc", DATABASE_POOLER="transaction"
    )

    assert direct.returncode == 0, direct.stderr
    assert json.loads(direct.stdout) == {"default": 2**31 - 1}
    assert json.loads(pooled.stdout) == {"default": None}


@pytest.mark.django_db
def test_it_turns_jit_compilation_off_on_its_connections():
    """The server compiles no statement: a compile set off by a row estimate cost more than
    the pages' statements themselves."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"
