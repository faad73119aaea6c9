"""Fixtures shared by the alerts tests: users, their clients, and meetings to watch."""

import pytest

from alerts.models import Watch
from tests.factories import (
    MeetingFactory,
    MeetingTopicFactory,
    ParticipationFactory,
    PersonFactory,
    TopicFactory,
    UserFactory,
)

SECRET = "s3cret-for-signing-bodies"


@pytest.fixture
def owner(db):
    return UserFactory(username="owner")


@pytest.fixture
def stranger(db):
    return UserFactory(username="stranger")


@pytest.fixture
def owner_api(api_client, owner):
    api_client.force_authenticate(owner)
    return api_client


@pytest.fixture
def owner_client(client, owner):
    client.force_login(owner)
    return client


@pytest.fixture
def taiwan_meeting(db):
    """A held meeting on Taiwan with Wang Yi."""
    meeting = MeetingFactory(title="Talks on Taiwan")
    MeetingTopicFactory(meeting=meeting, topic=TopicFactory(name="Taiwan", slug="taiwan"))
    ParticipationFactory(meeting=meeting, person=PersonFactory(name="Wang Yi", slug="wang-yi"))
    return meeting


def make_watch(user, **fields) -> Watch:
    values = {
        "name": "Taiwan",
        "filters": {"topic": ["taiwan"]},
        "delivery": "email",
        **fields,
    }
    return Watch.objects.create(user=user, **values)
