"""The rules that decide whether two reports describe one meeting, and what a meeting says."""

from datetime import date

from diplomacy.merging import (
    DateClaim,
    best_announced,
    best_date,
    best_kind,
    best_location,
    best_status,
    dates_overlap,
    kinds_compatible,
    meeting_title,
    places_compatible,
    places_related,
    status_fits,
)

# southeast-asia (1) > thailand (2) > bangkok (3); europe (4) > austria (5) > vienna (6)
PARENTS = {1: None, 2: 1, 3: 2, 4: None, 5: 4, 6: 5}


def test_it_overlaps_a_month_claim_with_a_day_inside_it():
    """ "November 2023" and "15 November 2023" can be the same meeting."""
    month = DateClaim(date(2023, 11, 1), date(2023, 11, 1), "month")
    day = DateClaim(date(2023, 11, 15), date(2023, 11, 15), "day")
    assert dates_overlap(month, day)
    assert not dates_overlap(month, DateClaim(date(2023, 12, 2), None, "day"))


def test_it_gives_a_vague_future_window_a_bounded_length():
    """ "In the coming days" from 24 Jan covers 26–27 Jan but not March."""
    coming = DateClaim(date(2024, 1, 24), None, "unknown")
    assert dates_overlap(coming, DateClaim(date(2024, 1, 26), date(2024, 1, 27), "day"))
    assert not dates_overlap(coming, DateClaim(date(2024, 3, 20), None, "day"))


def test_it_treats_generic_talks_as_compatible_but_not_calls():
    """A "meeting" may be a summit; a call is never an in-person meeting."""
    assert kinds_compatible("meeting", "summit")
    assert not kinds_compatible("meeting", "call")
    assert not kinds_compatible("summit", "visit")


def test_it_accepts_a_place_inside_another_and_rejects_siblings():
    """Bangkok refines Southeast Asia; Vienna contradicts Bangkok."""
    assert places_compatible(3, 1, PARENTS)
    assert places_compatible(1, 3, PARENTS)
    assert not places_compatible(3, 6, PARENTS)
    assert places_compatible(None, 6, PARENTS)


def test_it_keeps_planned_reports_away_from_long_past_meetings():
    """A plan reported in 2024 is not the meeting held in 2023."""
    held_2023 = DateClaim(date(2023, 5, 10), date(2023, 5, 11), "day")
    assert not status_fits("planned", held_2023, date(2024, 1, 24))
    assert status_fits("held", held_2023, date(2024, 1, 24))
    future = DateClaim(date(2024, 3, 1), None, "day")
    assert not status_fits("held", future, date(2024, 1, 24))


def test_it_prefers_the_most_precise_date_and_held_reports():
    """Day beats month; among equals, the report of the held meeting wins."""
    planned_day = (DateClaim(date(2024, 1, 25), None, "day"), "planned", 0.9)
    held_day = (DateClaim(date(2024, 1, 26), date(2024, 1, 27), "day"), "held", 0.6)
    month = (DateClaim(date(2024, 1, 1), None, "month"), "held", 1.0)
    assert best_date([month, planned_day, held_day]) == held_day[0]
    assert best_date([]) is None


def test_it_lets_held_win_over_planned_and_cancelled():
    """Once any report says it happened, the meeting was held."""
    assert best_status(["planned", "held"]) == "held"
    assert best_status(["planned", "cancelled"]) == "cancelled"
    assert best_status(["planned"]) == "planned"


def test_it_prefers_a_specific_kind_on_equal_weight():
    """ "Summit" beats generic "talks" when reports are split evenly."""
    assert best_kind([("meeting", 0.5), ("summit", 0.5)]) == "summit"
    assert best_kind([("meeting", 0.9), ("meeting", 0.9), ("summit", 0.5)]) == "meeting"


def test_it_weighs_a_claim_made_by_many_reports_as_that_many_claims():
    """ "(kind, confidence, reports)" counts like the same claim repeated, summed exactly."""
    assert best_kind([("meeting", 0.9, 2), ("summit", 0.5)]) == "meeting"
    assert best_kind([("summit", 0.25, 3), ("meeting", 0.5), ("meeting", 0.25)]) == "summit"
    # Ten reports at 0.1 weigh exactly 1.0, whatever order rounding would have summed them in.
    assert best_kind([("meeting", 1.0), ("summit", 0.1, 10)]) == "summit"
    assert best_kind([("summit", 0.1)] * 10 + [("meeting", 1.0)]) == "summit"
    chosen = best_location([(1, "somewhere in Southeast Asia", 0.5, 3), (6, "", 0.8)], PARENTS)
    assert chosen == (1, "somewhere in Southeast Asia")


def test_it_relates_a_place_to_those_it_is_in_and_those_in_it():
    """Thailand goes with Southeast Asia and Bangkok, not with Europe or Vienna."""
    assert places_related(2, PARENTS) == {1, 2, 3}
    assert places_related(4, PARENTS) == {4, 5, 6}
    for place in range(1, 7):
        for other in range(1, 7):
            related = other in places_related(place, PARENTS)
            assert related == places_compatible(place, other, PARENTS)


def test_it_picks_the_most_specific_agreeing_place():
    """ "Southeast Asia" then "Bangkok" gives Bangkok, keeping that claim's note."""
    chosen = best_location([(1, "somewhere in Southeast Asia", 0.5), (3, "", 0.8)], PARENTS)
    assert chosen == (3, "")
    assert best_location([], PARENTS) is None


def test_it_keeps_secret_meetings_secret():
    """One report that talks were undisclosed outweighs silence."""
    assert best_announced([True, False]) is False
    assert best_announced([True]) is True
    assert best_announced([]) is None


def test_it_titles_meetings_by_surname_and_chinese_full_name():
    """Western names shorten to surnames; Chinese names stay whole."""
    names = [("Jake Sullivan", "US"), ("Wang Yi", "CN")]
    assert meeting_title(names, "meeting", "Bangkok") == "Sullivan–Wang Yi talks in Bangkok"
    assert meeting_title([("Janet Yellen", "US")], "visit", "China") == "Yellen visit to China"


def test_it_titles_people_by_surname_not_by_suffix():
    """ "Jr." or "III" after a name is not the surname shown in titles."""
    names = [("Charles Q. Brown Jr.", "US"), ("Zhang Youxia", "CN")]
    assert meeting_title(names, "call", None) == "Brown–Zhang Youxia call"
    assert meeting_title([("John Smith III", "US")], "meeting", None) == "Smith talks"
    assert meeting_title([], "working_group", "Beijing", "Fentanyl") == (
        "US–China working group on Fentanyl in Beijing"
    )


def test_it_picks_the_same_date_and_kind_whatever_order_the_reports_came_in():
    """Equally strong claims are settled by what they say, not by which arrived first."""
    early = DateClaim(date(2024, 3, 1), date(2024, 3, 10), "month")
    late = DateClaim(date(2024, 3, 3), date(2024, 3, 10), "month")
    dates = [(early, "held", 0.5), (late, "held", 0.5)]
    assert best_date(dates) == best_date(dates[::-1]) == early
    kinds = [("dialogue", 0.5), ("summit", 0.5)]
    assert best_kind(kinds) == best_kind(kinds[::-1])
