"""People: names, aliases, surnames, titles resolved on the article's date, new officials."""

from datetime import date

from diplomacy.extraction import extract


def people(result) -> list[tuple[str, str]]:
    return [(m.text, m.slug) for m in result.mentions if m.kind == "person"]


def test_it_finds_names_and_aliases(run):
    """Canonical names and aliases resolve to their gazetteer slugs."""
    result = run("Joseph R. Biden greeted Xi Jinping at the gate.")
    assert people(result) == [("Joseph R. Biden", "joe-biden"), ("Xi Jinping", "xi-jinping")]


def test_it_resolves_surnames_after_honorifics_and_titles(run):
    """'Mr. Sullivan', 'President Xi' and a bare surname resolve to the full names."""
    result = run("Reporters waited outside. Mr. Sullivan arrived first. President Xi spoke later.")
    assert people(result) == [("Sullivan", "jake-sullivan"), ("Xi", "xi-jinping")]


def test_it_prefers_the_namesake_named_in_the_article(run):
    """An ambiguous 'Mr. Wang' is the Wang named in full earlier in the article."""
    result = run("Wang Wentao opened the trade fair. Later Mr. Wang toured the port.")
    assert people(result)[-1] == ("Wang", "wang-wentao")
    result = run("Wang Yi chaired the forum. Mr. Wang then left for the airport.")
    assert people(result)[-1] == ("Wang", "wang-yi")


def test_it_uses_a_title_to_choose_between_namesakes(run):
    """'Commerce Minister Wang' is the commerce minister even after Wang Yi was named."""
    result = run("Wang Yi spoke first. Then Commerce Minister Wang outlined the rules.")
    assert people(result)[-1] == ("Wang", "wang-wentao")


def test_it_leaves_a_surname_of_someone_else_unresolved(run):
    """'Wang Xiaoming' is not Wang Yi or Wang Wentao, and 'Mike Sullivan' is not Jake."""
    result = run("Wang Xiaoming and Mike Sullivan watched the match.")
    assert people(result) == []


def test_it_resolves_a_title_to_the_holder_on_the_articles_date(run):
    """'China's foreign minister' is Qin Gang in spring 2023 and Wang Yi later that year."""
    text = "China's foreign minister is expected in Geneva."
    spring = run(text, date(2023, 4, 1))
    autumn = run(text, date(2023, 10, 1))
    assert ("foreign minister", "qin-gang") in people(spring)
    assert ("foreign minister", "wang-yi") in people(autumn)
    titles = [m.value for m in spring.mentions if m.kind == "title"]
    assert titles == ["foreign-minister"]


def test_it_needs_a_country_for_a_title_held_in_every_country(run):
    """A bare 'the foreign minister' names no country, so no holder is guessed."""
    result = run("The foreign minister is expected in Geneva.", date(2023, 10, 1))
    assert people(result) == []


def test_it_does_not_resolve_a_former_title_to_the_current_holder(run):
    """'former Chinese foreign minister' is not whoever holds the post now."""
    result = run("A former Chinese foreign minister spoke in Geneva.", date(2023, 10, 1))
    assert people(result) == []


def test_it_discovers_officials_missing_from_the_gazetteer(run):
    """A title followed by an unknown name yields a NewPerson that later surnames find."""
    result = run("Commerce Secretary Jane Roe met Vice Premier Zhang San. Ms. Roe smiled.")
    found = {(p.slug, p.name, p.country, p.role) for p in result.new_people}
    assert found == {
        ("jane-roe", "Jane Roe", "US", "commerce-secretary"),
        ("zhang-san", "Zhang San", "CN", "vice-premier"),
    }
    assert people(result) == [
        ("Jane Roe", "jane-roe"),
        ("Zhang San", "zhang-san"),
        ("Roe", "jane-roe"),
    ]


def test_it_does_not_read_ta_debris_or_weekdays_as_new_names(run):
    """'Secretary of State Said Monday' and 'Ta.' create no new people."""
    result = run("The Secretary of State Said Monday that plans changed. Ta. Nothing more.")
    assert result.new_people == []


def test_it_accepts_a_spelling_variant_of_the_given_name(run):
    """'Lai Ching-de' is Lai Ching-te although only the surname matches exactly."""
    result = run("Lai Ching-de won the election.")
    assert ("Lai", "lai-ching-te") in people(result)


def test_it_reads_a_service_and_rank_after_a_title_as_part_of_the_title(run):
    """'Air Force Gen.' between a title and a new name is a rank, never a person."""
    result = run(
        "Chairman of the Joint Chiefs of Staff Air Force Gen. Dana Marsh spoke with Wang Yi "
        "by phone on Thursday."
    )
    names = [person.name for person in result.new_people]
    assert names == ["Dana Marsh"]
    (meeting,) = result.meetings
    assert {p.slug for p in meeting.participants} == {"dana-marsh", "wang-yi"}


