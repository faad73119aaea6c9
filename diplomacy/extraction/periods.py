"""Calendar arithmetic for resolving date expressions against a publication date."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}
WEEKDAYS = {
    name: index
    for index, name in enumerate(
        ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
    )
}
NUMBERS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "several": 3, "few": 3, "a few": 3,
}  # fmt: skip
SEASONS = {"spring": 3, "summer": 6, "fall": 9, "autumn": 9, "winter": 12}


@dataclass(frozen=True, slots=True)
class Period:
    start: date
    end: date
    precision: str  # day / month / year / unknown

    @classmethod
    def window(cls, start: date, end: date) -> Period:
        """Return a window: a day, a month when it fits in one, else bounds without a unit.

        "Next week" across a month's end keeps its bounds with precision "unknown" rather than
        widening to the whole year.
        """
        if start == end:
            return cls(start, end, "day")
        if (start.year, start.month) == (end.year, end.month):
            return cls(start, end, "month")
        return cls(start, end, "unknown")


def number(word: str) -> int | None:
    """Parse 'two', 'several' or '3'."""
    word = word.lower()
    if word.isdigit():
        return int(word) if len(word) <= 3 else None
    return NUMBERS.get(word)


def safe_date(year: int, month: int, day: int) -> date | None:
    """Build a date, or None when it does not exist (February 30)."""
    try:
        return date(year, month, day)
    except (ValueError, OverflowError):
        return None


def month_period(year: int, month: int) -> Period | None:
    """Return the whole month as a month-precision period."""
    if not (1 <= year <= 9999 and 1 <= month <= 12):
        return None
    last = calendar.monthrange(year, month)[1]
    return Period(date(year, month, 1), date(year, month, last), "month")


def year_period(year: int) -> Period | None:
    """Return the whole year as a year-precision period."""
    if not 1 <= year <= 9999:
        return None
    return Period(date(year, 1, 1), date(year, 12, 31), "year")


def shift_month(year: int, month: int, delta: int) -> tuple[int, int]:
    """Move (year, month) by delta months."""
    index = year * 12 + (month - 1) + delta
    return index // 12, index % 12 + 1


def nearest_month(month: int, published: date, future: bool, strict: bool = False) -> Period | None:
    """Resolve a bare month to the nearest such month not after (past) or before (future)."""
    year = published.year
    if future:
        if month < published.month or (strict and month == published.month):
            year += 1
    elif month > published.month or (strict and month == published.month):
        year -= 1
    return month_period(year, month)


def closest_month(month: int, published: date) -> Period | None:
    """Resolve a bare month in a clause without tense ("the agenda is the visit in November")
    to the nearer of its last and next occurrence; the past one on a tie."""
    ahead = (month - published.month) % 12
    if 0 < ahead < 12 - ahead:
        return nearest_month(month, published, future=True)
    return nearest_month(month, published, future=False)


def week_of(day: date, offset_weeks: int = 0) -> Period | None:
    """Return Monday to Sunday of the week containing day, shifted by whole weeks."""
    try:
        monday = day - timedelta(days=day.weekday()) + timedelta(weeks=offset_weeks)
        return Period.window(monday, monday + timedelta(days=6))
    except OverflowError:
        return None


def weekday_near(weekday: int, published: date, future: bool, strict: bool) -> date | None:
    """Return the nearest given weekday on or before (past) or after (future) publication."""
    try:
        if future:
            ahead = (weekday - published.weekday()) % 7
            return published + timedelta(days=ahead or (7 if strict else 0))
        back = (published.weekday() - weekday) % 7
        return published - timedelta(days=back or (7 if strict else 0))
    except OverflowError:
        return None


def season_period(season: str, year: int) -> Period | None:
    """Return a northern-hemisphere season of the given year (winter runs into the next)."""
    first = SEASONS[season]
    end_year, end_month = shift_month(year, first, 2)
    start = safe_date(year, first, 1)
    end_month_period = month_period(end_year, end_month)
    if start is None or end_month_period is None:
        return None
    return Period.window(start, end_month_period.end)


def nearest_season(season: str, published: date, future: bool) -> Period | None:
    """Resolve 'in the spring' to the current or next season (future) or the last one (past)."""
    for year in (published.year - 1, published.year, published.year + 1)[:: 1 if future else -1]:
        period = season_period(season, year)
        if period is None:
            continue
        if future and period.end >= published:
            return period
        if not future and period.start <= published:
            return period
    return None


def day_near(month: int, day: int, published: date, future: bool | None) -> date | None:
    """Pick the year that puts month/day nearest publication, respecting tense."""
    options = [safe_date(published.year + delta, month, day) for delta in (-1, 0, 1)]
    found = [d for d in options if d is not None]
    if future is True:
        found = [d for d in found if d >= published - timedelta(days=2)] or found
    elif future is False:
        found = [d for d in found if d <= published + timedelta(days=2)] or found
    if not found:
        return None
    return min(found, key=lambda d: abs((d - published).days))


def add_days(day: date, days: int) -> date | None:
    """Add days, or None past the calendar's range."""
    try:
        return day + timedelta(days=days)
    except OverflowError:
        return None
