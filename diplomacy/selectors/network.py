"""Reads behind the network of officials: who met whom, in how many of the chosen meetings."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.db import connection
from django.db.models import QuerySet

from diplomacy.models import Meeting
from diplomacy.revision import cached_by_revision
from diplomacy.selectors import tables

# The two sides drawn, by the person's country: US officials on the left, PRC on the right.
NETWORK_SIDES = {"US": "us", "CN": "cn"}

# Every pair of a US and a PRC official who took part in the same chosen meeting, with the ids
# of those meetings: one statement whatever the number of meetings or people. The meetings are
# the filtered queryset's own SQL, so the pages, the API and the timeline agree on them. Each
# chosen meeting's officials are gathered into two arrays and the pairs unnested from them, so
# the work grows with the pairs, never with a join of participations to themselves (planned
# as a nested loop on stale statistics, that join ran for minutes at 20,000 meetings).
NETWORK_PAIRS_SQL = f"""
WITH chosen (meeting_id) AS MATERIALIZED (
    {{meetings}}
), sides AS (
    SELECT part.meeting_id,
           array_agg(person.id) FILTER (WHERE person.country = 'US') AS us_ids,
           array_agg(person.id) FILTER (WHERE person.country = 'CN') AS cn_ids
    FROM {tables.PARTICIPATION} AS part
    JOIN {tables.PERSON} AS person ON person.id = part.person_id
    WHERE part.meeting_id IN (SELECT meeting_id FROM chosen)
      AND person.country IN ('US', 'CN')
    GROUP BY part.meeting_id
), pairs AS (
    SELECT us_id, cn_id, array_agg(sides.meeting_id ORDER BY sides.meeting_id) AS meeting_ids
    FROM sides, unnest(sides.us_ids) AS us_id, unnest(sides.cn_ids) AS cn_id
    GROUP BY us_id, cn_id
)
SELECT us.slug, us.name, cn.slug, cn.name, pairs.meeting_ids
FROM pairs
JOIN {tables.PERSON} AS us ON us.id = pairs.us_id
JOIN {tables.PERSON} AS cn ON cn.id = pairs.cn_id
"""


@dataclass(frozen=True)
class NetworkNode:
    slug: str
    name: str
    side: str  # "us" or "cn"
    meeting_count: int  # chosen meetings with at least one official of the other side


@dataclass(frozen=True)
class NetworkEdge:
    source: str  # the US official's slug
    target: str  # the PRC official's slug
    meeting_ids: tuple[int, ...]

    @property
    def meeting_count(self) -> int:
        return len(self.meeting_ids)


@dataclass
class Network:
    """Officials of both sides (busiest first, then by name) and the pairs who met."""

    nodes: list[NetworkNode] = field(default_factory=list)
    edges: list[NetworkEdge] = field(default_factory=list)

    def side(self, side: str) -> list[NetworkNode]:
        return [node for node in self.nodes if node.side == side]

    @property
    def meeting_count(self) -> int:
        return len({pk for edge in self.edges for pk in edge.meeting_ids})

    def trimmed(self, per_side: int, keep: str = "") -> Network:
        """Return the busiest `per_side` officials of each side (and the official `keep`),
        and the edges between them."""
        kept = {node.slug for side in NETWORK_SIDES.values() for node in self.side(side)[:per_side]}
        kept.add(keep)
        return Network(
            nodes=[node for node in self.nodes if node.slug in kept],
            edges=[edge for edge in self.edges if {edge.source, edge.target} <= kept],
        )


def meeting_network(meetings: QuerySet[Meeting]) -> Network:
    """Return the network of US and PRC officials who took part in these meetings together.

    One query. Nodes are ordered by number of meetings (most first), then name; edges by
    number of meetings, then the two names.
    """
    sql, params = meetings.order_by().values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(NETWORK_PAIRS_SQL.format(meetings=sql), params)
        rows = cursor.fetchall()
    names: dict[str, tuple[str, str]] = {}
    meetings_of: dict[str, set[int]] = {}
    edges = []
    for us_slug, us_name, cn_slug, cn_name, ids in rows:
        names[us_slug] = (us_name, "us")
        names[cn_slug] = (cn_name, "cn")
        meetings_of.setdefault(us_slug, set()).update(ids)
        meetings_of.setdefault(cn_slug, set()).update(ids)
        edges.append(NetworkEdge(us_slug, cn_slug, tuple(ids)))
    nodes = [
        NetworkNode(slug, name, side, len(meetings_of[slug]))
        for slug, (name, side) in names.items()
    ]
    nodes.sort(key=lambda node: (-node.meeting_count, node.name, node.slug))
    edges.sort(key=lambda edge: (-edge.meeting_count, names[edge.source][0], names[edge.target][0]))
    return Network(nodes=nodes, edges=edges)


def meeting_network_cached(
    meetings: QuerySet[Meeting], filters: list[tuple[str, str]], revision: int | None = None
) -> Network:
    """Return `meeting_network(meetings)`, cached until the data changes.

    `filters` are the (name, value) pairs that chose the meetings: the cache key. Unfiltered,
    the network reads every participation (0.5 s at 20,000 meetings), and the same few views
    are asked for again and again.
    """
    query = urlencode(sorted(filters))
    digest = hashlib.blake2b(query.encode(), digest_size=16).hexdigest()
    return cached_by_revision(
        f"network:{digest}", lambda: meeting_network(meetings), revision, latest_only=True
    )
