"""Meetings: participants from both sides, kind, status, place, dates, merging and evidence."""

from datetime import date


def summary(meeting) -> tuple:
    people = tuple(sorted(p.slug for p in meeting.participants))
    return (meeting.kind, meeting.status, people, meeting.location)


def test_it_finds_a_held_meeting_with_place_and_day(run):
    """Named people of both sides, a past verb, a place and a weekday make a held meeting."""
    result = run("Jake Sullivan met Wang Yi in Geneva on Friday to discuss export controls.")
    (meeting,) = result.meetings
    assert summary(meeting) == ("meeting", "held", ("jake-sullivan", "wang-yi"), "geneva")
    assert (meeting.start_date, meeting.end_date, meeting.date_precision) == (
        date(2024, 1, 26),
        date(2024, 1, 26),
        "day",
    )
    assert meeting.topics == ["trade"]
    assert meeting.title == "Sullivan–Wang Yi talks in Geneva"
    sides = {p.slug: (p.side, p.role) for p in meeting.participants}
    assert sides["wang-yi"] == ("cn", "Foreign Minister")


def test_it_reads_planned_held_and_cancelled(run):
    """Modal and scheduling words plan a meeting; 'called off' cancels one."""
    planned = run("Jake Sullivan is scheduled to meet Wang Yi in Vienna next week.").meetings
    held = run("Jake Sullivan held talks with Wang Yi in Vienna last week.").meetings
    cancelled = run("A planned meeting between Jake Sullivan and Wang Yi was called off.").meetings
    assert [m.status for m in planned + held + cancelled] == ["planned", "held", "cancelled"]
    assert (planned[0].start_date, planned[0].end_date) == (date(2024, 1, 29), date(2024, 2, 4))


def test_it_needs_participants_from_both_sides(run):
    """Two officials of one side, or one official alone, make no meeting."""
    assert run("Joe Biden met Janet Yellen at the White House on Monday.").meetings == []
    assert run("Wang Yi held talks in Beijing on Monday.").meetings == []


def test_it_calls_an_in_person_meeting_of_leaders_a_summit(run):
    """Presidents of both sides meeting in person hold a summit."""
    result = run("Joe Biden met Xi Jinping in Woodside in November.")
    (meeting,) = result.meetings
    assert summary(meeting) == ("summit", "held", ("joe-biden", "xi-jinping"), "woodside")
    assert (meeting.start_date, meeting.date_precision) == (date(2023, 11, 1), "month")
    assert meeting.title == "Biden–Xi summit in Woodside"


def test_it_reads_a_planned_call(run):
    """A telephone conversation that officials expect is a planned call without a place."""
    result = run("Aides expect Joe Biden and Xi Jinping to hold a phone call in the coming weeks.")
    (meeting,) = result.meetings
    assert summary(meeting) == ("call", "planned", ("joe-biden", "xi-jinping"), None)
    assert meeting.title == "Biden–Xi call"
    assert meeting.date_precision == "unknown"


def test_it_records_a_visit_to_the_other_side(run):
    """One side's official travelling to the other side's country is a visit."""
    result = run("Treasury Secretary Janet Yellen will travel to Beijing next month.")
    (meeting,) = result.meetings
    assert summary(meeting) == ("visit", "planned", ("janet-yellen",), "beijing")
    assert (meeting.start_date, meeting.date_precision) == (date(2024, 2, 1), "month")
    assert meeting.title == "Yellen visit to Beijing"


def test_it_keeps_possible_visits_planned_with_low_confidence(run):
    """'could visit' stays planned with confidence at most 0.4."""
    (meeting,) = run("Janet Yellen could visit China in the spring, aides said.").meetings
    assert meeting.status == "planned"
    assert meeting.confidence <= 0.4


def test_it_makes_one_meeting_per_place(run):
    """'in Vienna and Malta' is two meetings, each with its own place."""
    result = run("Jake Sullivan and Wang Yi met secretly in Vienna and Malta last year.")
    assert [summary(m) for m in result.meetings] == [
        ("meeting", "held", ("jake-sullivan", "wang-yi"), "vienna"),
        ("meeting", "held", ("jake-sullivan", "wang-yi"), "malta"),
    ]
    assert all(m.announced is False for m in result.meetings)
    assert all(m.date_precision == "year" and m.start_date.year == 2023 for m in result.meetings)


