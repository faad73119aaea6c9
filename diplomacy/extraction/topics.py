"""Topic keyword mentions, used for the meeting topics and for topic activity charts."""

from __future__ import annotations

from .matcher import Hit
from .text import Document
from .types import Mention


def topic_mentions(doc: Document, hits: list[Hit]) -> list[Mention]:
    """Return one mention per topic per keyword hit."""
    return [
        Mention("topic", doc.text[hit.start : hit.end], hit.start, hit.end, slug=slug)
        for hit in hits
        for slug in hit.refs
    ]
