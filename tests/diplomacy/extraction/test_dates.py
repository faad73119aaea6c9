"""Dates: candidate spans found by pattern, resolved against the publication date."""

from datetime import date

import pytest

from diplomacy.extraction import extract
from diplomacy.extraction.dates import find_dates, resolve
from diplomacy.extraction.text import normalise

PUBLISHED = date(2024, 1, 27)  # a Saturday


def resolved(text: str, published: date | None = PUBLISHED, future: bool | None = False):
    found = [d for d in find_dates(normalise(text)) if d.form != "du"]
    assert len(found) == 1, found
    period = resolve(found[0], published, future)
    if period is None:
        return None
    return period.start, period.end, period.precision


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("on 2024-01-30", (date(2024, 1, 30), date(2024, 1, 30), "day")),
        ("on Jan. 26", (date(2024, 1, 26), date(2024, 1, 26), "day")),
        ("on January 26-27, 2024", (date(2024, 1, 26), date(2024, 1, 27), "day")),
        ("on 26-27 January", (date(2024, 1, 26), date(2024, 1, 27), "day")),
        ("on 26–27 January", (date(2024, 1, 26), date(2024, 1, 27), "day")),
        ("in November 2023", (date(2023, 11, 1), date(2023, 11, 30), "month")),
        ("in November", (date(2023, 11, 1), date(2023, 11, 30), "month")),
        ("last November", (date(2023, 11, 1), date(2023, 11, 30), "month")),
        ("since July", (date(2023, 7, 1), date(2023, 7, 31), "month")),
        ("in August last year", (date(2023, 8, 1), date(2023, 8, 31), "month")),
        ("this month", (date(2024, 1, 1), date(2024, 1, 31), "month")),
        ("last month", (date(2023, 12, 1), date(2023, 12, 31), "month")),
        ("last year", (date(2023, 1, 1), date(2023, 12, 31), "year")),
        ("earlier this year", (date(2024, 1, 1), date(2024, 1, 27), "month")),
        ("in 2022", (date(2022, 1, 1), date(2022, 12, 31), "year")),
        ("on Friday", (date(2024, 1, 26), date(2024, 1, 26), "day")),
        ("on Friday and Saturday", (date(2024, 1, 26), date(2024, 1, 27), "day")),
        ("yesterday", (date(2024, 1, 26), date(2024, 1, 26), "day")),
        ("two days ago", (date(2024, 1, 25), date(2024, 1, 25), "day")),
    ],
)
def test_it_resolves_past_expressions(text, expected):
    """Past expressions resolve to the nearest matching period up to publication."""
    assert resolved(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("in May", (date(2024, 5, 1), date(2024, 5, 31), "month")),
        ("next week", (date(2024, 1, 29), date(2024, 2, 4), "unknown")),
        ("in the spring", (date(2024, 3, 1), date(2024, 5, 31), "unknown")),
        ("on Friday", (date(2024, 2, 2), date(2024, 2, 2), "day")),
        ("in the coming days", (date(2024, 1, 27), date(2024, 2, 10), "unknown")),
        ("in the coming months", (date(2024, 1, 27), date(2024, 5, 26), "unknown")),
    ],
)
def test_it_resolves_future_expressions(text, expected):
    """Future expressions resolve forward from publication; vague ones keep 'unknown'."""
    assert resolved(text, future=True) == expected


@pytest.mark.parametrize(
    "text",
    ["last November", "next week", "on Friday", "this month", "in the coming days", "on Jan. 26"],
)
def test_it_leaves_relative_dates_unresolved_without_publication(text):
    """Without a publication date nothing relative is guessed from today."""
    assert resolved(text, published=None) is None


def test_it_resolves_dates_with_a_year_without_publication():
    """Explicit dates need no publication date."""
    assert resolved("on January 26, 2024", published=None) == (
        date(2024, 1, 26),
        date(2024, 1, 26),
        "day",
    )


def test_it_does_not_read_may_or_we_as_dates():
    """The verb 'may', a sentence-initial 'May' and the word 'we' are not dates."""
    text = "We may meet. May the talks go well, we said, and we may go in the afternoon."
    assert find_dates(text) == []


def test_it_reads_a_month_before_an_event_noun(run):
    """'Biden's November summit' carries a month."""
    dates = [m for m in run("It was Biden's November summit.").mentions if m.kind == "date"]
    assert [(m.text, m.value) for m in dates] == [("November", "2023-11-01")]


def test_it_finds_a_duration_of_talks():
    """'two days of talks' is a two-day duration, not a date."""
    (found,) = find_dates("after two days of talks in Geneva")
    assert (found.form, found.duration) == ("du", 2)


def test_it_emits_unresolved_date_mentions_without_publication(gazetteer):
    """Relative date mentions keep their span but no value when publication is unknown."""
    result = extract("They met last week in Geneva.", None, gazetteer)
    assert [(m.text, m.value) for m in result.mentions if m.kind == "date"] == [("last week", None)]


@pytest.mark.parametrize(
    ("text", "expected", "source"),
    [
        ("BEIJING, Jan. 30, 2024 - Talks resumed.", date(2024, 1, 30), "inferred"),
        ("January 30, 2024\nTalks resumed.", date(2024, 1, 30), "inferred"),
        ("Published: 2024-01-30\nTalks resumed.", date(2024, 1, 30), "inferred"),
        ("2024-01-30\nTalks resumed.", date(2024, 1, 30), "inferred"),
        ("BEIJING, Jan 30 - Talks resumed.", None, "unknown"),
        ("Talks resumed on January 30, 2024.", None, "unknown"),
    ],
)
def test_it_infers_publication_from_a_leading_dateline(gazetteer, text, expected, source):
    """A dateline with a year sets the publication date; one without a year does not."""
    result = extract(text, None, gazetteer)
    assert (result.published, result.published_source) == (expected, source)


def test_it_prefers_the_given_publication_date(gazetteer):
    """A given publication date wins over a dateline."""
    result = extract("2024-01-30\nTalks resumed.", date(2024, 2, 1), gazetteer)
    assert (result.published, result.published_source) == (date(2024, 2, 1), "given")


def test_it_resolves_last_night_and_this_morning_against_publication(run):
    """'Last night' is the day before publication; 'this morning' is the day itself."""
    (call,) = run("Last night, Jake Sullivan held a call with Wang Yi.").meetings
    assert (call.start_date, call.date_precision) == (date(2024, 1, 26), "day")
    (met,) = run("Jake Sullivan met Wang Yi in Geneva this morning.").meetings
    assert met.start_date == date(2024, 1, 27)


def test_it_reads_the_month_and_day_after_a_weekday():
    """ "Thursday, February 1" is the first of February, not the Thursday nearest publication."""
    assert resolved("on Thursday, February 1", future=True) == (
        date(2024, 2, 1),
        date(2024, 2, 1),
        "day",
    )
    assert resolved("on Wed., Dec. 20", future=False) == (
        date(2023, 12, 20),
        date(2023, 12, 20),
        "day",
    )
