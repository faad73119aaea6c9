"""Fuzzing the extraction entry point, `diplomacy.extraction.extract`, with hypothesis.

Texts are built from the pieces real readouts are made of (gazetteer names, titles, meeting
verbs, places, date expressions, topics) mixed with hostile noise (arbitrary Unicode, control
characters, right-to-left marks, combining characters, odd punctuation and line breaks).
Whatever the text, extraction must not fail inside (it would log and return nothing), every
span must index the input exactly, every value must be one the database accepts, and the
result must not depend on anything but the input.

FUZZ_EXAMPLES sets the number of generated texts per test (the quick default keeps the whole
file well under 30 seconds; `make faults` runs it with thousands).
"""

from __future__ import annotations

import logging
import os
import time
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from diplomacy.choices import DatePrecision, EvidenceField, MeetingKind, MeetingStatus
from diplomacy.extraction import extract
from diplomacy.extraction.types import SIDES, Extraction
from diplomacy.reference.gazetteer import gazetteer_from_files

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "100"))
# One generated text (a few thousand characters at most) must never take this long.
MAX_SECONDS_PER_TEXT = 5.0

GAZETTEER = gazetteer_from_files()
PEOPLE = sorted(
    {p.name for p in GAZETTEER.people} | {a for p in GAZETTEER.people for a in p.aliases}
)
PLACES = sorted({loc.name for loc in GAZETTEER.locations})
TOPIC_WORDS = sorted(
    {k for t in GAZETTEER.topics for k in t.keywords} | {t.name for t in GAZETTEER.topics}
)
TITLES = [
    "Secretary of State",
    "Foreign Minister",
    "Chinese Foreign Minister",
    "President",
    "Vice Premier",
    "National Security Adviser",
    "Treasury Secretary",
    "Defense Minister",
    "Commerce Secretary",
    "the U.S. ambassador",
    "China's top diplomat",
    "Deputy Secretary",
]
VERBS = [
    "met",
    "met with",
    "will meet",
    "is expected to meet",
    "held talks with",
    "spoke by phone with",
    "held a video call with",
    "plans to visit",
    "visited",
    "hosted",
    "cancelled a meeting with",
    "postponed talks with",
    "did not meet",
    "may travel to see",
    "had dinner with",
]
DATES = [
    "on Friday",
    "last Tuesday",
    "next week",
    "on 14 November 2022",
    "on Nov. 15",
    "in March",
    "in late 2023",
    "earlier this month",
    "on 2024-02-30",
    "on February 30",
    "in 99999",
    "on 31/04/2024",
    "yesterday",
    "the day after tomorrow",
    "in the spring of 1899",
    "on 1 January 0001",
    "between 5 and 3 June",
    "from 30 June to 2 July 2023",
    "in Q3",
    "tonight",
]
NOISE = st.text(
    alphabet=st.characters(
        codec="utf-8",
        exclude_categories=("Cs",),  # lone surrogates cannot be stored or sent as UTF-8
    ),
    max_size=40,
)
PUNCTUATION = st.sampled_from(
    [
        ". ",
        ".\n",
        "\n\n",
        "; ",
        " — ",
        "!? ",
        "...",
        "\u200f",
        "\u202e",
        "\u0301",
        "\r\n",
        "\t",
        " ",
    ]
)


@st.composite
def sentence(draw) -> str:
    """A sentence in the shape of a readout's, each part optional or replaced by noise."""
    parts = []
    if draw(st.booleans()):
        parts.append(draw(st.sampled_from(TITLES)))
    parts.append(draw(st.sampled_from(PEOPLE)))
    parts.append(draw(st.sampled_from(VERBS)))
    if draw(st.booleans()):
        parts.append(draw(st.sampled_from(TITLES)))
    parts.append(draw(st.sampled_from(PEOPLE)))
    if draw(st.booleans()):
        parts.append("in " + draw(st.sampled_from(PLACES)))
    if draw(st.booleans()):
        parts.append(draw(st.sampled_from(DATES)))
    if draw(st.booleans()):
        parts.append(
            "to discuss " + " and ".join(draw(st.lists(st.sampled_from(TOPIC_WORDS), max_size=3)))
        )
    if draw(st.integers(0, 3)) == 0:
        parts.insert(draw(st.integers(0, len(parts))), draw(NOISE))
    return " ".join(parts) + draw(PUNCTUATION)