def test_it_merges_mentions_of_one_meeting(run):
    """A later sentence about the same talks adds evidence instead of a second meeting."""
    text = (
        "Jake Sullivan will hold talks with Wang Yi in Bangkok next week.\n"
        "Officials said the meeting between Sullivan and Wang would cover fentanyl.\n"
        "The talks come as both sides watch the Red Sea."
    )
    (meeting,) = run(text).meetings
    assert summary(meeting) == ("meeting", "planned", ("jake-sullivan", "wang-yi"), "bangkok")
    assert len(meeting.evidence) == 3
    assert meeting.topics == ["fentanyl", "red-sea"]


def test_it_records_a_meeting_mentioned_in_passing(run):
    """'since Biden met Xi in San Francisco in November' is a meeting of its own."""
    text = (
        "Jake Sullivan will meet Wang Yi soon, the first meeting since Biden met Xi "
        "in San Francisco in November."
    )
    result = run(text)
    kinds = sorted(summary(m) for m in result.meetings)
    assert kinds == [
        ("meeting", "planned", ("jake-sullivan", "wang-yi"), None),
        ("summit", "held", ("joe-biden", "xi-jinping"), "san-francisco"),
    ]


def test_it_reads_secret_and_preannounced_meetings(run):
    """Backchannel talks are unannounced; a pre-announced meeting is announced."""
    (secret,) = run("Jake Sullivan held backchannel talks with Wang Yi in Malta.").meetings
    text = "The pre-announced meeting of Joe Biden and Xi Jinping is set for May."
    (public,) = run(text).meetings
    plain = run("Jake Sullivan met Wang Yi in Malta.").meetings[0]
    assert (secret.announced, public.announced, plain.announced) == (False, True, None)


def test_it_holds_a_working_group_between_the_two_countries(run):
    """'The United States and China will hold counternarcotics talks' needs no named people."""
    text = "The United States and China will hold counternarcotics talks in Beijing on Tuesday."
    result = run(text)
    (meeting,) = result.meetings
    assert summary(meeting) == ("working_group", "planned", (), "beijing")
    assert meeting.start_date == date(2024, 1, 30)
    assert meeting.title == "US–China working group meeting in Beijing"


def test_it_counts_new_officials_as_participants(run):
    """An official missing from the gazetteer joins the meeting as a NewPerson."""
    (meeting,) = run("Commerce Secretary Jane Roe met He Lifeng in Beijing on Monday.").meetings
    assert summary(meeting) == ("meeting", "held", ("he-lifeng", "jane-roe"), "beijing")
    roe = next(p for p in meeting.participants if p.slug == "jane-roe")
    assert (roe.side, roe.role) == ("us", "Commerce Secretary")


def test_it_leaves_dates_unresolved_without_publication(gazetteer):
    """Without a publication date a 'last week' meeting keeps no date."""
    from diplomacy.extraction import extract

    (meeting,) = extract("Jake Sullivan met Wang Yi in Geneva last week.", None, gazetteer).meetings
    assert (meeting.start_date, meeting.date_precision) == (None, "unknown")


def test_it_gives_the_main_meeting_topics_from_the_whole_article(run):
    """The main meeting collects topics article-wide; a passing one only from its paragraph."""
    text = (
        "Jake Sullivan met Wang Yi in Bangkok on Friday.\n"
        "Their teams discussed artificial intelligence.\n"
        "Separately, Joe Biden met Xi Jinping in Woodside in November to discuss Taiwan.\n"
        "Sullivan and Wang also covered the South China Sea, officials said after the talks."
    )
    meetings = {m.location: m for m in run(text).meetings}
    assert meetings["bangkok"].topics == ["ai", "taiwan", "south-china-sea"]
    assert meetings["woodside"].topics == ["taiwan"]


