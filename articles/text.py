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


# Elements whose text a reader never sees.
_HIDDEN_TAGS = (
    "script", "style", "noscript", "template", "iframe", "object", "embed", "svg", "math",
    "head", "title", "button", "select", "textarea",
)  # fmt: skip
# Elements that start a new paragraph, and those that only start a new line.
_PARAGRAPH_TAGS = {
    "p", "div", "section", "article", "header", "footer", "aside", "main", "nav", "blockquote",
    "pre", "figure", "figcaption", "table", "ul", "ol", "dl", "hr", "address", "details",
    "h1", "h2", "h3", "h4", "h5", "h6",
}  # fmt: skip
_LINE_TAGS = {"br", "li", "tr", "dt", "dd", "caption", "summary"}
_CELL_TAGS = {"td", "th"}


def html_to_text(html: str) -> str:
    """Return the text a reader sees in an HTML fragment, with paragraph and line breaks.

    Scripts, styles, comments and other hidden elements are dropped with their content;
    entities are decoded. The result is meant for `normalise_body`, which folds the spaces.
    """
    if "<" not in html and "&" not in html:
        return html
    import lxml.html
    from lxml import etree

    try:
        root = lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError):  # nothing parseable: no text rather than tags
        return ""
    etree.strip_elements(root, *_HIDDEN_TAGS, with_tail=False)
    etree.strip_elements(root, etree.Comment, etree.ProcessingInstruction, with_tail=False)
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        if element.tag in _PARAGRAPH_TAGS:
            element.text = "\n\n" + (element.text or "")
            element.tail = "\n\n" + (element.tail or "")
        elif element.tag in _LINE_TAGS:
            element.tail = "\n" + (element.tail or "")
        elif element.tag in _CELL_TAGS:
            element.tail = " " + (element.tail or "")
    return root.text_content()
