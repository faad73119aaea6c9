"""Models of diplomacy.

- `core`: people, offices, places, topics, meetings, participations, evidence and mentions;
- `curation`: pinned evidence, redirects of merged people, curators' history;
- `channels`: channels, their suspensions and meetings.
"""

from diplomacy.models.channels import (
    Channel,
    ChannelSuspension,
    MeetingChannel,
)
from diplomacy.models.core import (
    ArticleTopic,
    Evidence,
    Location,
    Meeting,
    MeetingTopic,
    Mention,
    Office,
    Participation,
    Person,
    ResettleRequest,
    Topic,
    TopicDay,
    alias_list,
)
from diplomacy.models.curation import (
    CurationEvent,
    EvidencePin,
    PersonRedirect,
)

__all__ = [
    "ArticleTopic",
    "Channel",
    "ChannelSuspension",
    "CurationEvent",
    "Evidence",
    "EvidencePin",
    "Location",
    "Meeting",
    "MeetingChannel",
    "MeetingTopic",
    "Mention",
    "Office",
    "Participation",
    "Person",
    "PersonRedirect",
    "ResettleRequest",
    "Topic",
    "TopicDay",
    "alias_list",
]
