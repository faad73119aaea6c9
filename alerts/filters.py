"""A watch's filter: the timeline's own filter names, checked by the timeline's FilterSet."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import QueryDict

from diplomacy.filtersets import MeetingFilterSet

# Every timeline filter except the order, which means nothing for a watch.
WATCH_FILTERS = tuple(name for name in MeetingFilterSet.base_filters if name != "ordering")
MAX_VALUES = 20
MAX_VALUE_CHARS = 200


def filters_query(filters: dict[str, list[str]]) -> QueryDict:
    """Return the filters as the query string the timeline reads."""
    query = QueryDict(mutable=True)
    for name, values in filters.items():
        query.setlist(name, list(values))
    return query


def filters_clean(raw) -> dict[str, list[str]]:
    """Return the filters as {name: [values]}, or raise ValidationError naming each bad one.

    `raw` is a mapping whose values are strings or lists of strings, or a QueryDict. Unknown
    names, values the timeline would refuse (an unknown topic, a malformed date) and oversized
    input are errors; empty values are dropped, as the timeline ignores them.
    """
    if not hasattr(raw, "items"):
        raise ValidationError({"filters": "Give the filters as an object of names and values."})
    if len(raw) > len(WATCH_FILTERS):
        raise ValidationError({"filters": f"At most {len(WATCH_FILTERS)} filters."})
    filters: dict[str, list[str]] = {}
    errors: dict[str, str] = {}
    for name, values in _pairs(raw):
        problem = _value_problem(name, values)
        if problem:
            errors[str(name)[:50]] = problem
        elif cleaned := [value.strip() for value in values if value.strip()]:
            filters[name] = cleaned
    if errors:
        raise ValidationError(errors)
    filterset = MeetingFilterSet(data=filters_query(filters))
    if not filterset.is_valid():
        raise ValidationError(
            {name: " ".join(messages) for name, messages in filterset.errors.items()}
        )
    return filters


def _pairs(raw):
    if isinstance(raw, QueryDict):
        return list(raw.lists())
    return [(name, value if isinstance(value, list) else [value]) for name, value in raw.items()]


def _value_problem(name, values) -> str:
    if name not in WATCH_FILTERS:
        return f"Unknown filter; use one of: {', '.join(WATCH_FILTERS)}."
    if len(values) > MAX_VALUES:
        return f"At most {MAX_VALUES} values."
    if not all(isinstance(value, str) for value in values):
        return "Each value must be text."
    if any(len(value) > MAX_VALUE_CHARS or "\x00" in value for value in values):
        return f"Each value must be text of at most {MAX_VALUE_CHARS} characters."
    return ""


def filters_summary(filters: dict[str, list[str]]) -> str:
    """Return the filters in words, e.g. "topic: taiwan; participant: wang-yi"."""
    if not filters:
        return "every meeting"
    return "; ".join(f"{name}: {', '.join(values)}" for name, values in filters.items())
