"""Table names for the selectors' plain SQL, always from the models."""

from articles.models import Article
from diplomacy.models import (
    Evidence,
    Location,
    Meeting,
    MeetingChannel,
    MeetingTopic,
    Participation,
    Person,
    Topic,
)

ARTICLE = Article._meta.db_table
EVIDENCE = Evidence._meta.db_table
LOCATION = Location._meta.db_table
MEETING = Meeting._meta.db_table
MEETING_CHANNEL = MeetingChannel._meta.db_table
MEETING_TOPIC = MeetingTopic._meta.db_table
PARTICIPATION = Participation._meta.db_table
PERSON = Person._meta.db_table
TOPIC = Topic._meta.db_table