def test_it_reads_the_president_beside_a_chinese_leader_as_the_us_president_on_that_day(gazetteer):
    """'The President met ... Chinese President Xi': whoever held the U.S. office on the date."""
    from diplomacy.extraction.types import Gazetteer, OfficeEntry, PersonEntry

    earlier = PersonEntry(
        "earlier-president",
        "Earlier President",
        "US",
        (),
        (OfficeEntry("president", "President", "", "US", date(2009, 1, 20), date(2017, 1, 20)),),
    )
    with_earlier = Gazetteer((*gazetteer.people, earlier), gazetteer.locations, gazetteer.topics)
    text = "The President met today with Chinese President Xi Jinping in Geneva."
    for published, president in ((date(2016, 11, 19), "earlier-president"),
                                 (date(2024, 1, 27), "joe-biden")):  # fmt: skip
        (meeting,) = extract(text, published, with_earlier).meetings
        assert {p.slug for p in meeting.participants} == {president, "xi-jinping"}
        assert meeting.kind == "summit"


def test_it_finds_a_new_official_named_before_a_title_in_apposition(run):
    """'Jane Roe, U.S. Under Secretary ..., and Zhang San, Vice Minister of ... China' are new."""
    result = run(
        "The session was chaired by Jane Roe, U.S. Under Secretary for Economic Growth, and "
        "Zhang San, Vice Minister of Water Resources of China."
    )
    found = {(p.slug, p.name, p.country) for p in result.new_people}
    assert found == {("jane-roe", "Jane Roe", "US"), ("zhang-san", "Zhang San", "CN")}


def test_it_does_not_take_a_known_person_before_a_title_as_new(run):
    """'Wang Yi, Director of ...' is the gazetteer's Wang Yi, not a new person."""
    result = run("Jake Sullivan met Wang Yi, Director General of the commission office.")
    assert result.new_people == []


def test_it_reads_a_one_letter_misspelling_of_a_given_name_as_the_known_person(run):
    """'President Xi Jimping' is Xi Jinping, not a new official."""
    result = run("Joe Biden spoke by phone with President Xi Jimping today.")
    assert result.new_people == []
    (meeting,) = result.meetings
    assert {p.slug for p in meeting.participants} == {"joe-biden", "xi-jinping"}


def test_it_does_not_read_the_president_an_aide_serves_with_a_country_as_a_participant(run):
    """'Assistant to the U.S. President ... Jake Sullivan' names Sullivan, not the president."""
    result = run(
        "Assistant to the U.S. President for National Security Affairs Jake Sullivan will visit "
        "China from Tuesday to meet Foreign Minister Wang Yi."
    )
    slugs = {p.slug for m in result.meetings for p in m.participants}
    assert "joe-biden" not in slugs
    assert {"jake-sullivan", "wang-yi"} <= slugs


def test_it_does_not_read_a_namesake_ending_a_sentence_as_the_known_person(run):
    """ "Director General Wang Xiaoming." is a new official, though the sentence's period
    follows his given name."""
    result = run("Jake Sullivan met Director General Wang Xiaoming.")
    assert [p.name for p in result.new_people] == ["Wang Xiaoming"]
    assert "wang-yi" not in {p.slug for m in result.meetings for p in m.participants}


def test_it_reads_a_new_officials_side_from_the_organisation_before_the_title(run):
    """ "the PRC Ministry of Public Security Director General Wang Xiaoming" serves China."""
    result = run(
        "Jake Sullivan met the PRC Ministry of Public Security Director General Wang Xiaoming "
        "in Vienna on Friday."
    )
    assert [(p.name, p.country) for p in result.new_people] == [("Wang Xiaoming", "CN")]
    (meeting,) = result.meetings
    assert {p.slug for p in meeting.participants} == {"jake-sullivan", "wang-xiaoming"}


def test_it_finds_a_new_official_named_after_a_title_and_its_organisation(run):
    """ "Director General of the Narcotics Control Bureau of the PRC Ministry of Public Security
    Wang Xiaoming and ..." names a new Chinese official after the organisation."""
    result = run(
        "Jake Sullivan met the Director General of the Narcotics Control Bureau of the PRC "
        "Ministry of Public Security Wang Xiaoming and his team in Vienna on Friday."
    )
    assert [(p.name, p.country) for p in result.new_people] == [("Wang Xiaoming", "CN")]


def test_it_does_not_take_the_end_of_an_office_name_as_a_new_official(run):
    """ "Assistant to the President for National Security Affairs (National Security Adviser)"
    ends with words of an office, not a name."""
    result = run(
        "Assistant to the U.S. President for National Security Affairs (National Security "
        "Adviser) Jake Sullivan will visit China from Tuesday to meet Foreign Minister Wang Yi."
    )
    assert result.new_people == []