def test_it_emits_a_topic_mention_for_every_keyword(run):
    """Every keyword hit, case-insensitive, whole-word or plural, is a topic mention."""
    text = "Fentanyl, FENTANYL and intercepts, not fentanylic, and Taiwan's cross-strait ties."
    result = run(text)
    topics = [(m.text, m.slug) for m in result.mentions if m.kind == "topic"]
    assert topics == [
        ("Fentanyl", "fentanyl"),
        ("FENTANYL", "fentanyl"),
        ("intercepts", "mil-mil"),
        ("Taiwan", "taiwan"),
        ("cross-strait", "taiwan"),
    ]


def test_it_supports_every_meeting_field_with_evidence(run):
    """Each non-empty field of each meeting is listed by at least one evidence sentence."""
    text = (
        "Jake Sullivan will meet Wang Yi in Bangkok next week to discuss fentanyl.\n"
        "Joe Biden and Xi Jinping held a video call on Friday about Taiwan.\n"
        "Treasury Secretary Janet Yellen visited Beijing in July.\n"
        "The talks come as tensions rise in the South China Sea."
    )
    result = run(text)
    assert len(result.meetings) == 3
    for meeting in result.meetings:
        supported = {field for span in meeting.evidence for field in span.fields}
        needed = {"kind", "status"}
        needed |= {"participants"} if meeting.participants else set()
        needed |= {"date"} if meeting.start_date else set()
        needed |= {"location"} if meeting.location else set()
        needed |= {"topics"} if meeting.topics else set()
        assert needed <= supported, meeting.title
        for span in meeting.evidence:
            assert text[span.start : span.end].strip() == text[span.start : span.end]
            assert 0 <= span.confidence <= 1


def test_it_skips_meetings_of_unnamed_officials(run):
    """'a meeting between U.S. and Chinese officials' names no participants."""
    assert run("There was a meeting between U.S. and Chinese officials in Geneva.").meetings == []


def test_it_gathers_the_hosts_of_a_visit(run):
    """Officials met during a visit join it instead of making separate meetings."""
    text = (
        "Treasury Secretary Janet Yellen arrived in Beijing on Thursday for a three-day visit.\n"
        "She met Vice Premier He Lifeng on Friday and Xi Jinping on Saturday.\n"
        "He said the talks had been useful."
    )
    result = run(text, date(2024, 1, 28))
    (visit,) = result.meetings
    assert summary(visit) == (
        "visit",
        "held",
        ("he-lifeng", "janet-yellen", "xi-jinping"),
        "beijing",
    )
    assert (visit.start_date, visit.end_date) == (date(2024, 1, 25), date(2024, 1, 27))


def test_it_reads_the_two_leaders_as_both_presidents(run):
    """'the two leaders met' names the US and Chinese presidents in office at the time."""
    (meeting,) = run("The two leaders met in Woodside last November.").meetings
    assert summary(meeting) == ("summit", "held", ("joe-biden", "xi-jinping"), "woodside")


def test_it_does_not_read_the_pronoun_he_as_a_surname(run):
    """'He said' is not He Lifeng, while 'Vice Premier He' is."""
    result = run("He said Joe Biden would travel. Vice Premier He agreed.")
    people = [(m.text, m.slug) for m in result.mentions if m.kind == "person"]
    assert people == [("Joe Biden", "joe-biden"), ("He", "he-lifeng")]


def test_it_refers_the_talks_back_to_the_meeting_already_reported(run):
    """'after the talks, Biden said ...' adds evidence to the summit, not a second meeting."""
    text = (
        "Joe Biden met Xi Jinping in Woodside on Wednesday.\n"
        "After the talks, Mr. Biden said he and Mr. Xi could pick up the phone at any time."
    )
    (meeting,) = run(text, date(2023, 11, 16)).meetings
    assert meeting.kind == "summit"
    assert len(meeting.evidence) == 2


def test_it_reads_they_as_the_main_meetings_participants(run):
    """'They last met in Vienna in May' is an earlier meeting of the same two people."""
    text = (
        "Jake Sullivan met Wang Yi in Bangkok on Friday.\n"
        "They last met in Vienna in May, officials said."
    )
    meetings = {m.location: m for m in run(text).meetings}
    assert summary(meetings["vienna"]) == (
        "meeting",
        "held",
        ("jake-sullivan", "wang-yi"),
        "vienna",
    )
    assert meetings["vienna"].start_date == date(2023, 5, 1)


