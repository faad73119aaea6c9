"""Places: gazetteer names with word boundaries, 'City, Country' pairs, regions, metonyms."""

from datetime import date


def places(result) -> list[tuple[str, str]]:
    return [(m.text, m.slug) for m in result.mentions if m.kind == "location"]


def test_it_folds_a_city_and_its_country_into_the_city(run):
    """'Bangkok, Thailand' is one mention of Bangkok."""
    assert places(run("Delegates gathered in Bangkok, Thailand.")) == [
        ("Bangkok, Thailand", "bangkok")
    ]


def test_it_matches_whole_words_only(run):
    """'Maltese' and 'Viennas' are not Malta or Vienna."""
    assert places(run("A Maltese ferry passed two Viennas of the mind.")) == []


def test_it_does_not_treat_demonyms_as_places(run):
    """'Chinese' and 'American' mention no place."""
    assert places(run("Chinese and American diplomats spoke.")) == []


def test_it_reads_a_regional_phrase_as_the_region(run):
    """'a Southeast Asian country' is a mention of the Southeast Asia region."""
    result = run("They will meet in a Southeast Asian country.")
    assert places(result) == [("Southeast Asian country", "southeast-asia")]


def test_it_keeps_the_vague_phrase_as_the_location_note(run):
    """A meeting at an undisclosed location in a region keeps the phrase as its note."""
    result = run(
        "Jake Sullivan will meet Wang Yi at an undisclosed location in Southeast Asia next week."
    )
    (meeting,) = result.meetings
    assert meeting.location == "southeast-asia"
    assert meeting.location_note == "an undisclosed location in Southeast Asia"


def test_it_does_not_take_a_capital_used_for_its_government_as_the_place(run):
    """In 'Washington urges Beijing' neither capital is where talks happen."""
    result = run("As Jake Sullivan met Wang Yi on Friday, Washington urged Beijing to act.")
    (meeting,) = result.meetings
    assert meeting.location is None


def test_it_takes_the_place_next_to_the_meeting_expression(run):
    """'met ... at the White House' places the meeting in the venue's city, named in the note."""
    result = run("Joe Biden met He Lifeng at the White House on Friday.")
    (meeting,) = result.meetings
    assert (meeting.location, meeting.location_note) == ("washington", "White House")


def test_it_finds_the_place_after_a_long_title_of_the_person_met(run):
    """A title of many parts puts the city far from 'met'; after the name it is still the place."""
    (meeting,) = run(
        "Jake Sullivan met on Friday with Member of the Standing Committee, Head of the Central "
        "Office of Foreign Affairs of the Party, and Foreign Minister Wang Yi in Bangkok to "
        "review trade."
    ).meetings
    assert meeting.location == "bangkok"


def test_it_keeps_a_country_named_as_the_place(run):
    """'In Malta', with no city, makes the country the place."""
    (meeting,) = run("Jake Sullivan met with Wang Yi in Malta on Saturday.").meetings
    assert meeting.location == "malta"


def test_it_takes_a_dated_place_far_after_the_meeting_words(run):
    """ "...to meet with ... on June 3 in Geneva": a long list of delegates does not lose it."""
    text = (
        "Jake Sullivan led a delegation of officials from the White House, the Treasury, the "
        "Pentagon and the Department of Commerce to meet with Wang Yi and a team drawn from five "
        "ministries, two planning commissions and the office of a party body on June 3 in "
        "Geneva, Switzerland, to discuss chips."
    )
    (meeting,) = run(text).meetings
    assert meeting.location == "geneva"


def test_it_leaves_a_far_place_without_a_date_out(run):
    """A place a long way after the meeting words, not tied to its date, is not its place."""
    text = (
        "Jake Sullivan met Wang Yi and a team drawn from five ministries and two commissions, "
        "officials of the White House, the Treasury, the Pentagon and of Commerce said, adding "
        "that the pair had once studied in Geneva."
    )
    assert [m.location for m in run(text).meetings] == [None]


def test_it_takes_the_place_after_the_date_when_a_list_ends_the_clause(run):
    """A list of agencies splits the sentence, yet "on June 3 in Geneva" still places it."""
    text = (
        "Jake Sullivan led a team to meet with Wang Yi and aides from the Ministry of Water, "
        "the Ministry of Roads, the Office of Ports, and the Bureau of Weather, "
        "on June 3 in Geneva, Switzerland, to discuss chips."
    )
    (meeting,) = run(text).meetings
    assert meeting.location == "geneva"


def test_it_takes_the_place_of_the_forum_whose_margins_host_the_meeting(run):
    """ "on the sidelines of <a long forum name> in Vienna" places the meeting in Vienna."""
    text = (
        "Janet Yellen met on Friday with Vice Premier He Lifeng, who leads the economic "
        "portfolio of the State Council, on the sidelines of the annual gathering of finance "
        "ministers and central bank governors in Vienna."
    )
    (meeting,) = run(text).meetings
    assert meeting.location == "vienna"


def test_it_takes_a_far_place_followed_by_the_meeting_dates(run):
    """ "... in Vienna, Jan. 10-11": a place dated right after it is the meeting's place."""
    text = (
        "Janet Yellen met He Lifeng and officials from the central bank, the finance ministry "
        "and two market regulators for the annual session of the joint financial working "
        "group in Vienna, Jan. 10-11."
    )
    (meeting,) = run(text).meetings
    assert meeting.location == "vienna"


def test_it_does_not_take_a_place_followed_by_a_date_without_in_or_at(run):
    """ "..., the White House, Jan. 12" is a release's stamp, not the meeting's place."""
    text = (
        "Readout of Jake Sullivan's meeting with Member of the Political Bureau and Director "
        "of the Office of the Foreign Affairs Commission Wang Yi, the White House, Jan. 12."
    )
    assert [m.location for m in run(text).meetings] in ([], [None])


def test_it_takes_the_place_after_today_far_from_the_meeting_words(run):
    """ "... for talks on a long list of subjects today in Vienna": today ties the place."""
    text = (
        "Jake Sullivan met Foreign Minister Wang Yi and a team drawn from five ministries, two "
        "commissions and the office of a party body for an exchange of views today in Vienna."
    )
    (meeting,) = run(text).meetings
    assert meeting.location == "vienna"


def test_it_makes_one_meeting_per_place_each_with_its_own_days(run):
    """ "met in Vienna from July 16 to 19 and in Geneva from Nov. 4 to 7" reports two
    meetings, each with the days that follow its place."""
    result = run(
        "Jake Sullivan and Wang Yi met in Vienna from July 16 to 19 and in Geneva from Nov. 4 "
        "to 7, the two sides said.",
        date(2023, 11, 15),
    )
    found = sorted((m.location, m.start_date, m.end_date) for m in result.meetings)
    assert found == [
        ("geneva", date(2023, 11, 4), date(2023, 11, 7)),
        ("vienna", date(2023, 7, 16), date(2023, 7, 19)),
    ]


def test_it_reads_and_also_in_as_a_second_place(run):
    """ "the two meetings between them in Vienna and also in Geneva" were held in both."""
    result = run(
        "Jake Sullivan recalled the two meetings between him and Wang Yi in Vienna and also in "
        "Geneva last year."
    )
    assert sorted(m.location for m in result.meetings) == ["geneva", "vienna"]
