"""The FilterSets on their own, as the API and the dashboard both use them."""

from datetime import UTC, date, datetime

import pytest
from django.http import QueryDict

from articles.models import Article
from diplomacy.filtersets import (
    ArticleFilterSet,
    ChannelFilterSet,
    LocationFilterSet,
    MeetingFilterSet,
    PersonFilterSet,
    TopicFilterSet,
)
from diplomacy.models import Channel, Location, Meeting, Person, Topic
from diplomacy.services import channels_assign_all
from tests.factories import (
    ArticleFactory,
    ChannelFactory,
    EvidenceFactory,
    LocationFactory,
    MeetingFactory,
    MeetingTopicFactory,
    MentionFactory,
    OfficeFactory,
    ParticipationFactory,
    PersonFactory,
    SourceFactory,
    TopicFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    """A small, fixed world every filter case below is checked against."""
    security = TopicFactory(name="Security")
    taiwan = TopicFactory(name="Taiwan", parent=security)
    trade = TopicFactory(name="Trade", keywords=["tariffs", "export controls"])
    blinken = PersonFactory(name="Antony Blinken", country="US")
    OfficeFactory(person=blinken, role="secretary-of-state", title="Secretary of State")
    wang = PersonFactory(name="Wang Yi", country="CN", aliases=["China's top diplomat"])
    OfficeFactory(person=wang, role="foreign-minister")
    yellen = PersonFactory(name="Janet Yellen", country="US", review_state="auto")
    china = LocationFactory(name="China", kind="country", country="CN")
    beijing = LocationFactory(name="Beijing", kind="city", country="CN", parent=china)
    diaoyutai = LocationFactory(name="Diaoyutai", kind="venue", country="CN", parent=beijing)
    usa = LocationFactory(name="United States", kind="country", country="US")
    filoli = LocationFactory(
        name="Filoli", kind="venue", country="US", parent=usa, aliases=["Filoli Estate"]
    )

    def meeting(title, participants, topics, **fields):
        row = MeetingFactory(title=title, **fields)
        for person in participants:
            ParticipationFactory(meeting=row, person=person)
        for topic in topics:
            MeetingTopicFactory(meeting=row, topic=topic)
        return row

    beijing_talks = meeting(
        "Beijing talks",
        [blinken, wang],
        [taiwan],
        start_date=date(2024, 4, 26),
        end_date=date(2024, 4, 26),
        location=diaoyutai,
        summary="Fentanyl precursor chemicals were discussed.",
    )
    meeting(
        "Woodside summit",
        [yellen, wang],
        [trade],
        kind="summit",
        start_date=date(2023, 11, 15),
        end_date=date(2023, 11, 16),
        location=filoli,
    )
    meeting(
        "Planned call",
        [blinken],
        [trade, taiwan],
        kind="call",
        status="planned",
        start_date=date(2025, 1, 10),
        end_date=date(2025, 1, 10),
    )
    meeting(
        "Undated dialogue",
        [],
        [],
        kind="dialogue",
        status="cancelled",
        start_date=None,
        end_date=None,
    )
    readout = ArticleFactory(
        title="Readout of the Beijing talks",
        body="The Secretary discussed fentanyl with the Foreign Minister.",
        source=SourceFactory(name="State"),
        published_at=datetime(2024, 4, 26, 18, tzinfo=UTC),
    )
    EvidenceFactory(article=readout, meeting=beijing_talks)
    ChannelFactory(
        name="Diplomats",
        kind="office_pair",
        us_role="secretary-of-state",
        cn_role="foreign-minister",
    )
    ChannelFactory(
        name="Working group", kind="mechanism", us_role="", cn_role="", aliases=["working group"]
    )
    channels_assign_all()
    MentionFactory(article=readout, topic=taiwan)
    ArticleFactory(
        title="Trade story",
        body="Tariffs again.",
        status="pending",
        source=SourceFactory(name="Wire"),
        published_at=datetime(2022, 3, 1, 9, tzinfo=UTC),
    )


# (FilterSet, query string, what matches): one line per behaviour worth pinning down.
CASES = [
    (MeetingFilterSet, "topic=taiwan", ["planned-call", "beijing-talks"]),
    (
        MeetingFilterSet,
        "topic=taiwan&topic=trade",
        ["planned-call", "beijing-talks", "woodside-summit"],
    ),
    (MeetingFilterSet, "participant=wang-yi", ["beijing-talks", "woodside-summit"]),
    (MeetingFilterSet, "participant=wang-yi&participant=antony-blinken", ["beijing-talks"]),
    (MeetingFilterSet, "location=china", ["beijing-talks"]),
    (MeetingFilterSet, "location=beijing", ["beijing-talks"]),
    (MeetingFilterSet, "location=filoli", ["woodside-summit"]),
    (MeetingFilterSet, "kind=summit&kind=call", ["planned-call", "woodside-summit"]),
    (MeetingFilterSet, "status=planned", ["planned-call"]),
    (MeetingFilterSet, "status=held&kind=meeting", ["beijing-talks"]),
    (
        MeetingFilterSet,
        "date_from=2023-11-16",
        ["planned-call", "beijing-talks", "woodside-summit"],
    ),
    (MeetingFilterSet, "date_from=2023-11-17", ["planned-call", "beijing-talks"]),
    (MeetingFilterSet, "date_to=2023-11-15", ["woodside-summit"]),
    (MeetingFilterSet, "date_from=2024-01-01&date_to=2024-12-31", ["beijing-talks"]),
    (MeetingFilterSet, "q=precursor", ["beijing-talks"]),
    (MeetingFilterSet, "q=summit OR call", ["planned-call", "woodside-summit"]),
    (
        MeetingFilterSet,
        "",
        ["planned-call", "beijing-talks", "woodside-summit", "undated-dialogue"],
    ),
    (
        MeetingFilterSet,
        "ordering=start_date",
        ["woodside-summit", "beijing-talks", "planned-call", "undated-dialogue"],
    ),
    (
        MeetingFilterSet,
        "ordering=-start_date",
        ["planned-call", "beijing-talks", "woodside-summit", "undated-dialogue"],
    ),
    (MeetingFilterSet, "topic=trade&participant=wang-yi&date_from=2023-01-01", ["woodside-summit"]),
    (MeetingFilterSet, "channel=diplomats", ["beijing-talks"]),
    (MeetingFilterSet, "channel=working-group&channel=diplomats", ["beijing-talks"]),
    (ChannelFilterSet, "kind=mechanism", ["working-group"]),
    (ChannelFilterSet, "participant=antony-blinken", ["diplomats"]),
    (ChannelFilterSet, "participant=antony-blinken&participant=janet-yellen", []),
    (ChannelFilterSet, "topic=taiwan&topic=trade", ["diplomats"]),
    (ChannelFilterSet, "topic=trade", []),
    (ArticleFilterSet, "status=pending", ["Trade story"]),
    (ArticleFilterSet, "source=state", ["Readout of the Beijing talks"]),
    (ArticleFilterSet, "published_from=2024-04-26", ["Readout of the Beijing talks"]),
    (ArticleFilterSet, "published_to=2024-04-25", ["Trade story"]),
    (ArticleFilterSet, "topic=taiwan", ["Readout of the Beijing talks"]),
    (ArticleFilterSet, "q=tariffs", ["Trade story"]),
    (PersonFilterSet, "q=blinken", ["antony-blinken"]),
    (PersonFilterSet, "q=Janet Yelen", ["janet-yellen"]),
    (PersonFilterSet, "q=top diplomat", ["wang-yi"]),
    (PersonFilterSet, "country=us", ["antony-blinken", "janet-yellen"]),
    (PersonFilterSet, "role=foreign-minister", ["wang-yi"]),
    (PersonFilterSet, "review_state=auto", ["janet-yellen"]),
    (TopicFilterSet, "q=secur", ["security"]),
    (TopicFilterSet, "q=tariffs", ["trade"]),
    (TopicFilterSet, "parent=security", ["taiwan"]),
    (LocationFilterSet, "q=bejing", ["beijing"]),
    (LocationFilterSet, "q=estate", ["filoli"]),
    (LocationFilterSet, "kind=venue", ["diaoyutai", "filoli"]),
    (LocationFilterSet, "kind=city&kind=country", ["beijing", "china", "united-states"]),
    (LocationFilterSet, "country=cn", ["beijing", "china", "diaoyutai"]),
    (LocationFilterSet, "parent=china", ["beijing"]),
    (LocationFilterSet, "within=china", ["beijing", "china", "diaoyutai"]),
]
# The meeting filter that needs a row's id is checked in its own test below.
SEPARATELY_TESTED = {ArticleFilterSet: {"meeting"}}
ORDERED = {MeetingFilterSet}
QUERYSETS = {
    MeetingFilterSet: Meeting.objects.visible,
    ArticleFilterSet: Article.objects.all,
    PersonFilterSet: Person.objects.all,
    TopicFilterSet: Topic.objects.all,
    LocationFilterSet: Location.objects.all,
    ChannelFilterSet: Channel.objects.all,
}


def matches(filterset_class, query: str):
    filterset = filterset_class(QueryDict(query), queryset=QUERYSETS[filterset_class]())
    assert filterset.is_valid(), filterset.errors
    key = "title" if filterset_class is ArticleFilterSet else "slug"
    return [getattr(row, key) for row in filterset.qs]


@pytest.mark.parametrize(
    ("filterset_class", "query", "expected"),
    CASES,
    ids=[f"{case[0].__name__}?{case[1]}" for case in CASES],
)
def test_it_filters(world, filterset_class, query, expected):
    """Each filter, alone and combined, matches exactly the expected rows."""
    found = matches(filterset_class, query)

    if filterset_class in ORDERED:
        assert found == expected
    else:
        assert sorted(found) == sorted(expected)


def test_it_filters_articles_by_the_meeting_they_report(world):
    """`meeting` (an id) keeps the articles with evidence for that meeting."""
    meeting = Meeting.objects.get(slug="beijing-talks")

    assert matches(ArticleFilterSet, f"meeting={meeting.pk}") == ["Readout of the Beijing talks"]


@pytest.mark.parametrize("filterset_class", list(QUERYSETS))
def test_it_exercises_every_declared_filter(filterset_class):
    """Every filter a FilterSet declares appears in the cases above: none goes untested."""
    tested = {
        name
        for case_class, query, _ in CASES
        if case_class is filterset_class
        for name in QueryDict(query)
    } | SEPARATELY_TESTED.get(filterset_class, set())

    assert set(filterset_class.base_filters) <= tested


@pytest.mark.parametrize(
    ("filterset_class", "query"),
    [
        (MeetingFilterSet, "topic=nope"),
        (MeetingFilterSet, "participant=nobody"),
        (MeetingFilterSet, "location=atlantis"),
        (MeetingFilterSet, "kind=duel"),
        (MeetingFilterSet, "status=rumoured"),
        (MeetingFilterSet, "date_from=2024-02-30"),
        (MeetingFilterSet, "date_to=soon"),
        (MeetingFilterSet, "ordering=title"),
        (MeetingFilterSet, "q=" + "x" * 201),
        (ArticleFilterSet, "status=lost"),
        (ArticleFilterSet, "meeting=abc"),
        (ArticleFilterSet, "source=nobody"),
        (ArticleFilterSet, "published_from=2024-13-01"),
        (PersonFilterSet, "country=USA"),
        (PersonFilterSet, "review_state=maybe"),
        (TopicFilterSet, "parent=nope"),
        (LocationFilterSet, "kind=planet"),
        (LocationFilterSet, "within=atlantis"),
        (LocationFilterSet, "q=a%00b"),
    ],
)
def test_it_rejects_invalid_values(filterset_class, query):
    """Invalid values make the FilterSet invalid instead of reaching the database."""
    filterset = filterset_class(QueryDict(query), queryset=QUERYSETS[filterset_class]())

    assert not filterset.is_valid()


def test_it_orders_undated_meetings_last_by_default():
    """Without `ordering`, meetings come newest first with undated ones last."""
    MeetingFactory(title="Undated", start_date=None, end_date=None)
    MeetingFactory(title="Older", start_date=date(2020, 1, 1))
    MeetingFactory(title="Newer", start_date=date(2021, 1, 1))

    assert matches(MeetingFilterSet, "") == ["newer", "older", "undated"]