def test_it_does_not_count_setting_up_a_working_group_as_a_meeting(run):
    """'will set up a working group' plans a body, not a meeting."""
    text = "Officials said the United States and China will set up a working group on fentanyl."
    assert run(text).meetings == []


def test_it_names_who_leads_a_delegation_to_a_working_group(run):
    """'The U.S. delegation will be led by ...' adds that official to a two-country meeting."""
    text = (
        "The United States and China will hold counternarcotics talks in Beijing on Tuesday.\n"
        "The U.S. delegation will be led by Commerce Secretary Jane Roe."
    )
    (meeting,) = run(text).meetings
    assert [p.slug for p in meeting.participants] == ["jane-roe"]
    assert meeting.title == "Roe working group meeting in Beijing"


def test_it_names_the_leads_of_a_working_group_from_a_later_sentence(run):
    """ "The group is co-led by A, <title>, and B, <title>" several sentences on names its leads."""
    text = (
        "The United States and China held the second meeting of the water working group in "
        "Beijing on Tuesday. The talks covered river data. Both sides shared flood forecasts. "
        "They reviewed dam safety. The group reports to both governments.\n"
        "The group is co-led by Jane Roe, U.S. Under Secretary for Water, and Zhang San, Vice "
        "Minister of Water Resources of China."
    )
    (meeting,) = run(text).meetings
    assert {p.slug for p in meeting.participants} == {"jane-roe", "zhang-san"}
    assert meeting.kind == "working_group"


def test_it_does_not_read_an_abbreviated_country_before_an_institution_as_a_place(run):
    """ "at U.S. Treasury" names a department, not the United States as the meeting's place."""
    text = "Janet Yellen met He Lifeng at U.S. Treasury headquarters on Friday."
    (meeting,) = run(text).meetings
    assert meeting.location is None


def test_it_leaves_out_whoever_directs_the_talks(run):
    """ "At the direction of President Biden, A will travel ..." does not put Biden at the talks."""
    text = (
        "At the direction of President Joe Biden, Treasury Secretary Janet Yellen will meet "
        "Vice Premier He Lifeng in Vienna on Friday."
    )
    (meeting,) = run(text).meetings
    assert {p.slug for p in meeting.participants} == {"janet-yellen", "he-lifeng"}


def test_it_leaves_out_the_people_of_the_call_that_a_meeting_follows_up(run):
    """ "as a follow-up to the call between Biden and Xi" names people of another event."""
    text = (
        "Janet Yellen spoke by phone with He Lifeng today as a follow-up to the recent call "
        "between President Biden and President Xi."
    )
    meetings = run(text).meetings
    assert {p.slug for p in meetings[0].participants} == {"janet-yellen", "he-lifeng"}


def test_it_keeps_two_officials_travelling_for_one_round_of_talks_together(run):
    """ "A and B will travel to Beijing to continue negotiations" is one trip, not two."""
    text = (
        "Janet Yellen and Jake Sullivan will travel to Beijing on Monday to continue "
        "negotiations on trade. The talks will last two days. Vice Premier He Lifeng will lead "
        "the talks for China."
    )
    (meeting,) = run(text).meetings
    assert {p.slug for p in meeting.participants} == {"janet-yellen", "jake-sullivan", "he-lifeng"}


def test_it_does_not_give_a_leaders_meeting_with_a_third_country_to_the_call(run):
    """ "Xi's meeting with the Russian leader", discussed in a call, is no U.S.-China summit."""
    text = (
        "Joe Biden spoke by phone today with Xi Jinping. The two leaders discussed regional "
        "matters, including President Xi's meeting last week with the Russian leader."
    )
    meetings = run(text).meetings
    assert [m.kind for m in meetings] == ["call"]


def test_it_does_not_read_the_leaders_following_up_a_call_as_a_summit(run):
    """ "The two leaders tasked their teams to follow up on today's conversation" is the call."""
    text = (
        "Joe Biden spoke by phone today with Xi Jinping about trade.\n"
        "The two leaders tasked their teams to follow up on today's conversation."
    )
    assert [m.kind for m in run(text).meetings] == ["call"]


