"""Tying meetings to the channels they were held through.

A meeting joins an office-pair channel when, on the meeting's date, one participant held the
US office of the pair and another the Chinese one (role at date, from `Office`); it joins a
mechanism when its title names the mechanism, or one of its evidence sentences does and the
meeting is not a summit, call or visit (those mention mechanisms they set up or review; they
are not rounds of them). Links are
computed from scratch for the meetings given, so running twice changes nothing.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from datetime import date

from django.db import connection, transaction
from django.db.models import Q

from diplomacy.choices import ChannelKind, ChannelLinkBy, MeetingKind, ReviewState
from diplomacy.models import Channel, Meeting, MeetingChannel, Office, Participation
from diplomacy.revision import revision_bump
from diplomacy.selectors import tables

# Kinds of meeting that discuss mechanisms without being rounds of them.
NOT_CHANNEL_MEETINGS = (MeetingKind.SUMMIT, MeetingKind.CALL, MeetingKind.VISIT)
# Meetings handled per round of queries by channels_assign_all.
ASSIGN_CHUNK = 2000


def alias_pattern(aliases: Iterable[str]) -> str:
    r"""Return a PostgreSQL regular expression matching any alias as whole words (\m … \M)."""
    words = [re.escape(alias.strip()) for alias in aliases if alias.strip()]
    return r"\m(" + "|".join(words) + r")\M" if words else ""


def channel_assign(meeting_ids: Iterable[int]) -> int:
    """Link the meetings to the channels they belong to now; return how many links changed."""
    ids = sorted(set(meeting_ids))
    if not ids:
        return 0
    channels = list(Channel.objects.all())
    wanted = _wanted_links(ids, channels)
    current = {
        (meeting_id, channel_id): linked_by
        for meeting_id, channel_id, linked_by in MeetingChannel.objects.filter(
            meeting_id__in=ids
        ).values_list("meeting_id", "channel_id", "linked_by")
    }
    stale = [key for key, linked_by in current.items() if wanted.get(key) != linked_by]
    fresh = [key for key, linked_by in wanted.items() if current.get(key) != linked_by]
    if not stale and not fresh:
        return 0
    with transaction.atomic():
        if stale:
            stale_filter = Q()
            for meeting_id, channel_id in stale:
                stale_filter |= Q(meeting_id=meeting_id, channel_id=channel_id)
            MeetingChannel.objects.filter(stale_filter).delete()
        MeetingChannel.objects.bulk_create(
            [
                MeetingChannel(meeting_id=key[0], channel_id=key[1], linked_by=wanted[key])
                for key in fresh
            ],
            ignore_conflicts=True,  # a concurrent recompute linked it first
        )
        revision_bump()
    return len(stale) + len(fresh)


def channels_assign_all() -> int:
    """Link every meeting to its channels (after loading channels or editing offices)."""
    changed = 0
    ids = list(Meeting.objects.order_by("pk").values_list("pk", flat=True))
    for offset in range(0, len(ids), ASSIGN_CHUNK):
        changed += channel_assign(ids[offset : offset + ASSIGN_CHUNK])
    return changed


def _wanted_links(ids: list[int], channels: list[Channel]) -> dict[tuple[int, int], str]:
    meetings = {
        row["pk"]: row["start_date"]
        for row in Meeting.objects.filter(pk__in=ids, start_date__isnull=False)
        .exclude(review_state=ReviewState.REJECTED)
        .values("pk", "start_date")
    }
    if not meetings or not channels:
        return {}
    wanted = _office_pair_links(meetings, channels)
    for key, link in _mechanism_links(meetings, channels).items():
        wanted.setdefault(key, link)
    return wanted


def _office_pair_links(meetings: dict, channels: list[Channel]) -> dict[tuple[int, int], str]:
    """Link meetings where, on the day, participants held both offices of a channel."""
    pairs = [channel for channel in channels if channel.kind == ChannelKind.OFFICE_PAIR]
    if not pairs:
        return {}
    wanted = {}
    roles = _roles_at_meetings(meetings)
    for channel in pairs:
        offices = {("US", channel.us_role), ("CN", channel.cn_role)}
        for meeting_id, held in roles.items():
            if _started(channel, meetings[meeting_id]) and offices <= held:
                wanted[(meeting_id, channel.pk)] = ChannelLinkBy.OFFICE_PAIR
    return wanted


def _mechanism_links(meetings: dict, channels: list[Channel]) -> dict[tuple[int, int], str]:
    """Link meetings whose title, or evidence (for talks, not summits or calls), names a
    mechanism."""
    patterns = {
        channel.pk: (channel, pattern)
        for channel in channels
        if channel.kind == ChannelKind.MECHANISM and (pattern := alias_pattern(channel.aliases))
    }
    if not patterns:
        return {}
    named = _named(list(meetings), patterns)
    wanted = {}
    for meeting_id, channel_id in named:
        if _started(patterns[channel_id][0], meetings[meeting_id]):
            wanted[(meeting_id, channel_id)] = ChannelLinkBy.ALIAS
    return wanted


def _named(ids: list[int], patterns: dict) -> set[tuple[int, int]]:
    """Return the (meeting, channel) pairs where the meeting's title names the mechanism, or
    a sentence of a meeting that may be a round of it does, read in one statement.

    A busy meeting has thousands of sentences: each is lower-cased once and searched for each
    alias as plain text, and only the few that contain one are matched against the channel's
    whole-word pattern (a regular expression costs several times a plain search).
    """
    channel_ids, needles, regexes = [], [], []
    for channel_id, (channel, pattern) in patterns.items():
        for alias in {alias.strip().lower() for alias in channel.aliases if alias.strip()}:
            channel_ids.append(channel_id)
            needles.append(alias)
            regexes.append(pattern)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT m.id, c.channel_id FROM {tables.MEETING} AS m"
            " JOIN unnest(%(channels)s::bigint[], %(patterns)s::text[]) AS c(channel_id, pattern)"
            " ON m.title ~* c.pattern WHERE m.id = ANY(%(ids)s)"
            " UNION "
            "(WITH sentences AS MATERIALIZED ("
            f" SELECT e.meeting_id, e.quote, lower(e.quote) AS folded FROM {tables.EVIDENCE} AS e"
            f" JOIN {tables.MEETING} AS m ON m.id = e.meeting_id"
            " WHERE e.meeting_id = ANY(%(ids)s) AND NOT m.kind = ANY(%(not_rounds)s))"
            " SELECT s.meeting_id, c.channel_id FROM sentences AS s"
            " JOIN unnest(%(alias_channels)s::bigint[], %(needles)s::text[],"
            " %(alias_patterns)s::text[]) AS c(channel_id, needle, pattern)"
            " ON CASE WHEN strpos(s.folded, c.needle) > 0 THEN s.quote ~* c.pattern END)",
            {
                "channels": list(patterns),
                "patterns": [pattern for _, pattern in patterns.values()],
                "ids": ids,
                "not_rounds": list(NOT_CHANNEL_MEETINGS),
                "alias_channels": channel_ids,
                "needles": needles,
                "alias_patterns": regexes,
            },
        )
        return set(cursor.fetchall())


def _started(channel: Channel, day: date) -> bool:
    return channel.start_date is None or day >= channel.start_date


def _roles_at_meetings(meetings: dict[int, date]) -> dict[int, set[tuple[str, str]]]:
    """Return, for each meeting, the (country, role) pairs its participants held that day."""
    people_by_meeting: dict[int, set[int]] = defaultdict(set)
    for meeting_id, person_id in Participation.objects.filter(
        meeting_id__in=list(meetings)
    ).values_list("meeting_id", "person_id"):
        people_by_meeting[meeting_id].add(person_id)
    people = {person for group in people_by_meeting.values() for person in group}
    offices: dict[int, list[tuple]] = defaultdict(list)
    for person_id, role, country, start, end in Office.objects.filter(
        person_id__in=people
    ).values_list("person_id", "role", "country", "start_date", "end_date"):
        offices[person_id].append((role, country, start, end))
    held: dict[int, set[tuple[str, str]]] = {}
    for meeting_id, person_ids in people_by_meeting.items():
        day = meetings[meeting_id]
        held[meeting_id] = {
            (country, role)
            for person_id in person_ids
            for role, country, start, end in offices[person_id]
            if (start is None or start <= day) and (end is None or end >= day)
        }
    return held