texts = st.one_of(
    st.lists(sentence(), min_size=1, max_size=12).map("".join),
    st.lists(st.one_of(sentence(), NOISE, PUNCTUATION), max_size=20).map("".join),
    NOISE,
)
published = st.one_of(st.none(), st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,  # timed in the test itself, with a generous bound
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=os.environ.get("FUZZ_RANDOM") != "1",
    database=None,
)


class _Failures(logging.Handler):
    """Collect the errors extraction logs when it swallows an exception."""

    def __init__(self):
        super().__init__(level=logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        self.records.append(record)


@pytest.fixture(scope="module")
def failures():
    handler = _Failures()
    logger = logging.getLogger("diplomacy.extraction")
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)


def run(text: str, day: date | None, failures: _Failures) -> Extraction:
    failures.records.clear()
    started = time.perf_counter()
    result = extract(text, day, GAZETTEER)
    elapsed = time.perf_counter() - started
    assert not failures.records, failures.records[0].exc_text or failures.records[0].getMessage()
    assert elapsed < MAX_SECONDS_PER_TEXT, f"{elapsed:.1f}s for {len(text)} characters"
    return result


def assert_span(text: str, start: int, end: int) -> None:
    assert 0 <= start <= end <= len(text), (start, end, len(text))


@given(text=texts, day=published)
@FUZZ
def test_it_extracts_from_any_text_without_failing_inside(failures, text, day):
    """No text makes extraction fail internally or run for long."""
    result = run(text, day, failures)
    assert isinstance(result, Extraction)


@given(text=texts, day=published)
@FUZZ
def test_it_keeps_every_span_on_the_input(failures, text, day):
    """Sentences, mentions and evidence index the exact input string."""
    result = run(text, day, failures)
    previous_end = 0
    for span in result.sentences:
        assert_span(text, span.start, span.end)
        assert span.start >= previous_end, "sentences overlap or go backwards"
        previous_end = span.end
    for mention in result.mentions:
        assert_span(text, mention.start, mention.end)
        assert text[mention.start : mention.end] == mention.text
    for candidate in result.meetings:
        for evidence in candidate.evidence:
            assert_span(text, evidence.start, evidence.end)


@given(text=texts, day=published)
@FUZZ
def test_it_only_produces_values_the_database_accepts(failures, text, day):
    """Kinds, statuses, precisions, sides, slugs, dates and confidences are all valid."""
    result = run(text, day, failures)
    people = {p.slug for p in GAZETTEER.people} | {p.slug for p in result.new_people}
    places = {loc.slug for loc in GAZETTEER.locations}
    topics = {t.slug for t in GAZETTEER.topics}
    evidence_fields = set(EvidenceField.values)
    assert result.published_source in ("given", "inferred", "unknown")
    if day is not None:
        assert result.published == day
    for candidate in result.meetings:
        assert candidate.kind in MeetingKind.values
        assert candidate.status in MeetingStatus.values
        assert candidate.date_precision in DatePrecision.values
        if candidate.start_date and candidate.end_date:
            assert candidate.start_date <= candidate.end_date
        if candidate.end_date:
            assert candidate.start_date is not None
        assert candidate.location is None or candidate.location in places
        assert set(candidate.topics) <= topics
        assert len(candidate.location_note) <= 2000
        for participant in candidate.participants:
            assert participant.slug in people
            assert participant.side in SIDES
        for evidence in candidate.evidence:
            assert set(evidence.fields) <= evidence_fields
            assert 0.0 <= evidence.confidence <= 1.0
        assert 0.0 <= candidate.confidence <= 1.0
    for person in result.new_people:
        assert person.slug and person.name.strip()
        assert len(person.country) <= 2


@given(text=texts, day=published)
@FUZZ
def test_it_gives_the_same_result_for_the_same_input(failures, text, day):
    """Extraction is a pure function: a second run finds exactly the same."""
    assert run(text, day, failures) == run(text, day, failures)


@given(text=texts)
@settings(FUZZ, max_examples=max(10, EXAMPLES // 4))
def test_it_survives_control_characters_and_line_endings(failures, text):
    """CRLF line ends, NULs and escapes inside a text change nothing fatal."""
    hostile = text.replace("\n", "\r\n").replace(" ", " \x00", 3).replace(".", ".\x1b", 2)
    result = run(hostile, date(2024, 1, 26), failures)
    for mention in result.mentions:
        assert hostile[mention.start : mention.end] == mention.text
