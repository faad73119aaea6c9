"""Extract diplomatic meetings, people, places, dates and topics from article text.

A pure function of (text, publication date, gazetteer): no database, network or files. Every
span indexes the exact input string, so callers can highlight text[start:end].

    result = extract(text, date(2024, 1, 27), gazetteer)
    result.meetings        # MeetingCandidate, each field backed by EvidenceSpans
    result.mentions        # person / title / location / date / topic mentions
    result.new_people      # officials named after a title but missing from the gazetteer

Dates: start_date and end_date bound the period the text supports; date_precision is the
finest calendar unit certain to contain it ("next week" crossing two months is "year").
Vague windows ("in the coming days") keep their bounds with precision "unknown". Without a
publication date (given, or a dated dateline), relative expressions stay unresolved.
"""

from __future__ import annotations

import logging
from datetime import date, datetime

from .candidates import finalise
from .context import Context
from .dateline import infer_published
from .dates import DateExpr, find_dates, resolve
from .matcher import compile_gazetteer, find_hits
from .meetings import detect
from .people import resolve_people
from .places import find_places, place_mentions
from .speakers import speaker_references
from .text import Document, build_document
from .topics import topic_mentions
from .types import Extraction, Gazetteer, Mention

__all__ = ["EXTRACTOR_VERSION", "extract"]

EXTRACTOR_VERSION = "1.0"

logger = logging.getLogger(__name__)


def extract(text: str, published: date | None, gazetteer: Gazetteer) -> Extraction:
    """Extract meetings and mentions from text; never raises, returning what it could find."""
    day = _as_date(published)
    try:
        return _extract(text if isinstance(text, str) else "", day, gazetteer)
    except Exception:  # a bad article must not stop a batch: log it and return nothing found
        logger.exception("extraction failed")
        return Extraction(EXTRACTOR_VERSION, day, "given" if day else "unknown")


def _as_date(value: object) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else None


def _extract(text: str, published: date | None, gazetteer: Gazetteer) -> Extraction:
    doc = build_document(text)
    compiled = compile_gazetteer(gazetteer)
    source = "given"
    if published is None:
        published = infer_published(doc)
        source = "inferred" if published else "unknown"
    entity_hits, topic_hits = find_hits(compiled, doc.norm, doc.lower)
    if doc.noise:
        entity_hits = [h for h in entity_hits if not doc.in_noise(h.start, h.end)]
    people = resolve_people(doc, entity_hits, compiled, published)
    places = find_places(doc, entity_hits, compiled)
    dates = find_dates(doc.norm)
    refs = people.refs
    spoken = speaker_references(doc, refs)
    if spoken:
        refs = sorted([*refs, *spoken], key=lambda p: (p.start, p.end))
    ctx = Context(doc, compiled, published, refs, places, dates)
    meetings = finalise(ctx, detect(ctx), topic_hits, people.new_people)
    mentions = [
        *people.mentions,
        *place_mentions(doc, places),
        *_date_mentions(doc, dates, published),
        *topic_mentions(doc, topic_hits),
    ]
    mentions.sort(key=lambda m: (m.start, m.end, m.kind))
    return Extraction(
        version=EXTRACTOR_VERSION,
        published=published,
        published_source=source,
        sentences=list(doc.sentences),
        mentions=mentions,
        meetings=meetings,
        new_people=people.new_people,
    )


def _date_mentions(doc: Document, dates: list[DateExpr], published: date | None) -> list[Mention]:
    mentions = []
    for expr in dates:
        if expr.form == "du":
            continue
        period = resolve(expr, published, _future_at(doc, expr.start))
        value = period.start.isoformat() if period else None
        mentions.append(
            Mention("date", doc.text[expr.start : expr.end], expr.start, expr.end, value=value)
        )
    return mentions


def _future_at(doc: Document, pos: int) -> bool | None:
    """Read the tense of the clause around pos."""
    index = doc.sentence_index(pos)
    if index < 0:
        return None
    sentence = doc.sentences[index]
    if sentence.end - sentence.start > 3000:
        return None
    for start, end in doc.clauses_of(index):
        if start <= pos < end:
            return doc.cues((start, end)).future
    return None
