"""Offset-preserving normalisation, sentence splitting and paragraph spans.

Every helper keeps string length unchanged, so an offset found in the normalised text is also an
offset into the caller's original string.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field

from .clauses import Cues, clauses, read_cues
from .types import Span

_SAME_LENGTH = {
    **dict.fromkeys("\u2018\u2019\u201a\u201b\u2032\u00b4`", "'"),
    **dict.fromkeys("\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb", '"'),
    **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d", "-"),
    **dict.fromkeys("\u00a0\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008", " "),
    **dict.fromkeys("\u2009\u200a\u200b\u200c\u200d\u202f\u205f\u3000\ufeff\t", " "),
    **dict.fromkeys("\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029", "\n"),
}
# Remaining C0 controls and DEL become spaces so NUL bytes and debris never join words.
_SAME_LENGTH.update({chr(code): " " for code in (*range(0x00, 0x09), *range(0x0E, 0x1C), 0x1F)})
_SAME_LENGTH["\x7f"] = " "
_TRANSLATION = str.maketrans(_SAME_LENGTH)
_MAPPED = re.compile("[" + re.escape("".join(_SAME_LENGTH)) + "]")

# Tokens ending in a period that rarely end a sentence.
_ABBREVIATIONS_WORDS = (
    "Mr. Mrs. Ms. Dr. Prof. Adm. Gen. Lt. Col. Capt. Maj. Sgt. Cmdr. Sen. Rep. Gov. Amb. Pres. "
    "Sec. Gen. Rev. St. Mt. Ft. No. Nos. Vol. Jan. Feb. Mar. Apr. Jun. Jul. Aug. Sep. Sept. "
    "Oct. Nov. Dec. Mon. Tue. Tues. Wed. Thu. Thurs. Fri. Sat. Sun. vs. etc. approx. e.g. i.e. "
    "cf. Inc. Corp. Co. Ltd. Jr. Sr. Bros. Dept. Univ. U.S. U.N. U.K. E.U. D.C. U.S.A. P.R.C. "
    "a.m. p.m."
)
ABBREVIATIONS = frozenset(_ABBREVIATIONS_WORDS.split())
# Of those, abbreviations that often do end a sentence ("... sanctions on the U.S. The ...").
_MAY_END_WORDS = "U.S. U.N. U.K. E.U. D.C. U.S.A. P.R.C. a.m. p.m. etc. Inc. Corp. Co. Ltd. Jr."
_MAY_END = frozenset(_MAY_END_WORDS.split())
_STARTERS_WORDS = (
    "The A An It He She They We I In On At But And Yet So This That These Those There Its His "
    "Her Their Our Meanwhile However Still Also Officials Both After Before When While Since As "
    "If Mr. Ms. Mrs."
)
_STARTERS = frozenset(_STARTERS_WORDS.split())
_SENTENCE_END = re.compile(r"[.!?]+['\")\]]*(?=\s|$)")
_PARAGRAPH = re.compile(r"[^\n]+")
# "Ta." is machine-translation debris; a piece made only of it or of punctuation is not a sentence.
_DEBRIS = re.compile(r"(?:Ta\.|[\W_]{0,3})")
_NOISE = re.compile(r"(?<![^\s.!?\"')])Ta\.(?=\s|$)")


def normalise(text: str) -> str:
    """Map typographic variants to ASCII, one character for one, and controls to spaces."""
    if text.isascii():
        return text.translate(_TRANSLATION)
    # Beyond ASCII, str.translate looks every character up (0.4 ms for a 2 KB readout with
    # one curly quote); replacing only the characters the table names is 30 times faster.
    return _MAPPED.sub(_mapped, text)


def _mapped(match: re.Match) -> str:
    return _SAME_LENGTH[match.group()]


def lower_same_length(text: str) -> str:
    """Lowercase without changing length (a few characters, e.g. 'İ', lowercase to two)."""
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    return "".join(ch if len(low := ch.lower()) != 1 else low for ch in text)


@dataclass(slots=True)
class Document:
    """The input plus the derived views every stage shares."""

    text: str
    norm: str
    lower: str
    sentences: list[Span] = field(default_factory=list)
    paragraphs: list[Span] = field(default_factory=list)
    noise: list[Span] = field(default_factory=list)
    _starts: list[int] = field(default_factory=list)
    _para_starts: list[int] = field(default_factory=list)
    _noise_starts: list[int] = field(default_factory=list)
    _clauses: dict[int, list[tuple[int, int]]] = field(default_factory=dict)
    _cues: dict[tuple[int, int], Cues] = field(default_factory=dict)

    def sentence_index(self, pos: int) -> int:
        """Return the index of the sentence containing pos, or -1."""
        i = bisect_right(self._starts, pos) - 1
        if i >= 0 and pos < self.sentences[i].end:
            return i
        return -1

    def paragraph_of(self, pos: int) -> Span | None:
        """Return the paragraph containing pos."""
        i = bisect_right(self._para_starts, pos) - 1
        if i >= 0 and pos < self.paragraphs[i].end:
            return self.paragraphs[i]
        return None

    def clauses_of(self, index: int) -> list[tuple[int, int]]:
        """Return the clause spans of sentence index, computed once."""
        found = self._clauses.get(index)
        if found is None:
            sentence = self.sentences[index]
            found = self._clauses[index] = clauses(self.norm, sentence.start, sentence.end)
        return found

    def cues(self, span: tuple[int, int]) -> Cues:
        """Return the tense and status cues of a clause, computed once."""
        found = self._cues.get(span)
        if found is None:
            found = self._cues[span] = read_cues(self.norm, *span)
        return found

    def in_noise(self, start: int, end: int) -> bool:
        """Return True when the span overlaps translation debris such as a stray 'Ta.'."""
        i = bisect_right(self._noise_starts, start) - 1
        return any(
            self.noise[k].start < end and start < self.noise[k].end
            for k in (i, i + 1)
            if 0 <= k < len(self.noise)
        )


def build_document(text: str) -> Document:
    """Normalise text and split it into paragraphs and sentences."""
    norm = normalise(text)
    doc = Document(text=text, norm=norm, lower=lower_same_length(norm))
    doc.noise = [Span(m.start(), m.end()) for m in _NOISE.finditer(norm)]
    doc._noise_starts = [n.start for n in doc.noise]
    doc.paragraphs = [Span(m.start(), m.end()) for m in _PARAGRAPH.finditer(norm)]
    doc.paragraphs = [p for p in doc.paragraphs if not norm[p.start : p.end].isspace()]
    doc.sentences = split_sentences(norm, doc.paragraphs)
    doc._starts = [s.start for s in doc.sentences]
    doc._para_starts = [p.start for p in doc.paragraphs]
    return doc


def split_sentences(norm: str, paragraphs: list[Span]) -> list[Span]:
    """Split each paragraph at sentence ends, keeping abbreviations and folding debris back in."""
    sentences: list[Span] = []
    for para in paragraphs:
        pieces = _paragraph_pieces(norm, para.start, para.end)
        sentences.extend(_fold_debris(norm, pieces, sentences))
    return sentences


def _paragraph_pieces(norm: str, start: int, end: int) -> list[Span]:
    pieces: list[Span] = []
    cursor = start
    for match in _SENTENCE_END.finditer(norm, start, end):
        if _is_break(norm, start, end, match):
            pieces.append(_trim(norm, cursor, match.end()))
            cursor = match.end()
    if cursor < end:
        pieces.append(_trim(norm, cursor, end))
    return [p for p in pieces if p.end > p.start]


def _is_break(norm: str, para_start: int, para_end: int, match: re.Match[str]) -> bool:
    """Decide whether the punctuation run ends a sentence."""
    nxt = match.end()
    while nxt < para_end and norm[nxt] == " ":
        nxt += 1
    if nxt >= para_end:
        return True
    if norm[nxt].islower():
        return False
    if norm[match.start()] != ".":
        return True
    token_start = norm.rfind(" ", para_start, match.start()) + 1
    token = norm[max(token_start, para_start) : match.start() + 1].lstrip("(\"'[")
    if len(token) == 2 and token[0].isupper():
        return False  # an initial: "J. Smith"
    if token not in ABBREVIATIONS:
        return True
    if token not in _MAY_END:
        return False
    next_word_end = nxt
    while next_word_end < para_end and not norm[next_word_end].isspace():
        next_word_end += 1
    return norm[nxt:next_word_end].rstrip(",") in _STARTERS


def _trim(norm: str, start: int, end: int) -> Span:
    while start < end and norm[start].isspace():
        start += 1
    while end > start and norm[end - 1].isspace():
        end -= 1
    return Span(start, end)


def _fold_debris(norm: str, pieces: list[Span], earlier: list[Span]) -> list[Span]:
    """Join debris pieces ('Ta.', a lone '.') to a neighbour so no text is lost."""
    out: list[Span] = []
    pending_start: int | None = None
    for piece in pieces:
        if _DEBRIS.fullmatch(norm, piece.start, piece.end):
            if out:
                out[-1] = Span(out[-1].start, piece.end)
            elif pending_start is None:
                pending_start = piece.start
            continue
        if pending_start is not None:
            piece = Span(pending_start, piece.end)
            pending_start = None
        out.append(piece)
    if pending_start is not None:
        last = pieces[-1].end
        if earlier and not out:
            earlier[-1] = Span(earlier[-1].start, last)
        else:
            out.append(Span(pending_start, last))
    return out