def test_it_reads_hosting_someone_for_a_visit_as_a_meeting(run):
    """ "A hosted B for an official visit today" reports the hosts' meeting, not a trip."""
    text = "Jake Sullivan hosted Foreign Minister Wang Yi for an official visit today in Vienna."
    (meeting,) = run(text).meetings
    assert (meeting.kind, meeting.location) == ("meeting", "vienna")


def test_it_reads_talks_with_a_visiting_minister_as_a_meeting(run):
    """ "held talks with visiting Secretary B in Beijing" reports talks, not B's whole trip."""
    text = "Wang Wentao held talks with visiting Treasury Secretary Janet Yellen in Beijing today."
    (meeting,) = run(text).meetings
    assert (meeting.kind, meeting.location) == ("meeting", "beijing")


def test_it_does_not_read_open_dialogue_in_general_as_a_dialogue_session(run):
    """ "the importance of open and productive dialogue" does not make the talks a dialogue."""
    text = (
        "Wang Wentao met Treasury Secretary Janet Yellen in Beijing today. Recognizing the "
        "importance of open and productive dialogue between the two countries, Wang Wentao and "
        "Janet Yellen agreed to stay in touch."
    )
    assert [m.kind for m in run(text).meetings] == ["meeting"]


def test_it_reads_named_two_country_talks_on_a_subject_as_a_dialogue(run):
    """ "the U.S.-China Talks on Water Security" names a mechanism: its session is a dialogue."""
    text = (
        "Jake Sullivan and Wang Yi opened the U.S.-China Talks on Water Security in Vienna today."
    )
    (meeting,) = run(text).meetings
    assert meeting.kind == "dialogue"


def test_it_reads_a_round_of_named_talks_led_by_a_new_official_as_a_dialogue(run):
    """ "Jane Q. Roe, deputy assistant secretary ..., led the U.S. delegation to Beijing for the
    ninth round of the Water Policy Talks between the U.S. and China" is that dialogue."""
    text = (
        "Jane Q. Roe, deputy assistant secretary of the interior, led the U.S. delegation to "
        "Beijing for the ninth round of the Water Policy Talks between the U.S. and China on "
        "Friday."
    )
    result = run(text)
    assert [p.name for p in result.new_people] == ["Jane Q. Roe"]
    (meeting,) = result.meetings
    assert (meeting.kind, meeting.location) == ("dialogue", "beijing")
    assert [p.slug for p in meeting.participants] == ["jane-q-roe"]


def test_it_keeps_ordinary_talks_on_a_subject_a_meeting(run):
    """Lower-case "talks on trade" between two officials stay a meeting."""
    text = "Jake Sullivan and Wang Yi held talks on trade in Vienna today."
    (meeting,) = run(text).meetings
    assert meeting.kind == "meeting"


def test_it_dates_undated_days_of_talks_to_the_days_before_publication(run):
    """ "Two days of talks" reported without dates end on the day of the report."""
    result = run("Jake Sullivan and Wang Yi held two days of talks in Bangkok, officials said.")
    (meeting,) = result.meetings
    assert (meeting.start_date, meeting.end_date, meeting.date_precision) == (
        date(2024, 1, 26),
        date(2024, 1, 27),
        "day",
    )
    assert any("date" in evidence.fields for evidence in meeting.evidence)


def test_it_reads_meetings_over_video_as_calls(run):
    """'Met virtually', 'via video teleconference', 'VTC': a call, whatever the verb."""
    texts = (
        "Jake Sullivan met virtually with Wang Yi on Thursday.",
        "Jake Sullivan held talks with Wang Yi on Thursday via video teleconference.",
        "Jake Sullivan and Wang Yi held a VTC on Thursday.",
        "Jake Sullivan had his first engagement with Wang Yi yesterday by video link.",
    )
    for text in texts:
        (meeting,) = run(text).meetings
        assert meeting.kind == "call", text


