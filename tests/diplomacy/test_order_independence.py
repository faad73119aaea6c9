"""Which meeting a report joins does not depend on the order the reports arrive in.

Generated reports of overlapping meetings (the same officials meeting several times, in the same
places, reported on the day, the day after and weeks later without a date) plus the project's
real set are ingested in three orders; the meetings, their people and topics, and which meeting
each quoted sentence supports must come out the same.
"""

from __future__ import annotations

import hashlib
import random
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

from articles.models import Article
from diplomacy.extraction import extract
from diplomacy.gazetteer import gazetteer_current, gazetteer_forget
from diplomacy.models import Evidence, Meeting
from diplomacy.services import article_apply_extraction
from tests.factories import ArticleFactory

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

REAL_SET = Path(__file__).resolve().parents[2] / "bench" / "eval" / "real"

# (US official, title, Chinese official, title, topics they talk about)
PAIRS = (
    ("Antony Blinken", "Secretary of State", "Wang Yi", "Foreign Minister", ("Taiwan", "Ukraine")),
    ("Jake Sullivan", "National Security Adviser", "Wang Yi", "Director", ("fentanyl", "AI")),
    ("Janet Yellen", "Treasury Secretary", "He Lifeng", "Vice Premier", ("trade", "climate")),
    (
        "Gina Raimondo",
        "Commerce Secretary",
        "Wang Wentao",
        "Minister",
        ("trade", "export controls"),
    ),
    ("Lloyd Austin", "Defense Secretary", "Dong Jun", "Defense Minister", ("the South China Sea",)),
)
ANALYZE_EVERY = 100
PLACES = ("Beijing", "Washington", "Bangkok", "Vienna", "Singapore", "Shanghai")


def _day(day: date) -> str:
    return f"{day:%B} {day.day}, {day.year}"


def _code(*parts) -> str:
    """Spell a few numbers as letters, so that no date reader takes them for a day."""
    digits = "".join(str(part) for part in parts)
    return "".join("abcdefghij"[int(digit)] for digit in digits if digit.isdigit()).upper()


def _reports(rng: random.Random) -> list[tuple[str, date]]:
    """Return (body, publication day) for reports of meetings that overlap in people and place."""
    reports = []
    for number, (us, us_title, cn, cn_title, topics) in enumerate(PAIRS):
        us_last, cn_last = us.split()[-1], cn
        start = date(2024, 2, 5) + timedelta(days=17 * number)
        # The pair meets three times: twice in one city a fortnight apart, once elsewhere.
        place, other = rng.sample(PLACES, 2)
        meetings = (
            (start, place),
            (start + timedelta(days=14), place),
            (start + timedelta(90), other),
        )
        for day, city in meetings:
            topic = rng.choice(topics)
            reports.append(
                (
                    f"{us_title} {us} met {cn_title} {cn} in {city} on {_day(day)}. "
                    f"The two sides exchanged views on {topic}.",
                    day,
                )
            )
            reports.append(
                (
                    f"{cn} held talks with {us} in {city} yesterday, officials said. "
                    f"Both delegations called the exchange candid. Wire {_code(day)}.",
                    day + timedelta(days=1),
                )
            )
            for later in (3, 9, 20, 45, 130):
                code = _code(number, day, later)  # keeps every body distinct
                reports += [
                    (
                        f"In remarks to reporters, {us_last} said his meeting with {cn_last} "
                        f"in {city} had helped to steady ties. File {code}.",
                        day + timedelta(days=later),
                    ),
                    (
                        f"Analysts said the talks between {us} and {cn} had been useful. "
                        f"Note {code}.",
                        day + timedelta(days=later),
                    ),
                    (
                        f"{us_last} and {cn_last} met in {city} earlier this month, a spokesperson "
                        f"recalled. Briefing {code}.",
                        day + timedelta(days=later),
                    ),
                ]
    return reports


def _real_reports() -> list[tuple[str, date | None]]:
    reports = []
    for path in sorted(REAL_SET.glob("*.txt")):
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        published = None
        while lines and lines[0].split(":", 1)[0] in ("SOURCE", "PUBLISHED"):
            label, value = lines.pop(0).split(":", 1)
            if label == "PUBLISHED" and value.strip() != "unknown":
                published = date.fromisoformat(value.strip())
        reports.append(("".join(lines).strip(), published))
    return reports


def _ingest(reports) -> None:
    gazetteer = gazetteer_current()
    for number, (body, published) in enumerate(reports):
        if number % ANALYZE_EVERY == 0:
            _analyze()
        at = published and datetime(published.year, published.month, published.day, 12, tzinfo=UTC)
        article = ArticleFactory(
            body=body,
            published_at=at,
            published_source="given" if published else "unknown",
            status="processing",
        )
        article_apply_extraction(article, extract(body, published, gazetteer))


def _analyze() -> None:
    """Bring the planner's row counts up to date.

    Every report is written in the test's one transaction, which autovacuum never sees; a table
    it last analysed empty (after an earlier test) would be planned as empty however many rows
    the transaction added. Committed batches in production are analysed by autovacuum.
    """
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def _timeline() -> tuple[list, dict]:
    """Return the meetings by a key of their content, and which meeting each sentence supports."""
    keys = {}
    for meeting in Meeting.objects.prefetch_related("participants", "topics").select_related(
        "location"
    ):
        keys[meeting.pk] = (
            str(meeting.start_date),
            meeting.kind,
            meeting.status,
            tuple(sorted(person.slug for person in meeting.participants.all())),
            meeting.location.slug if meeting.location else "",
            tuple(sorted(topic.slug for topic in meeting.topics.all())),
        )
    # A sentence may support two meetings (two candidates of one article): it maps to both.
    evidence: dict = {}
    for row in Evidence.objects.select_related("article"):
        sentence = (hashlib.sha256(row.article.body.encode()).hexdigest(), row.start)
        evidence.setdefault(sentence, []).append(keys[row.meeting_id])
    return sorted(keys.values()), {key: sorted(found) for key, found in evidence.items()}


def test_it_groups_reports_the_same_whatever_order_they_arrive_in():
    """Three arrival orders of 317 reports give one timeline and one evidence assignment."""
    call_command("load_reference", gazetteer_only=True, verbosity=0)
    gazetteer_forget()
    rng = random.Random(20240205)
    reports = _reports(rng) + _real_reports()
    assert len(reports) >= 300
    shuffled = reports[:]
    rng.shuffle(shuffled)
    orders = {"as generated": reports, "reversed": reports[::-1], "shuffled": shuffled}
    timelines = {}
    for name, order in orders.items():
        Meeting.objects.all().delete()
        Article.objects.all().delete()
        _ingest(order)
        timelines[name] = _timeline()
    first, *others = timelines.values()
    for name, timeline in zip(list(orders)[1:], others, strict=True):
        assert timeline[0] == first[0], name
        assert timeline[1] == first[1], name
