"""Find date expressions with regular expressions, then resolve them against publication.

Candidate spans are found first and resolved on their own, so words such as "may" or "we" in a
sentence are never read as dates. Relative expressions need a publication date: without one they
stay unresolved rather than being guessed from today.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

import ahocorasick

from . import periods as p
from .periods import Period
from .text import lower_same_length

_MONTH = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December"
    r"|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)"
)
_MONTH_FULL = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December)"
)
_DAY = r"(?:3[01]|[12]\d|0?[1-9])(?:st|nd|rd|th)?(?!\d)"
_YEAR = r"(?:1[89]\d\d|2[01]\d\d)(?![\d-])"
_WEEKDAY = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_RANGE = r"\s*(?:-|to|through|and|until)\s*"
_NOT_FOLLOWED_BY_DAY_OR_YEAR = r"(?!\.?,?\s+(?:of\s+)?\d)"
_EVENT_NOUN = r"(?=\s+(?:summit|meetings?|talks|visit|trip|call|elections?|dialogue)\b)"

# Every form starts at a word from this list or a digit; checking that first makes the scan
# of ordinary words cheap.
_FIRST_WORDS = (
    "in since until till by from through before after during of last next this early late mid on "
    "earlier later past today yesterday tomorrow tonight the over within recently a an one two "
    "three four five six seven eight nine ten several few for January February March April May "
    "June July August September October November December Jan Feb Mar Apr Jun Jul Aug Sept Sep "
    "Oct Nov Dec Monday Tuesday Wednesday Thursday Friday Saturday Sunday"
)
_FIRST = "|".join(
    sorted({v for w in _FIRST_WORDS.split() for v in (w, w[:1].upper() + w[1:])}, key=len)[::-1]
)

DATE_PATTERN = re.compile(
    rf"""\b(?=\d|(?:{_FIRST})\b)(?:
    (?P<iso>\b(?P<iso_y>(?:19|20)\d\d)-(?P<iso_m>0[1-9]|1[0-2])-(?P<iso_d>0[1-9]|[12]\d|3[01])\b)
    |(?P<mdy>\b(?P<mdy_m>{_MONTH})\.?\s+(?P<mdy_d>{_DAY})
        (?:{_RANGE}(?:(?P<mdy_m2>{_MONTH})\.?\s+)?(?P<mdy_d2>{_DAY}))?(?:,?\s+(?P<mdy_y>{_YEAR}))?)
    |(?P<dmy>\b(?P<dmy_d>{_DAY})(?:{_RANGE}(?P<dmy_d2>{_DAY}))?\s+(?:of\s+)?(?P<dmy_m>{_MONTH})\b\.?
        (?:,?\s+(?P<dmy_y>{_YEAR}))?)
    |(?P<my>\b(?P<my_m>{_MONTH})\.?,?\s+(?:of\s+)?(?P<my_y>{_YEAR}))
    |(?P<bm>(?P<bm_pre>\b(?:[Ii]n|[Ss]ince|[Uu]ntil|[Tt]ill|[Bb]y|[Ff]rom|[Tt]hrough|[Bb]efore
        |[Aa]fter|[Dd]uring|[Oo]f)\s+)?(?P<bm_mod>\b(?:[Ll]ast|[Nn]ext|[Tt]his|[Ee]arly|[Ll]ate
        |[Mm]id)[\s-]+(?:(?:early|late|mid)[\s-]+)?)?
        \b(?P<bm_m>{_MONTH_FULL})\b{_NOT_FOLLOWED_BY_DAY_OR_YEAR}(?P<bm_adj>{_EVENT_NOUN})?
        (?:\s+(?P<bm_year>last|this|next)\s+year\b)?)
    |(?P<se>(?P<se_pre>\b(?:[Ii]n|[Tt]his|[Ll]ast|[Nn]ext|[Bb]y|[Dd]uring|[Ff]or)\s+)
        (?:the\s+)?(?:(?:early|late|mid-?)\s*)?(?P<se_name>spring|summer|fall|autumn|winter)
        (?:\s+(?:of\s+)?(?P<se_y>{_YEAR}))?\b)
    |(?P<yr>(?P<yr_pre>\b(?:[Ii]n|[Ss]ince|[Bb]y|[Uu]ntil|[Dd]uring|[Ff]rom|[Oo]f|[Bb]efore|[Aa]fter
        |[Tt]hrough|[Ee]arly|[Ll]ate|[Mm]id-)\s*)?\b(?P<yr_y>(?:19|20)\d\d)(?![\d-])
        (?(yr_pre)|{_EVENT_NOUN}))
    |(?P<rel>\b(?:(?P<rel_edge>[Ee]arlier|[Ll]ater)\s+this\s+(?P<rel_edge_unit>week|month|year)
        |(?P<rel_which>[Tt]his|[Ll]ast|[Nn]ext|[Pp]ast)\s+(?P<rel_unit>weekend|week|month|year)
        |(?P<rel_day>[Tt]oday|[Yy]esterday|[Tt]omorrow|[Tt]onight|[Ll]ast\s+night
            |[Tt]his\s+(?:morning|afternoon|evening))
        |(?:(?:[Ii]n|[Oo]ver|[Dd]uring|[Ww]ithin)\s+)?the\s+(?:coming|next\s+few|next|upcoming)
            \s+(?P<rel_coming>days|weeks|months)
        |(?:[Ii]n|[Oo]ver)\s+recent\s+(?P<rel_recent>days|weeks|months)
        |(?P<rel_recently>[Rr]ecently)
        |(?P<rel_n>a|an|one|two|three|four|five|six|seven|eight|nine|ten|several|few|\d{{1,3}})
            \s+(?P<rel_ago_unit>day|week|month|year)s?\s+ago)\b)
    |(?P<wd>(?P<wd_pre>\b(?:[Oo]n|[Ll]ast|[Nn]ext|[Tt]his|[Ss]ince|[Bb]y|[Uu]ntil)\s+)?
        \b(?P<wd_1>{_WEEKDAY})(?:(?:,\s*{_WEEKDAY})*,?\s+(?:and|or|to|through|-)\s+
        (?P<wd_2>{_WEEKDAY}))?\b(?!,?\s+(?:{_MONTH})\.?\s+\d))
    |(?P<du>\b(?P<du_n>two|three|four|five|six|seven|several|[2-9])[\s-]+days?(?:[\s-]+long)?
        \s+(?:of\s+)?(?:[A-Za-z-]+\s+){{0,2}}?(?:talks|meetings?|discussions|consultations|visit|trip
        |negotiations|dialogue|summit)\b))
    """,
    re.VERBOSE,
)
# Every date expression contains one of these words or a digit, within _REACH characters of
# its ends.
_ANCHOR_WORDS = (
    "january february march april may june july august september october november december "
    "jan feb mar apr jun jul aug sep sept oct nov dec monday tuesday wednesday thursday friday "
    "saturday sunday spring summer fall autumn winter today yesterday tomorrow tonight week "
    "weeks weekend month months year years day days recently night morning afternoon evening"
)
_REACH = 40
_DIGITS = re.compile(r"\d+")
_FORMS = ("iso", "mdy", "dmy", "my", "bm", "se", "yr", "rel", "wd", "du")
_PREPOSITION = re.compile(
    r"(?:in|on|since|until|till|by|from|through|before|after|during|of|over|within|for)\s+",
    re.IGNORECASE,
)
_REPORTED = re.compile(
    r"\b(?:said|says|say|reported|reports|announced|announces|told\s+\w+|wrote|added|stated|"
    r"confirmed|noted|disclosed|revealed|tweeted|posted)\s*$"
)
# Days from publication; "this morning" and the like are the day itself.
_DAY_OFFSETS = {"yesterday": -1, "last night": -1, "tomorrow": 1}
_COMING_DAYS = {"days": 14, "weeks": 42, "months": 120}


@dataclass(frozen=True, slots=True)
class DateExpr:
    start: int  # the expression without a leading preposition: "November" in "in November"
    end: int
    form: str  # one of _FORMS
    preposition: str  # lowercase leading preposition, "" when none
    match: re.Match[str]
    vague: bool = False  # "in recent months": describes a stretch, not an event's date
    duration: int | None = None  # "two days of talks"
    reported: bool = False  # "said last week that": the date of a report, not of an event

    @property
    def explicit_year(self) -> bool:
        """Return True when the expression carries its own year."""
        g = self.match.group
        return bool(g("iso") or g("mdy_y") or g("dmy_y") or g("my") or g("yr") or g("se_y"))


def find_dates(norm: str, pos: int = 0, endpos: int | None = None) -> list[DateExpr]:
    """Return every date expression in norm[pos:endpos], in order.

    The full pattern runs only in windows around anchor words (months, weekdays, "week",
    digits...), found in one pass; most of an article holds no date at all.
    """
    found: list[DateExpr] = []
    end = len(norm) if endpos is None else min(endpos, len(norm))
    for start, stop in _windows(norm, pos, end):
        for match in DATE_PATTERN.finditer(norm, start, stop):
            expr = _expression(match)
            if expr is not None:
                found.append(expr)
    return found


def _windows(norm: str, pos: int, end: int) -> list[tuple[int, int]]:
    lower = lower_same_length(norm[pos:end])
    anchors = [(m.start() + pos, m.end() + pos) for m in _DIGITS.finditer(lower)]
    size = len(lower)
    for last, length in _ANCHORS.iter(lower) if lower else ():
        first = last - length + 1
        if (first == 0 or not lower[first - 1].isalpha()) and (
            last + 1 >= size or not lower[last + 1].isalpha()
        ):
            anchors.append((first + pos, last + 1 + pos))
    anchors.sort()
    windows: list[tuple[int, int]] = []
    for first, last in anchors:
        start, stop = max(pos, first - _REACH), min(end, last + _REACH)
        if windows and start <= windows[-1][1]:
            windows[-1] = (windows[-1][0], max(windows[-1][1], stop))
        else:
            windows.append((start, stop))
    return windows


def _anchor_automaton() -> ahocorasick.Automaton:
    automaton = ahocorasick.Automaton()
    for word in _ANCHOR_WORDS.split():
        automaton.add_word(word, len(word))
    automaton.make_automaton()
    return automaton


def _expression(match: re.Match[str]) -> DateExpr | None:
    form = next(f for f in _FORMS if match.group(f) is not None)
    cued = match.group("bm_pre") or match.group("bm_mod") or match.group("bm_adj") is not None
    if form == "bm" and not cued:
        return None  # a bare "May" is as likely the verb
    start = match.start()
    leading = _PREPOSITION.match(match.string, start, match.end())
    preposition = ""
    if leading is not None and leading.end() < match.end():
        preposition = leading.group().strip().lower()
        start = leading.end()
    vague = bool(match.group("rel_recent"))
    duration = p.number(match.group("du_n")) if form == "du" else None
    text, begin = match.string, match.start()
    reported = _REPORTED.search(text, max(0, begin - 30), begin) is not None
    return DateExpr(start, match.end(), form, preposition, match, vague, duration, reported)


def resolve(expr: DateExpr, published: date | None, future: bool | None) -> Period | None:
    """Resolve expr against the publication date; None when it cannot be placed."""
    try:
        resolver = _RESOLVERS.get(expr.form)
        return resolver(expr.match, published, future) if resolver else None
    except (ValueError, OverflowError, KeyError, TypeError):
        return None


def _iso(m: re.Match[str], published: date | None, future: bool | None) -> Period | None:
    day = p.safe_date(int(m.group("iso_y")), int(m.group("iso_m")), int(m.group("iso_d")))
    return Period(day, day, "day") if day else None


def _day_range(prefix: str):
    def resolve_days(m: re.Match[str], published: date | None, future: bool | None):
        month = p.MONTHS[m.group(f"{prefix}_m").lower()]
        day = _day_number(m.group(f"{prefix}_d"))
        last_day = _day_number(m.group(f"{prefix}_d2")) if m.group(f"{prefix}_d2") else day
        month_2 = m.groupdict().get(f"{prefix}_m2")
        last_month = p.MONTHS[month_2.lower()] if month_2 else month
        year_text = m.group(f"{prefix}_y")
        if year_text:
            first = p.safe_date(int(year_text), month, day)
        elif published is not None:
            first = p.day_near(month, day, published, future)
        else:
            return None
        if first is None:
            return None
        year = first.year + (1 if last_month < month else 0)
        last = p.safe_date(year, last_month, last_day)
        if last is None or last < first or (last - first).days > 31:
            last = first
        return Period(first, last, "day")

    return resolve_days


def _day_number(text: str) -> int:
    return int(text.rstrip("stndrh"))


def _month_year(m: re.Match[str], published: date | None, future: bool | None):
    return p.month_period(int(m.group("my_y")), p.MONTHS[m.group("my_m").lower()])


def _bare_month(m: re.Match[str], published: date | None, future: bool | None):
    if published is None:
        return None
    month = p.MONTHS[m.group("bm_m").lower()]
    modifier = (m.group("bm_mod") or "").strip(" -").lower().split()
    which = modifier[0] if modifier else ""
    pre = (m.group("bm_pre") or "").strip().lower()
    relative_year = m.group("bm_year")
    if relative_year:  # "in August last year"
        step = {"last": -1, "this": 0, "next": 1}[relative_year]
        return p.month_period(published.year + step, month)
    if which == "this":
        return p.month_period(published.year, month)
    if which in ("last", "next"):
        return p.nearest_month(month, published, future=which == "next", strict=True)
    if pre in ("since", "after", "from"):
        future = False
    if future is None:  # no tense to go by: the nearer of last and next such month
        return p.closest_month(month, published)
    return p.nearest_month(month, published, future=bool(future))


def _season(m: re.Match[str], published: date | None, future: bool | None):
    name = m.group("se_name").lower()
    if m.group("se_y"):
        return p.season_period(name, int(m.group("se_y")))
    if published is None:
        return None
    which = m.group("se_pre").strip().lower()
    if which == "this":
        return p.season_period(name, published.year)
    if which in ("last", "next"):
        return p.nearest_season(name, published, future=which == "next")
    return p.nearest_season(name, published, future=bool(future))


def _year(m: re.Match[str], published: date | None, future: bool | None):
    return p.year_period(int(m.group("yr_y")))


def _relative(m: re.Match[str], published: date | None, future: bool | None):
    if published is None:
        return None
    g = m.group
    if g("rel_day"):
        word = " ".join(g("rel_day").lower().split())
        offset = _DAY_OFFSETS.get(word, 0)
        day = published + timedelta(days=offset)
        return Period(day, day, "day")
    if g("rel_which"):
        return _this_last_next(g("rel_which").lower(), g("rel_unit"), published)
    if g("rel_edge"):
        whole = _this_last_next("this", g("rel_edge_unit"), published)
        if whole is None:
            return None
        if g("rel_edge").lower() == "earlier":
            return Period.window(whole.start, max(whole.start, published))
        return Period.window(min(published, whole.end), whole.end)
    if g("rel_coming"):
        end = published + timedelta(days=_COMING_DAYS[g("rel_coming")])
        return Period(published, end, "unknown")
    if g("rel_recent"):
        start = published - timedelta(days=_COMING_DAYS[g("rel_recent")])
        return Period(start, published, "unknown")
    if g("rel_recently"):
        return Period.window(published - timedelta(days=30), published)
    return _ago(g("rel_n"), g("rel_ago_unit"), published)


def _this_last_next(which: str, unit: str, published: date) -> Period | None:
    step = {"this": 0, "last": -1, "past": -1, "next": 1}[which]
    if which == "past":
        days = {"week": 7, "weekend": 7, "month": 30, "year": 365}[unit]
        return Period.window(published - timedelta(days=days), published)
    if unit in ("week", "weekend"):
        week = p.week_of(published, step)
        if week is None or unit == "week":
            return week
        return Period.window(week.start + timedelta(days=5), week.end)
    if unit == "month":
        return p.month_period(*p.shift_month(published.year, published.month, step))
    return p.year_period(published.year + step)


def _ago(count_text: str, unit: str, published: date) -> Period | None:
    count = p.number(count_text)
    if count is None:
        return None
    if unit == "day":
        day = published - timedelta(days=count)
        return Period(day, day, "day")
    if unit == "week":
        return p.week_of(published - timedelta(weeks=count))
    if unit == "month":
        return p.month_period(*p.shift_month(published.year, published.month, -count))
    return p.year_period(published.year - count)


def _weekday(m: re.Match[str], published: date | None, future: bool | None):
    if published is None:
        return None
    first = p.WEEKDAYS[m.group("wd_1").lower()]
    which = (m.group("wd_pre") or "").strip().lower()
    if which == "this":
        day = published + timedelta(days=first - published.weekday())
    elif which in ("last", "since"):
        day = p.weekday_near(first, published, future=False, strict=True)
    elif which == "next":
        day = p.weekday_near(first, published, future=True, strict=True)
    else:
        day = p.weekday_near(first, published, future=bool(future), strict=False)
    if day is None:
        return None
    last = day
    if m.group("wd_2"):
        last = day + timedelta(days=(p.WEEKDAYS[m.group("wd_2").lower()] - first) % 7)
        if not future and last > published >= day:
            day, last = day - timedelta(days=7), last - timedelta(days=7)
    return Period(day, last, "day")


_RESOLVERS = {
    "iso": _iso,
    "mdy": _day_range("mdy"),
    "dmy": _day_range("dmy"),
    "my": _month_year,
    "bm": _bare_month,
    "se": _season,
    "yr": _year,
    "rel": _relative,
    "wd": _weekday,
}

_ANCHORS = _anchor_automaton()
