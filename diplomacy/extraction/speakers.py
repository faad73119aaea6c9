"""Who "I" and "you" are in a transcript of remarks.

Remarks transcripts report the meeting in the speakers' own words: "SECRETARY POMPEO: Director
Yang, thank you for hosting me today." The speaker label names who "I" and "me" are, and a
person addressed at the start of the turn ("Director Yang, ...") is "you". Each such pronoun
becomes a reference to that person at the pronoun's own span, so a meeting read from the
sentence still quotes the words that support it.
"""

from __future__ import annotations

import re
from bisect import bisect_left

from .people import PersonRef
from .roles import side_of
from .text import Document

# "SECRETARY POMPEO:", "PRESIDENT XI:" at the start of a paragraph: capitals, then a colon
_LABEL = re.compile(r"(?:[A-Z][A-Z.'-]*[ ]+){0,3}[A-Z][A-Z.'-]+:")
_INTERPRETER = re.compile(r"\s*\((?:[Vv]ia|[Tt]hrough)\s+(?:an\s+)?interpreter\)")
# the person addressed, named first in the turn and followed by a comma
_VOCATIVE_REACH = 60
_FIRST_PERSON = re.compile(r"\b(?:I|me|my|myself)\b")
_SECOND_PERSON = re.compile(r"\b(?:[Yy]ou|[Yy]our|[Yy]ourself)\b")


def speaker_references(doc: Document, people: list[PersonRef]) -> list[PersonRef]:
    """Return references for "I" and "you" in speakers' turns, or nothing for other texts."""
    turns = _turns(doc, people)
    found: list[PersonRef] = []
    for speaker, addressee, start, end in turns:
        found.extend(_pronouns(doc.norm, _FIRST_PERSON, speaker, start, end, "I"))
        if addressee is not None:
            found.extend(_pronouns(doc.norm, _SECOND_PERSON, addressee, start, end, "you"))
    return found


def _turns(doc: Document, people: list[PersonRef]):
    """Return (speaker, addressee, start, end) for each labelled turn of the transcript."""
    norm, starts = doc.norm, [p.start for p in people]
    labels = []
    for paragraph in doc.paragraphs:
        if not norm[paragraph.start : paragraph.start + 1].isupper():
            continue
        label = _LABEL.match(norm, paragraph.start, paragraph.end)
        if label is not None:
            labels.append((paragraph.start, label.end()))
    turns = []
    for i, (start, label_end) in enumerate(labels):
        end = labels[i + 1][0] if i + 1 < len(labels) else len(norm)
        named = people[bisect_left(starts, start) : bisect_left(starts, label_end)]
        if len(named) != 1:
            continue  # "QUESTION:", or a label naming no one known
        speaker = named[0]
        body = label_end
        interpreter = _INTERPRETER.match(norm, body, end)
        if interpreter is not None:
            body = interpreter.end()
        turns.append((speaker, _addressee(norm, people, starts, speaker, body, end), body, end))
    return turns


def _addressee(norm: str, people, starts, speaker: PersonRef, body: int, end: int):
    """Return the person of the other side the turn opens by addressing: "Director Yang, ..."."""
    reach = min(end, body + _VOCATIVE_REACH)
    for person in people[bisect_left(starts, body) : bisect_left(starts, reach)]:
        if norm.startswith(",", person.end) and side_of(person.country) != side_of(speaker.country):
            return person
    return None


def _pronouns(norm: str, pattern: re.Pattern[str], person: PersonRef, start, end, spoken: str):
    return [
        PersonRef(
            m.start(), m.end(), person.slug, person.country, person.role, person.role_text, spoken
        )
        for m in pattern.finditer(norm, start, end)
    ]


def speaks_to(people: list[PersonRef]) -> bool:
    """Return True when "I" and "you" of a turn are both among the people: "it is a pleasure
    for me to meet with you here" is the meeting the remarks are given at."""
    spoken = {p.spoken for p in people}
    return "I" in spoken and "you" in spoken
