"""Channels: tying meetings to office pairs and mechanisms, and the reference channels."""

from datetime import date

import pytest
from django.core.management import call_command

from diplomacy import services
from diplomacy.models import Channel, ChannelSuspension, MeetingChannel
from tests.factories import (
    ChannelFactory,
    EvidenceFactory,
    MeetingFactory,
    OfficeFactory,
    ParticipationFactory,
    PersonFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def advisers():
    """A US national security adviser and two successive Chinese counterparts."""
    sullivan = PersonFactory(name="Jake Sullivan", country="US")
    OfficeFactory(
        person=sullivan,
        role="national-security-adviser",
        start_date=date(2021, 1, 20),
        end_date=date(2025, 1, 20),
    )
    yang = PersonFactory(name="Yang Jiechi", country="CN")
    OfficeFactory(
        person=yang,
        role="foreign-affairs-commission-director",
        start_date=date(2018, 3, 21),
        end_date=date(2022, 12, 31),
    )
    wang = PersonFactory(name="Wang Yi", country="CN")
    OfficeFactory(
        person=wang,
        role="foreign-affairs-commission-director",
        start_date=date(2023, 1, 1),
        end_date=None,
    )
    OfficeFactory(
        person=wang,
        role="foreign-minister",
        start_date=date(2013, 3, 16),
        end_date=date(2022, 12, 30),
    )
    return {"sullivan": sullivan, "yang": yang, "wang": wang}


def meeting_with(*people, day, **fields):
    meeting = MeetingFactory(start_date=day, **fields)
    for person in people:
        ParticipationFactory(meeting=meeting, person=person, side=person.country.lower())
    return meeting


def test_it_links_a_meeting_by_the_office_pair_held_on_its_date(advisers):
    """Both counterparts held the pair's offices that day: the meeting joins the channel."""
    channel = ChannelFactory()
    vienna = meeting_with(advisers["sullivan"], advisers["wang"], day=date(2023, 5, 10))
    rome = meeting_with(advisers["sullivan"], advisers["yang"], day=date(2022, 3, 14))

    services.channel_assign([vienna.pk, rome.pk])

    assert set(channel.meetings.values_list("pk", flat=True)) == {vienna.pk, rome.pk}
    assert MeetingChannel.objects.get(meeting=vienna).linked_by == "office_pair"


def test_it_reads_the_role_at_the_meetings_date(advisers):
    """Wang Yi in 2022 was foreign minister, not the commission's director: no link."""
    ChannelFactory()
    earlier = meeting_with(advisers["sullivan"], advisers["wang"], day=date(2022, 7, 9))

    services.channel_assign([earlier.pk])

    assert not MeetingChannel.objects.filter(meeting=earlier).exists()


def test_it_needs_both_offices_of_the_pair(advisers):
    """One side's office holder alone does not make a meeting of the channel."""
    ChannelFactory()
    alone = meeting_with(advisers["sullivan"], day=date(2023, 5, 10))

    services.channel_assign([alone.pk])

    assert not MeetingChannel.objects.exists()


def test_it_ignores_meetings_before_the_channel_started(advisers):
    """A channel dated from 2023 does not claim the 2022 meetings of the same offices."""
    ChannelFactory(start_date=date(2023, 1, 1))
    rome = meeting_with(advisers["sullivan"], advisers["yang"], day=date(2022, 3, 14))

    services.channel_assign([rome.pk])

    assert not MeetingChannel.objects.exists()


def test_it_links_a_working_group_named_in_its_evidence():
    """A mechanism's alias in a sentence of evidence ties a working-level meeting to it."""
    channel = ChannelFactory(
        name="Counternarcotics working group",
        kind="mechanism",
        us_role="",
        cn_role="",
        aliases=["counternarcotics working group"],
        start_date=date(2024, 1, 1),
    )
    meeting = MeetingFactory(title="Talks in Beijing", kind="working_group")
    EvidenceFactory(
        meeting=meeting, quote="The Counternarcotics Working Group met in Beijing on Tuesday."
    )

    services.channel_assign([meeting.pk])

    assert list(channel.meetings.all()) == [meeting]
    assert MeetingChannel.objects.get().linked_by == "alias"


def test_it_does_not_count_a_summit_that_only_mentions_a_mechanism():
    """Leaders agreeing to set up a working group are not a round of it."""
    ChannelFactory(
        kind="mechanism", us_role="", cn_role="", aliases=["counternarcotics working group"]
    )
    summit = MeetingFactory(title="Leaders meet", kind="summit")
    EvidenceFactory(meeting=summit, quote="They agreed to form a counternarcotics working group.")

    services.channel_assign([summit.pk])

    assert not MeetingChannel.objects.exists()


def test_it_matches_aliases_as_whole_words():
    """The alias "MMCA" does not match inside another word."""
    ChannelFactory(kind="mechanism", us_role="", cn_role="", aliases=["MMCA"])
    named = MeetingFactory(title="MMCA talks in Honolulu")
    other = MeetingFactory(title="Talks at the MMCAX centre")

    services.channel_assign([named.pk, other.pk])

    assert list(MeetingChannel.objects.values_list("meeting_id", flat=True)) == [named.pk]


def test_it_is_harmless_to_run_twice(advisers):
    """The second run finds every link in place and changes nothing."""
    ChannelFactory()
    vienna = meeting_with(advisers["sullivan"], advisers["wang"], day=date(2023, 5, 10))

    assert services.channels_assign_all() == 1
    assert services.channels_assign_all() == 0
    assert MeetingChannel.objects.count() == 1
    assert MeetingChannel.objects.get().meeting == vienna


def test_it_drops_a_link_that_no_longer_holds(advisers):
    """When a meeting's date moves out of the office terms, its link goes."""
    ChannelFactory()
    vienna = meeting_with(advisers["sullivan"], advisers["wang"], day=date(2023, 5, 10))
    services.channel_assign([vienna.pk])
    vienna.start_date = vienna.end_date = date(2022, 5, 10)
    vienna.save()

    services.channel_assign([vienna.pk])

    assert not MeetingChannel.objects.exists()


def test_it_links_meetings_when_they_are_recomputed(advisers):
    """Recomputing a meeting from its evidence also places it in its channels."""
    channel = ChannelFactory()
    vienna = meeting_with(
        advisers["sullivan"], advisers["wang"], day=date(2023, 5, 10), review_state="confirmed"
    )
    EvidenceFactory(meeting=vienna)

    services.meetings_recompute({vienna.pk})

    assert list(channel.meetings.all()) == [vienna]


def test_it_loads_the_reference_channels_and_their_meetings():
    """The bundled channels link the curated Sullivan–Wang Yi meetings, and the August 2022
    suspensions are recorded on the channels they touched."""
    call_command("load_reference", verbosity=0)

    channel = Channel.objects.get(slug="sullivan-wang-yi")
    titles = list(channel.meetings.order_by("start_date").values_list("title", flat=True))
    vienna, malta, bangkok = (
        titles.index(f"Sullivan–Wang Yi talks in {place}")
        for place in ("Vienna", "Malta", "Bangkok")
    )
    assert vienna < malta < bangkok
    suspended = set(
        ChannelSuspension.objects.filter(start_date=date(2022, 8, 5)).values_list(
            "channel__slug", flat=True
        )
    )
    assert {"defence-ministers", "mmca-talks", "climate-envoys"} <= suspended
    assert ChannelSuspension.objects.get(channel__slug="mmca-talks").end_date == date(2023, 11, 15)
    assert not ChannelSuspension.objects.filter(channel__slug="sullivan-wang-yi").exists()
