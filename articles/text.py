"""Normalising article text: the stored body and the dedup hash both come from here."""

import hashlib
import re
import unicodedata

# Characters that carry no text: C0/C1 controls except tab and newline, and lone surrogates.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_BLANK_LINES = re.compile(r"\n{3,}")
_WORDS = re.compile(r"\w+")


def normalise_body(text: str) -> str:
    """Return the text in NFC with controls removed, spaces folded and line ends unified."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = _CONTROL.sub("", text)
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def content_hash(body: str) -> str:
    """Return the dedup key: the same words in the same order give the same hash."""
    words = " ".join(_WORDS.findall(body.casefold()))
    return hashlib.sha256(words.encode("utf-8")).hexdigest()


def control_share(text: str) -> float:
    """Return the share of control characters: high for binary data sent as text."""
    if not text:
        return 0.0
    return len(_CONTROL.findall(text)) / len(text)


# Characters XML 1.0 cannot carry and iCalendar forbids in text: C0 controls except tab, newline
# and carriage return, DEL and the C1 controls, lone surrogates, and the non-characters U+FFFE/F.
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def xml_safe(text: str) -> str:
    """Return the text without the characters an Atom feed or an iCalendar file cannot hold."""
    return _NOT_XML.sub("", text)