def test_it_counts_a_call_called_a_meeting_once(run):
    """'The first meeting between A and B', undated, is the call of A and B the text reports."""
    result = run(
        "Jake Sullivan and Wang Yi spoke by phone on Thursday. It was the first meeting between "
        "Jake Sullivan and Wang Yi since Sullivan returned from leave in October."
    )
    (meeting,) = result.meetings
    assert (meeting.kind, meeting.start_date) == ("call", date(2024, 1, 25))


def test_it_leaves_people_of_a_referenced_meeting_out_of_this_one(run):
    """'To follow up on the summit between A and B': A and B were at the summit, not here."""
    result = run(
        "Jake Sullivan met on Friday with Director of the Office, and Foreign Minister Wang Yi in "
        "Bangkok to follow up on the summit between Joe Biden and Xi Jinping last November."
    )
    people = {m.kind: sorted(p.slug for p in m.participants) for m in result.meetings}
    assert people == {
        "meeting": ["jake-sullivan", "wang-yi"],
        "summit": ["joe-biden", "xi-jinping"],
    }


def test_it_records_named_officials_meeting_an_unnamed_delegation(run):
    """Officials of one side who meet 'a PRC delegation' hold a meeting; they are its people."""
    (meeting,) = run(
        "Jake Sullivan led a U.S. delegation to meet with a PRC delegation on Thursday in Geneva."
    ).meetings
    assert [p.slug for p in meeting.participants] == ["jake-sullivan"]
    assert meeting.start_date == date(2024, 1, 25)


def test_it_takes_the_lead_named_before_will_lead(run):
    """'A will lead a delegation to launch the working group': A is in the working group."""
    (meeting,) = run(
        "Deputy Adviser to the President Dana Marsh will lead an interagency U.S. delegation to "
        "Beijing on January 30 to launch the U.S.-China Counternarcotics Working Group."
    ).meetings
    assert meeting.kind == "working_group"
    assert [p.slug for p in meeting.participants] == ["dana-marsh"]


def test_it_does_not_take_the_forum_hosting_a_meeting_for_its_kind(run):
    """Talks on the margins of a forum called a dialogue are a meeting; a dialogue held is one."""
    margins = "Jake Sullivan met Wang Yi in Bangkok on the margins of the Mekong Security Dialogue."
    (meeting,) = run(margins).meetings
    assert meeting.kind == "meeting"
    (held,) = run("Jake Sullivan and Wang Yi held a strategic dialogue in Vienna.").meetings
    assert held.kind == "dialogue"


def test_it_keeps_the_people_of_each_earlier_meeting_in_a_list_apart(run):
    """One sentence recalling two earlier meetings does not put all their people in one."""
    text = (
        "Jake Sullivan met Wang Yi in Bangkok on Friday. The talks build on recent contacts, "
        "including between Sullivan and Wang Yi in Vienna as well as meetings between "
        "Secretary Yellen, President Biden and their counterparts in Beijing."
    )
    for meeting in run(text).meetings:
        slugs = {p.slug for p in meeting.participants}
        assert not {"jake-sullivan", "janet-yellen"} <= slugs, slugs


def test_it_reads_spoke_today_with_as_a_call(run):
    """A readout's "spoke today with" is a call; "spoke with" someone in a city stays talks."""
    (call,) = run("Jake Sullivan spoke yesterday with Wang Yi about the Red Sea.").meetings
    assert (call.kind, call.start_date) == ("call", date(2024, 1, 26))
    (talks,) = run("Jake Sullivan spoke with Wang Yi in Vienna on Friday.").meetings
    assert talks.kind == "meeting"


def test_it_does_not_read_dialogue_and_cooperation_as_a_dialogue_session(run):
    """ "promoting dialogue and cooperation" names a practice: the meeting stays a meeting."""
    text = (
        "Jake Sullivan met Wang Yi in Vienna on Friday. In line with the understandings reached "
        "by the two presidents at their summit in Woodside, the two sides had candid "
        "communication on advancing China-U.S. dialogue and cooperation in various fields."
    )
    assert sorted(m.kind for m in run(text).meetings) == ["meeting", "summit"]


