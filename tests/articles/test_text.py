"""Normalising article text and the dedup hash built from it."""

from articles.text import content_hash, control_share, normalise_body


def test_it_unifies_line_ends():
    """Windows and old Mac line ends become newlines."""
    assert normalise_body("one\r\ntwo\rthree\n") == "one\ntwo\nthree"


def test_it_folds_runs_of_spaces_including_unusual_ones():
    """Tabs, no-break and ideographic spaces fold to one space; lines are trimmed."""
    assert normalise_body("  Wang\t\u00a0Yi \u3000met\u2009Blinken  ") == "Wang Yi met Blinken"


def test_it_keeps_paragraphs_but_drops_extra_blank_lines():
    """A paragraph break survives; three or more blank lines become one."""
    assert normalise_body("First.\n\n\n\n\nSecond.\n\nThird.") == "First.\n\nSecond.\n\nThird."


def test_it_removes_control_characters():
    """NUL, bell, escape and C1 controls vanish; the words around them stay."""
    assert normalise_body("Bei\x00jing\x07 talks\x1b[0m\x85 end") == "Beijing talks[0m end"


def test_it_composes_accents():
    """A decomposed accent is stored composed (NFC), as typed on most keyboards."""
    assert normalise_body("Ne\u0301de\u0301lec") == "N\u00e9d\u00e9lec"


def test_it_leaves_right_to_left_and_cjk_text_intact():
    """Arabic, Hebrew and Chinese, with their direction marks, pass through unchanged."""
    text = "وزير الخارجية \u200fוואנג יי\u200e 王毅 met in Beijing"
    assert normalise_body(text) == text


def test_it_hashes_the_same_words_the_same_way():
    """Case, punctuation, spacing and line breaks do not change the hash."""
    assert content_hash("Wang Yi met Blinken.\n\nTalks, said aides.") == content_hash(
        "wang yi   MET blinken talks said AIDES"
    )


def test_it_hashes_different_words_differently():
    """Another word, or the same words in another order, is another text."""
    base = content_hash("Wang Yi met Blinken")
    assert content_hash("Wang Yi met Sullivan") != base
    assert content_hash("Blinken met Wang Yi") != base


def test_it_hashes_composed_and_decomposed_accents_alike_after_normalising():
    """The stored body is normalised first, so accents typed either way dedup together."""
    assert content_hash(normalise_body("Ne\u0301de\u0301lec")) == content_hash("N\u00e9d\u00e9lec")


def test_it_measures_the_share_of_control_characters():
    """Text scores zero, binary-looking data scores high, and empty text scores zero."""
    assert control_share("Plain words\nand a tab\t.") == 0.0
    assert control_share("\x00\x01ab") == 0.5
    assert control_share("") == 0.0
