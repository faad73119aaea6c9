"""The meeting list's common filters read without the FilterSet (diplomacy/api/meeting_list.py)
answer exactly what the FilterSet answers."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from diplomacy.api import meeting_list
from diplomacy.api.rows import MeetingRowShaper
from diplomacy.api.views import MeetingViewSet
from diplomacy.selectors.meeting_list import MeetingListFilter, PlainMeetingList
from diplomacy.selectors.meetings import ROW_HEAD, meeting_row
from tests.factories import (
    LocationFactory,
    MeetingFactory,
    MeetingTopicFactory,
    ParticipationFactory,
    PersonFactory,
    TopicFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def plain_paths(monkeypatch):
    """Record the requests answered without the FilterSet."""
    taken = []
    original = MeetingViewSet.plain_rows

    def recording(view, request):
        rows = original(view, request)
        taken.append(rows is not None)
        return rows

    monkeypatch.setattr(MeetingViewSet, "plain_rows", recording)
    return taken


@pytest.fixture
def meetings():
    """Meetings over every case the filters and the order tell apart."""
    taiwan, trade, climate = (TopicFactory(name=name) for name in ("Taiwan", "Trade", "Climate"))
    blinken, wang, yellen = (
        PersonFactory(name=name) for name in ("Antony Blinken", "Wang Yi", "Janet Yellen")
    )
    place = LocationFactory(name="Beijing", kind="city", country="CN")
    specs = [
        ("Summit in Woodside", "summit", "held", date(2023, 11, 15), date(2023, 11, 15)),
        ("Call on trade", "call", "held", date(2024, 1, 26), date(2024, 1, 26)),
        ("Planned visit", "visit", "planned", date(2024, 6, 1), None),
        ("Long dialogue", "dialogue", "held", date(2023, 12, 30), date(2024, 1, 3)),
        ("Cancelled talks", "meeting", "cancelled", date(2024, 1, 26), date(2024, 1, 26)),
        ("Undated contact", "meeting", "held", None, None),
        ("Another undated", "working_group", "held", None, None),
        ("Same day talks", "meeting", "held", date(2024, 1, 26), date(2024, 1, 26)),
    ]
    made = []
    for number, (title, kind, status, start, end) in enumerate(specs):
        made.append(
            MeetingFactory(
                title=title,
                kind=kind,
                status=status,
                start_date=start,
                end_date=end,
                location=place if number % 2 else None,
                article_count=number,
                evidence_count=number * 3,
                announced=(None, True, False)[number % 3],
            )
        )
    for meeting, topics, people in [
        (made[0], [taiwan, trade], [blinken, wang]),
        (made[1], [trade], [yellen, wang]),
        (made[2], [climate], [blinken]),
        (made[3], [taiwan], [wang, blinken, yellen]),
        (made[4], [trade, climate], [yellen]),
        (made[5], [taiwan], [blinken, wang]),
        (made[7], [], [wang]),
    ]:
        for topic in topics:
            MeetingTopicFactory(meeting=meeting, topic=topic)
        for person in people:
            ParticipationFactory(meeting=meeting, person=person, role=f"Envoy of {person.name}")
    rejected = MeetingFactory(title="Rejected talks", review_state="rejected")
    MeetingTopicFactory(meeting=rejected, topic=taiwan)
    ParticipationFactory(meeting=rejected, person=blinken)
    return made


# Each query string is answered without the FilterSet.
PLAIN_QUERIES = [
    "",
    "topic=taiwan",
    "topic=taiwan&topic=trade",
    "topic=taiwan&topic=taiwan",
    "participant=wang-yi",
    "participant=wang-yi&participant=antony-blinken",
    "participant=wang-yi&participant=wang-yi",
    "participant=janet-yellen&topic=climate",
    "kind=meeting",
    "kind=meeting&kind=call&kind=summit",
    "status=held&status=planned",
    "date_from=2024-01-01",
    "date_to=2024-01-01",
    "date_from=2024-01-01&date_to=2024-01-31",
    "date_from=2024-01-03&date_to=2024-01-03",
    "date_from=2030-01-01",
    "date_from=2023-01-01&date_from=2024-02-01",
    "ordering=start_date",
    "ordering=-start_date",
    "ordering=title&ordering=start_date",
    "topic=taiwan&participant=wang-yi&date_from=2023-01-01&date_to=2023-12-31",
    "topic=trade&kind=call&status=held&ordering=start_date",
    "page_size=2",
    "page_size=2&page=2",
    "page_size=3&page=3&ordering=start_date",
    "page_size=2&page=last",
    "page_size=0",
    "page_size=abc",
    "page_size=600",
    "page=1",
    "page=",
    "format=json&topic=trade",
    "topic=taiwan&page=9",
    "page=0",
    "page=abc",
]
# Each goes to the FilterSet: another filter, or a value it must read or refuse.
FILTERSET_QUERIES = [
    "location=beijing",
    "q=talks",
    "topic=no-such-topic",
    "topic=",
    "participant=wang-yi&participant=",
    "kind=duel",
    "kind=",
    "status=imagined",
    "date_from=2024-13-45",
    "date_from=2024-02-30",
    "date_from=26/01/2024",
    "date_from=+2024-01-01",
    "date_to=",
    "ordering=title",
    "ordering=start_date,-start_date",
    "ordering=",
    "unknown=1",
    "participant=nobody-at-all&topic=taiwan&page=9",
]


def answer(client, query: str):
    return client.get(f"{reverse('api:meeting-list')}?{query}", HTTP_HOST="testserver")


def by_filterset(monkeypatch, client, query: str):
    with monkeypatch.context() as patched:
        patched.setattr(MeetingViewSet, "plain_rows", lambda view, request: None)
        return answer(client, query)


@pytest.mark.parametrize("query", PLAIN_QUERIES + FILTERSET_QUERIES)
def test_it_answers_every_query_byte_for_byte_as_the_filterset(
    api_client, meetings, monkeypatch, query
):
    """The same status, body and ETag as when MeetingFilterSet reads the parameters."""
    plain = answer(api_client, query)
    reference = by_filterset(monkeypatch, api_client, query)

    assert plain.status_code == reference.status_code
    assert plain.content == reference.content
    assert plain.get("ETag") == reference.get("ETag")


@pytest.mark.parametrize("few", [0, 8_000])
@pytest.mark.parametrize("query", [q for q in PLAIN_QUERIES if "participant" in q])
def test_it_lists_a_participant_from_their_meetings_or_by_date_alike(
    api_client, meetings, monkeypatch, query, few
):
    """A person with few meetings has them read first; the answer is the FilterSet's all the
    same, and so it is when their meetings are read by date (FEW_MEETINGS of 0)."""
    monkeypatch.setattr("diplomacy.api.meeting_list.FEW_MEETINGS", few)
    filters = []
    real = meeting_list.MeetingListFilter.__init__

    def recording(self, *args, **kwargs):
        real(self, *args, **kwargs)
        filters.append(self)

    monkeypatch.setattr(meeting_list.MeetingListFilter, "__init__", recording)
    plain = answer(api_client, query)
    reference = by_filterset(monkeypatch, api_client, query)

    assert plain.content == reference.content and plain.status_code == 200
    assert [f.few is not None for f in filters] == [bool(few)]


@pytest.mark.parametrize("query", PLAIN_QUERIES)
def test_it_reads_the_common_filters_without_the_filterset(
    api_client, meetings, plain_paths, query
):
    """Topics, participants, kinds, statuses, dates, ordering and paging skip the FilterSet."""
    answer(api_client, query)

    assert plain_paths == [True]


@pytest.mark.parametrize("query", FILTERSET_QUERIES)
def test_it_leaves_other_filters_and_odd_values_to_the_filterset(
    api_client, meetings, plain_paths, query
):
    """Anything but the plain form of the common filters is the FilterSet's to read."""
    answer(api_client, query)

    assert plain_paths == [False]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("topic=no-such-topic", "topic"),
        ("participant=wang-yi&participant=nobody", "participant"),
        ("kind=duel", "kind"),
        ("date_to=2024-02-30", "date_to"),
        ("ordering=title", "ordering"),
    ],
)
def test_it_still_refuses_bad_values_naming_the_field(api_client, meetings, query, field):
    """A bad value among plain ones is a 400 naming the field, as before."""
    response = answer(api_client, query)

    assert response.status_code == 400
    assert field in response.json()["errors"]