def test_it_adds_an_official_who_held_talks_with_the_other_side_to_the_meeting_just_reported(
    run,
):
    """ "He Lifeng held talks with the U.S. side" after a meeting of that side: one meeting."""
    text = (
        "On Friday, Wang Yi met Jake Sullivan and Janet Yellen in Vienna. Vice Premier He Lifeng "
        "held talks with the U.S. side."
    )
    (meeting,) = run(text).meetings
    assert {p.slug for p in meeting.participants} == {
        "wang-yi",
        "jake-sullivan",
        "janet-yellen",
        "he-lifeng",
    }


def test_it_keeps_talks_on_another_day_with_the_same_side_apart(run):
    """A second official's talks on another day with the side just reported are a meeting
    of their own."""
    text = (
        "On Friday, Wang Yi met Jake Sullivan and Janet Yellen in Vienna. On Sunday, Vice "
        "Premier He Lifeng held talks with them in Geneva."
    )
    assert len(run(text).meetings) == 2


def test_it_reads_the_call_as_a_deliverable_of_an_earlier_summit_as_the_call_reported(run):
    """ "The call was a deliverable from the summit between Biden and Xi": the leaders met at
    the summit, not on the call, and "during the call" goes on about the call reported."""
    text = (
        "Jake Sullivan held a video call with Wang Yi on Friday. The call was a deliverable from "
        "the summit between President Joe Biden and President Xi Jinping, held in November 2023. "
        "During the call, Sullivan stressed the importance of open lines of communication."
    )
    found = {(m.kind, tuple(sorted(p.slug for p in m.participants))) for m in run(text).meetings}
    assert found == {
        ("call", ("jake-sullivan", "wang-yi")),
        ("summit", ("joe-biden", "xi-jinping")),
    }


def test_it_reads_a_transcript_speakers_i_and_you_as_the_people_meeting(run):
    """In "WANG YI: Mr. Sullivan, it is a pleasure for me to meet with you here." the speaker
    and the person addressed meet, on the day the remarks are published, where the header
    line under the title places them."""
    text = (
        "Remarks Before Their Meeting\n\n"
        "Vienna, Austria\n\n"
        "FOREIGN MINISTER WANG YI: Mr. Sullivan, it is a pleasure for me to meet with you "
        "here. We hope for good results.\n\n"
        "MR. SULLIVAN: Thank you, Minister.\n"
    )
    (meeting,) = run(text, date(2024, 5, 10)).meetings
    assert summary(meeting) == ("meeting", "held", ("jake-sullivan", "wang-yi"), "vienna")
    assert (meeting.start_date, meeting.date_precision) == (date(2024, 5, 10), "day")


def test_it_leaves_i_unresolved_without_a_speaker_label(run):
    """Without a speaker label, "I" is no one: a quoted official's "for me to meet with you"
    makes no meeting with one side alone."""
    text = 'Jake Sullivan said: "It is a pleasure for me to meet with you here."'
    assert run(text).meetings == []


def test_it_reads_a_bare_month_without_tense_as_the_nearer_one(run):
    """ "The main item is the visit to China by Janet Yellen in March", published in January,
    is this March's visit, still ahead."""
    text = "The main item is the visit to Beijing by Janet Yellen in March to meet He Lifeng."
    (meeting,) = run(text).meetings
    assert (meeting.start_date, meeting.status) == (date(2024, 3, 1), "planned")


def test_it_adds_who_gave_remarks_at_the_meeting_to_a_meeting_of_two_governments(run):
    """ "Jake Sullivan gave remarks at the senior officials meeting" puts him at the working
    group's meeting the two governments held."""
    text = (
        "On Friday, the United States and China held a senior officials meeting of the "
        "Counternarcotics Working Group in Vienna. Jake Sullivan gave remarks at the senior "
        "officials meeting."
    )
    (meeting,) = run(text).meetings
    assert (meeting.kind, [p.slug for p in meeting.participants]) == (
        "working_group",
        ["jake-sullivan"],
    )


def test_it_reads_a_meeting_held_as_part_of_a_working_group_as_its_session(run):
    """ "convened a meeting of senior officials in Vienna, as part of the Counternarcotics
    Working Group" is a working-group session in Vienna."""
    text = (
        "Last week, the United States and China convened a meeting of senior officials in "
        "Vienna, as part of the Counternarcotics Working Group."
    )
    (meeting,) = run(text).meetings
    assert (meeting.kind, meeting.location) == ("working_group", "vienna")


