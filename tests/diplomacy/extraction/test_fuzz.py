"""Property checks: extraction never raises and every span indexes the exact input."""

import logging
from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from diplomacy.extraction import EXTRACTOR_VERSION, extract
from diplomacy.extraction.types import Gazetteer

WORDS = (
    "Jake Sullivan", "Wang Yi", "Mr. Wang", "Sullivan", "Xi", "President Xi", "Joe Biden",
    "Commerce Secretary", "Jane Roe", "China's foreign minister", "met", "will meet", "talks",
    "summit", "phone call", "visit", "travel to", "working group", "in", "at", "to", "Bangkok,",
    "Thailand", "Vienna and Malta", "a Southeast Asian country", "Washington", "Beijing",
    "next week", "last November", "on Friday", "Jan. 26", "26-27 January", "2024-01-30",
    "two days of talks", "in the coming days", "May", "may", "we", "Ta.", ".", ",", ";", "\n",
    "the talks", "secret", "called off", "could", "fentanyl", "Taiwan", "U.S.", "Adm.", "\x00",
    "“", "”", "—", "İ", "שלום", "مرحبا", "the United States and China will hold", "dialogue",
)  # fmt: skip
dates = st.one_of(st.none(), st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)))
vocabulary_text = st.lists(st.sampled_from(WORDS), max_size=60).map(" ".join)


class _Failures(logging.Handler):
    """Collect errors logged when extract() falls back to an empty result."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def check(gazetteer: Gazetteer, text: str, published: date | None) -> None:
    failures = _Failures()
    logger = logging.getLogger("diplomacy.extraction")
    logger.addHandler(failures)
    try:
        result = extract(text, published, gazetteer)
    finally:
        logger.removeHandler(failures)
    assert not failures.records, failures.records[0].exc_info
    assert result.version == EXTRACTOR_VERSION
    size = len(text)
    for span in result.sentences:
        assert 0 <= span.start <= span.end <= size
    for mention in result.mentions:
        assert 0 <= mention.start <= mention.end <= size
        assert text[mention.start : mention.end] == mention.text
    for meeting in result.meetings:
        assert meeting.evidence
        for span in meeting.evidence:
            assert 0 <= span.start < span.end <= size
        supported = {field for span in meeting.evidence for field in span.fields}
        assert {"kind", "status"} <= supported
        assert not meeting.participants or "participants" in supported
        assert meeting.start_date is None or "date" in supported
        assert meeting.location is None or "location" in supported
        assert not meeting.topics or "topics" in supported


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.text(), published=dates)
def test_it_never_raises_on_arbitrary_text(gazetteer, text, published):
    """Any unicode text, NUL bytes included, gives an Extraction with spans in bounds."""
    check(gazetteer, text, published)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=vocabulary_text, published=dates)
def test_it_never_raises_on_news_like_word_salad(gazetteer, text, published):
    """Shuffled names, titles, places, dates and meeting words never break extraction."""
    check(gazetteer, text, published)


def test_it_handles_huge_and_binary_input(gazetteer):
    """A 1 MB single line, 100,000 words and binary junk all return in bounds."""
    line = "Jake Sullivan met Wang Yi in Bangkok " * 30_000
    check(gazetteer, line[:1_000_000], date(2024, 1, 27))
    check(gazetteer, " ".join(["talks"] * 100_000), date(2024, 1, 27))
    check(gazetteer, "Sullivan met Wang Yi on Friday. Ta. " * 20_000, date(2024, 1, 27))
    check(gazetteer, bytes(range(256)).decode("latin-1") * 50, None)
    check(gazetteer, "", None)
    check(gazetteer, "   \n\n  ", None)