@pytest.mark.parametrize("count", [3, 30])
def test_it_lists_common_filters_in_a_fixed_number_of_queries(
    api_client, django_assert_num_queries, count
):
    """Slug filters cost one lookup of every slug, however many are given, and no more."""
    topic, person = TopicFactory(name="Taiwan"), PersonFactory(name="Wang Yi")
    for _ in range(count):
        meeting = MeetingFactory()
        MeetingTopicFactory(meeting=meeting, topic=topic)
        ParticipationFactory(meeting=meeting, person=person)

    # 1. the data revision (ETag), 2. the topics' and people's slugs (kept per revision
    # outside a transaction; a test runs in one), 3. the count and the page's rows
    with django_assert_num_queries(3):
        response = answer(api_client, "topic=taiwan&participant=wang-yi&page_size=50")

    assert response.json()["count"] == count


def test_it_lists_without_slug_filters_in_two_queries(api_client, django_assert_num_queries):
    """No slug filter, no slug lookup."""
    MeetingFactory.create_batch(3)

    # the data revision, the count with the page's rows
    with django_assert_num_queries(2):
        response = answer(api_client, "date_from=2020-01-01&kind=meeting")

    assert response.json()["count"] == 3


@pytest.mark.django_db(transaction=True)
def test_it_reads_the_slugs_again_when_the_data_changes(api_client, django_assert_num_queries):
    """Outside a transaction the slugs are kept until the data revision moves on, so a new
    topic is found at once and an unchanged one costs no lookup."""
    meeting_list._latest_slugs = None
    MeetingTopicFactory(meeting=MeetingFactory(), topic=TopicFactory(name="Taiwan"))
    assert answer(api_client, "topic=taiwan").json()["count"] == 1

    with django_assert_num_queries(2):  # the revision, the count and page: no slug lookup
        assert answer(api_client, "topic=taiwan").json()["count"] == 1
    MeetingTopicFactory(meeting=MeetingFactory(title="Second"), topic=TopicFactory(name="Trade"))

    assert answer(api_client, "topic=trade").json()["count"] == 1
    assert answer(api_client, "topic=gone").status_code == 400
    meeting_list._latest_slugs = None


