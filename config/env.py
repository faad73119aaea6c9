"""Read settings from the environment with small typed helpers that fail loudly."""

import ipaddress
import os

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    """Return a boolean; anything other than the usual spellings is an error."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}")


def env_int(name: str, default: int, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {value}")
    return value


def env_float(name: str, default: float, minimum: float = 0.0) -> float:
    """Return a number of seconds (fractions allowed), at least `minimum`."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw.strip())
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number, not {raw!r}") from None
    if not value >= minimum:  # also refuses nan
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {raw!r}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    """Return a comma-separated list with blanks dropped."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_url(name: str, default: str, schemes: tuple[str, ...]) -> str:
    """Return a URL whose scheme is one of `schemes`."""
    return check_url(name, os.environ.get(name, default).strip(), schemes)


def check_url(name: str, raw: str, schemes: tuple[str, ...]) -> str:
    """Return `raw` when its scheme is one of `schemes`; `name` says where it came from."""
    scheme, sep, rest = raw.partition("://")
    if not sep or scheme not in schemes or not rest:
        allowed = ", ".join(f"{s}://" for s in schemes)
        # Name only the scheme: the rest of a URL may hold a password.
        shown = f"a {scheme}:// URL" if sep else "a value without a scheme"
        raise ImproperlyConfigured(f"{name} must be a URL starting with {allowed}, not {shown}")
    return raw


def database_from_url(name: str, url: str) -> dict:
    """Return Django's settings for a postgresql:// URL; `name` says which variable held it."""
    check_url(name, url, ("postgres", "postgresql"))
    try:
        database = dj_database_url.parse(url)
    except ValueError:
        raise ImproperlyConfigured(f"{name} is malformed (check the host and port)") from None
    if not database.get("NAME") or not database.get("HOST"):
        raise ImproperlyConfigured(f"{name} must name a host and a database")
    return database


def secret_key_is_weak(key: str) -> bool:
    """Return True for a key Django's deployment check would call insecure (short or repetitive)."""
    from django.core.checks.security.base import (
        SECRET_KEY_INSECURE_PREFIX,
        SECRET_KEY_MIN_LENGTH,
        SECRET_KEY_MIN_UNIQUE_CHARACTERS,
    )

    return (
        len(key) < SECRET_KEY_MIN_LENGTH
        or len(set(key)) < SECRET_KEY_MIN_UNIQUE_CHARACTERS
        or key.startswith(SECRET_KEY_INSECURE_PREFIX)
    )


def env_networks(name: str, default: list[str]) -> list[str]:
    """Return a comma-separated list of IP addresses or networks (CIDR), each checked."""
    entries = env_list(name, default)
    for entry in entries:
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            raise ImproperlyConfigured(
                f"{name} must list IP addresses or networks such as 10.0.0.0/8, not {entry!r}"
            ) from None
    return entries
