"""Infer a publication date from a dateline at the start of the text."""

from __future__ import annotations

import re
from datetime import date

from .dates import DATE_PATTERN, find_dates, resolve
from .text import Document

_LINES_TO_READ = 3
_LABEL = re.compile(
    r"\s*(?:(?:Published|Updated|Posted|Date|Dated|First\s+published)(?:\s+on)?\s*:?\s*"
    r"|[A-Z][A-Za-z.'-]*(?:[ ][A-Z][A-Za-z.'-]*){0,3},\s+)?"
)
_AFTER = re.compile(r"\s*(?:$|[-|(,:]|\d{1,2}:\d\d|[AP]\.?M\b|at\b)")


def infer_published(doc: Document) -> date | None:
    """Return the date of a leading dateline ("BEIJING, Jan. 30, 2024 -", "Published: 2024-01-30").

    A dateline without a year cannot be placed, so it gives None rather than a guess.
    """
    for paragraph in doc.paragraphs[:_LINES_TO_READ]:
        label = _LABEL.match(doc.norm, paragraph.start, paragraph.end)
        start = label.end() if label else paragraph.start
        match = DATE_PATTERN.match(doc.norm, start, paragraph.end)
        if match is None or match.group("du") or match.group("rel") or match.group("wd"):
            continue
        if not _AFTER.match(doc.norm, match.end(), paragraph.end):
            continue
        found = find_dates(doc.norm, start, match.end())
        if not found or not found[0].explicit_year or found[0].form not in ("iso", "mdy", "dmy"):
            return None
        period = resolve(found[0], None, None)
        return period.start if period else None
    return None