def test_it_keeps_no_slugs_read_inside_a_transaction(api_client):
    """What a transaction read may be rolled back without the revision moving on."""
    meeting_list._latest_slugs = None
    TopicFactory(name="Taiwan")

    assert answer(api_client, "topic=taiwan").status_code == 200
    assert meeting_list._latest_slugs is None


def test_it_pages_the_plain_rows_like_a_queryset(meetings):
    """PlainMeetingList counts, and slices a page at a time, in the list's order."""
    rows = PlainMeetingList(MeetingListFilter())

    assert rows.count() == len(meetings)
    first, rest = rows[0:3], rows[3:100]
    assert [row[ROW_HEAD][2] for row in first] == [
        "Planned visit",
        "Same day talks",
        "Cancelled talks",
    ]
    assert len(first + rest) == len(meetings)
    assert [row[ROW_HEAD][2] for row in rest[-2:]] == ["Another undated", "Undated contact"]
    assert rows[5:5] == []
    with pytest.raises(TypeError):
        rows[0]


def test_it_reads_the_expected_page_with_the_count(meetings, django_assert_num_queries):
    """Told the page the paginator will ask for, the count brings its rows along."""
    expected = PlainMeetingList(MeetingListFilter(), expected=(3, 2))
    reference = PlainMeetingList(MeetingListFilter())

    with django_assert_num_queries(1):
        assert expected.count() == len(meetings)
        page = expected[3:5]
        shorter = expected[3:4]

    assert page == reference[3:5]
    assert shorter == reference[3:4]
    first = reference[0:2]
    with django_assert_num_queries(1):  # another page is read on its own
        assert expected[0:2] == first


def test_it_reads_the_count_alone_past_the_last_page(meetings):
    """A page past the end brings no rows, and the count is still right."""
    rows = PlainMeetingList(MeetingListFilter(kinds=("summit",)), expected=(50, 50))

    assert rows.count() == 1
    assert rows.prefetched == (50, 50, [])


def test_it_shapes_a_row_in_one_step_as_the_shaper_does(meetings, rf):
    """`list_item` gives the item the shaper makes of `meeting_row`, key order included."""
    shape = MeetingRowShaper(rf.get("/api/v1/meetings/"))

    rows = PlainMeetingList(MeetingListFilter())[0:100]

    assert len(rows) == len(meetings)
    for row in rows:
        item = shape.list_item(row)
        assert list(item.items()) == list(shape(meeting_row(row)).items())


def prepared_statements(client):
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


def test_it_prepares_the_list_statements_once_per_connection(api_client, meetings):
    """PostgreSQL parses and plans the count and the page once, not on every request."""
    answer(api_client, "topic=taiwan&ordering=start_date")
    answer(api_client, "topic=trade&ordering=start_date")

    prepared = prepared_statements(api_client)
    assert sum("count(*)" in statement for statement in prepared) == 1
    assert sum("LIMIT" in statement for statement in prepared) == 1


def test_it_prepares_nothing_where_prepared_statements_are_off(api_client, meetings, monkeypatch):
    """Behind a transaction pooler (prepare_threshold None) the next transaction may run on
    another server connection, without the statement: nothing is prepared."""
    connection.ensure_connection()
    monkeypatch.setattr(connection.connection, "prepare_threshold", None)

    response = answer(api_client, "topic=taiwan")

    assert response.json()["count"] == 3
    assert not any("LIMIT" in statement for statement in prepared_statements(api_client))


def test_it_logs_statements_that_can_be_run_again(api_client, meetings):
    """While queries are captured (DEBUG, profiles) the log holds runnable SQL, values in."""
    with CaptureQueriesContext(connection) as queries:
        answer(api_client, "topic=taiwan&participant=wang-yi&date_from=2023-01-01")
    [statement] = [query["sql"] for query in queries.captured_queries if "LIMIT" in query["sql"]]

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + statement)
        assert cursor.fetchall()