def test_it_reads_an_acronym_a_working_group_defines_as_that_working_group(run):
    """ "the Counternarcotics Working Group (CNWG)" makes "The July 2023 CNWG" its session."""
    text = (
        "Last week, the United States and China convened a meeting of senior officials in "
        "Vienna, as part of the Counternarcotics Working Group (CNWG). The July 2023 CNWG was "
        "chaired by staff of both governments."
    )
    (meeting,) = run(text, None).meetings
    assert (meeting.kind, meeting.start_date, meeting.date_precision) == (
        "working_group",
        date(2023, 7, 1),
        "month",
    )


def test_it_plans_a_call_listed_after_a_commitment_to_more_diplomacy(run):
    """ "committed to pursue more diplomacy, including through a call between the presidents"
    plans the call; "met ... and committed to" still reports a held meeting."""
    text = (
        "Jake Sullivan met Wang Yi in Vienna on Friday and committed to keep talking. The two "
        "sides committed to pursue more diplomacy, including through a call between President "
        "Joe Biden and President Xi Jinping."
    )
    found = {(m.kind, m.status) for m in run(text).meetings}
    assert found == {("meeting", "held"), ("call", "planned")}


def test_it_does_not_put_the_people_welcoming_a_working_groups_launch_at_it(run):
    """ "Sullivan and Wang welcomed progress, including the launch of the U.S.-China
    Counternarcotics Working Group on January 30": the two governments' group, not theirs."""
    text = (
        "Jake Sullivan met Wang Yi in Vienna on Friday. Sullivan and Wang welcomed progress on "
        "counternarcotics, including the launch of the U.S.-China Counternarcotics Working "
        "Group on January 30."
    )
    groups = [m for m in run(text).meetings if m.kind == "working_group"]
    assert [(m.status, m.participants) for m in groups] == [("planned", [])]


def test_it_plans_a_dialogue_they_discussed_holding(run):
    """ "discussed next steps towards holding a dialogue on AI in the spring" plans it for the
    coming spring."""
    text = (
        "Jake Sullivan met Wang Yi in Vienna on Friday. They also discussed next steps towards "
        "holding a U.S.-China dialogue on AI in the spring."
    )
    (dialogue,) = [m for m in run(text).meetings if m.kind == "dialogue"]
    assert (dialogue.status, dialogue.start_date) == ("planned", date(2024, 3, 1))


def test_it_reads_a_working_group_meeting_by_video_link_as_the_groups_session(run):
    """ "The China-U.S. economic working group held its first meeting via video link on
    Tuesday" is a working-group session on that Tuesday, not a call."""
    text = (
        "The China-U.S. economic working group held its first meeting via video link on "
        "Tuesday, the finance ministry said."
    )
    (meeting,) = run(text).meetings
    assert (meeting.kind, meeting.start_date) == ("working_group", date(2024, 1, 23))


def test_it_finds_a_meeting_of_one_named_side_with_a_delegation_from_the_other(run):
    """ "officials led by Janet Yellen concluded meetings in Beijing with a delegation from the
    government of China" names one side; the other is there, unnamed."""
    text = (
        "Over the weekend, officials led by Janet Yellen concluded a series of meetings in "
        "Beijing with a delegation from the government of China."
    )
    (meeting,) = run(text).meetings
    assert summary(meeting) == ("meeting", "held", ("janet-yellen",), "beijing")


def test_it_keeps_the_summit_an_opening_phrase_follows_apart_from_the_meeting_reported(run):
    """ "Following President Biden's summit with President Xi in Woodside, California, Janet
    Yellen met He Lifeng" reports two meetings, each with its own people."""
    text = (
        "Following President Joe Biden's summit on Wednesday with President Xi Jinping in "
        "Woodside, California, Janet Yellen met yesterday with Vice Premier He Lifeng."
    )
    found = {(m.kind, tuple(sorted(p.slug for p in m.participants))) for m in run(text).meetings}
    assert found == {
        ("summit", ("joe-biden", "xi-jinping")),
        ("meeting", ("he-lifeng", "janet-yellen")),
    }
