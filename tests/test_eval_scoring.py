"""The strict meeting scorer of `make eval`, on a small answer key written for these tests."""

from datetime import date

from bench.eval.scoring import fits, same_person, score
from bench.eval_meetings import read_text

HARBOUR_TALKS = {
    "start": "2024-03-05",
    "end": "2024-03-05",
    "date_precision": "day",
    "city": "Bangkok",
    "country": "Thailand",
    "participants": ["Jake Sullivan", "Wang Yi"],
    "type": "meeting",
    "topics": ["fentanyl", "mil_mil"],
    "status": "held",
    "is_main_subject": True,
    "not_in_text": [],
}
EARLIER_CALL = {
    "start": "2023-11",
    "end": "2023-11",
    "date_precision": "month",
    "city": None,
    "country": None,
    "participants": ["Joe Biden", "Xi Jinping"],
    "type": "call",
    "topics": [],
    "status": "held",
    "is_main_subject": False,
    "not_in_text": [],
}


def record(pk, kind, start, precision, people, place=None, topics=(), status="held"):
    return {
        "id": pk,
        "kind": kind,
        "status": status,
        "start_date": start,
        "end_date": start,
        "date_precision": precision,
        "location": place,
        "participants": [{"name": name} for name in people],
        "topics": [{"slug": slug} for slug in topics],
    }


BANGKOK = {"slug": "bangkok", "name": "Bangkok", "kind": "city", "country": "TH"}
THAILAND = {"slug": "thailand", "name": "Thailand", "kind": "country", "country": "TH"}
GENEVA = {"slug": "geneva", "name": "Geneva", "kind": "city", "country": "CH"}


def test_it_scores_fields_of_the_best_record_of_each_main_meeting():
    """A vague place, a wrong kind, an extra person and an extra topic are each one error."""
    keys = [("a", HARBOUR_TALKS), ("a", EARLIER_CALL)]
    records = [
        record(
            1,
            "call",
            "2024-03-05",
            "day",
            ["Jake Sullivan", "Wang Yi", "Joe Biden"],
            THAILAND,
            ["fentanyl", "trade"],
        ),
        record(2, "call", "2023-11-01", "month", ["Joe Biden", "Xi Jinping"]),
    ]
    figures = score(keys, records).figures()
    assert figures["main_recall"] == 1.0
    assert figures["precision"] == 1.0
    assert figures["date_acc"] == 1.0
    assert figures["place_acc"] == 0.0  # the country of the key's city fits but is not right
    assert figures["kind_acc"] == 0.0
    assert figures["participant_recall"] == 1.0
    assert figures["participant_precision"] == 2 / 3
    assert figures["topic_precision"] == 0.5
    assert figures["topic_recall"] == 0.5
    assert figures["records_per_meeting"] == 1.0


def test_it_lists_each_error_with_its_class():
    """Misses, records that fit nothing and second records of one meeting are named."""
    keys = [("a", HARBOUR_TALKS), ("b", EARLIER_CALL)]
    records = [
        record(
            1,
            "meeting",
            "2024-03-05",
            "day",
            ["Jake Sullivan", "Wang Yi"],
            BANGKOK,
            ["fentanyl", "mil-mil"],
        ),
        record(2, "meeting", "2024-03-05", "day", ["Wang Yi"], BANGKOK),
        record(3, "summit", "2019-06-01", "day", ["Joe Biden"]),
    ]
    result = score(keys, records)
    classes = sorted(error["class"] for error in result.errors)
    assert classes == ["duplicate record", "extra record"]
    assert result.figures()["precision"] == 2 / 3
    assert result.figures()["records_per_meeting"] == 2.0
    assert result.figures()["main_recall"] == 1.0
    assert result.figures()["all_recall"] == 0.5


def test_it_refuses_a_record_dated_or_placed_against_the_key():
    """Other days, another city, or no date for a key dated to the day: not the meeting."""
    people = ["Jake Sullivan"]
    assert fits(HARBOUR_TALKS, record(1, "meeting", "2024-03-07", "day", people))
    assert not fits(HARBOUR_TALKS, record(1, "meeting", "2024-03-20", "day", people))
    assert not fits(HARBOUR_TALKS, record(1, "meeting", "2024-03-05", "day", people, GENEVA))
    assert not fits(HARBOUR_TALKS, record(1, "meeting", None, "unknown", people))
    assert fits(EARLIER_CALL, record(1, "call", "2023-11-20", "day", ["Xi Jinping"]))


def test_it_matches_names_by_their_words():
    """A shorter spelling matches a longer one; particles such as Jr. do not count."""
    assert not same_person("CQ Brown", "Charles Q. Brown Jr.")
    assert same_person("Charles Q. Brown", "Charles Q. Brown Jr.")
    assert same_person("Wang Yi", "Wang Yi")
    assert not same_person("Wang Yi", "Wang Wentao")


def test_it_reads_the_publication_date_from_the_header(tmp_path):
    """SOURCE and PUBLISHED lines are metadata, not text; `unknown` means no date."""
    dated = tmp_path / "01_dated.txt"
    dated.write_text("SOURCE: somewhere\nPUBLISHED: 2024-02-03\n\nTalks were held.\n")
    undated = tmp_path / "02_undated.txt"
    undated.write_text("SOURCE: somewhere\nPUBLISHED: unknown\n\nTalks were held.\n")
    assert read_text(dated) == ("Talks were held.\n", date(2024, 2, 3))
    assert read_text(undated) == ("Talks were held.\n", None)
