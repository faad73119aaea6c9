"""Normalisation and sentence splitting keep offsets into the exact input."""

from hypothesis import given
from hypothesis import strategies as st

from diplomacy.extraction.text import _SAME_LENGTH, build_document, normalise


def sentences_of(text: str) -> list[str]:
    doc = build_document(text)
    return [text[s.start : s.end] for s in doc.sentences]


def test_it_normalises_without_changing_length():
    """Curly quotes, dashes, NUL bytes and odd spaces map one character to one."""
    text = "“Talks” — held\x00in\u00a0Geneva’s\u2028hall İstanbul"
    assert len(normalise(text)) == len(text)
    assert normalise("“a” – b’s") == '"a" - b\'s'


@given(
    st.text(
        st.one_of(
            st.sampled_from(sorted(_SAME_LENGTH)),
            st.characters(codec="utf-8"),
        ),
        max_size=80,
    )
)
def test_it_maps_each_character_by_the_table_alone(text):
    """ASCII or not, each character the table names is replaced and every other is kept."""
    assert normalise(text) == "".join(_SAME_LENGTH.get(ch, ch) for ch in text)


def test_it_keeps_abbreviations_inside_sentences():
    """Titles and month abbreviations with periods do not end a sentence."""
    text = (
        "Mr. Roe met Dr. Kim and Adm. Lee on Jan. 5 at No. 10 St. James Place. "
        "Gen. Park and Lt. Cho joined Sen. Moss, Rep. Diaz and Gov. Hale in Sept. for talks. "
        "The U.S. and the U.N. sent envoys."
    )
    assert sentences_of(text) == [
        "Mr. Roe met Dr. Kim and Adm. Lee on Jan. 5 at No. 10 St. James Place.",
        "Gen. Park and Lt. Cho joined Sen. Moss, Rep. Diaz and Gov. Hale in Sept. for talks.",
        "The U.S. and the U.N. sent envoys.",
    ]


def test_it_ends_a_sentence_after_us_when_a_new_one_starts():
    """'U.S.' followed by a sentence opener ends the sentence."""
    assert sentences_of("Envoys flew to the U.S. The talks began at once.") == [
        "Envoys flew to the U.S.",
        "The talks began at once.",
    ]


def test_it_folds_ta_debris_into_the_previous_sentence():
    """A stray 'Ta.' joins its neighbour instead of becoming a sentence or losing text."""
    text = "The envoy arrived late. Ta. The meeting then began."
    assert sentences_of(text) == ["The envoy arrived late. Ta.", "The meeting then began."]
    doc = build_document(text)
    assert [text[n.start : n.end] for n in doc.noise] == ["Ta."]


def test_it_folds_a_leading_ta_into_the_next_sentence():
    """'Ta.' opening a paragraph joins the sentence after it."""
    assert sentences_of("Ta. Officials said little.") == ["Ta. Officials said little."]


def test_it_breaks_sentences_at_newlines():
    """A newline ends a sentence even without punctuation."""
    assert sentences_of("Stay informed\nThe talks ended\n\nNext item.") == [
        "Stay informed",
        "The talks ended",
        "Next item.",
    ]


def test_it_drops_lone_punctuation_debris():
    """A lone period after a sentence does not become a sentence of its own."""
    assert sentences_of("Relations improved. . Officials agreed.") == [
        "Relations improved. .",
        "Officials agreed.",
    ]


def test_it_returns_no_sentences_for_blank_text():
    """Empty and whitespace-only input gives no sentences."""
    assert sentences_of("") == []
    assert sentences_of(" \n\t \n") == []


def test_it_keeps_mention_spans_on_the_original_characters(run):
    """Mentions found through normalisation still slice the untouched input exactly."""
    text = (
        "China’s foreign minister\u00a0Wang\u00a0Yi — in “Geneva” — met Jake Sullivan "
        "on\u202fFriday; İstanbul\x00 was not mentioned."
    )
    result = run(text)
    assert result.mentions
    for mention in result.mentions:
        assert text[mention.start : mention.end] == mention.text
    kinds = {(m.kind, m.slug or m.value) for m in result.mentions}
    assert ("person", "wang-yi") in kinds
    assert ("location", "geneva") in kinds
    assert ("date", "2024-01-26") in kinds
