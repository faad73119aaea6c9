from django.db import models


class ReviewState(models.TextChoices):
    AUTO = "auto", "Extracted"
    CONFIRMED = "confirmed", "Confirmed"
    REJECTED = "rejected", "Rejected"


class PersonReviewState(models.TextChoices):
    AUTO = "auto", "Extracted"
    CONFIRMED = "confirmed", "Confirmed"


class LocationKind(models.TextChoices):
    VENUE = "venue", "Venue"
    CITY = "city", "City"
    REGION = "region", "Region"
    COUNTRY = "country", "Country"


class MeetingKind(models.TextChoices):
    SUMMIT = "summit", "Summit"
    MEETING = "meeting", "Meeting"
    CALL = "call", "Call"
    WORKING_GROUP = "working_group", "Working group"
    DIALOGUE = "dialogue", "Dialogue"
    VISIT = "visit", "Visit"


class MeetingStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    HELD = "held", "Held"
    CANCELLED = "cancelled", "Cancelled"


class DatePrecision(models.TextChoices):
    DAY = "day", "Day"
    MONTH = "month", "Month"
    YEAR = "year", "Year"
    UNKNOWN = "unknown", "Unknown"


class Side(models.TextChoices):
    US = "us", "United States"
    CN = "cn", "China"
    TW = "tw", "Taiwan"
    OTHER = "other", "Other"


class EvidenceField(models.TextChoices):
    DATE = "date", "Date"
    LOCATION = "location", "Location"
    PARTICIPANTS = "participants", "Participants"
    TOPICS = "topics", "Topics"
    STATUS = "status", "Status"
    KIND = "kind", "Kind"


class MentionKind(models.TextChoices):
    PERSON = "person", "Person"
    LOCATION = "location", "Location"
    TOPIC = "topic", "Topic"
    DATE = "date", "Date"
    TITLE = "title", "Title"


class CurationAction(models.TextChoices):
    EDIT = "edit", "Edited"
    LOCK = "lock", "Locked"
    UNLOCK = "unlock", "Unlocked"
    REOPEN = "reopen", "Reopened"
    CONFIRM = "confirm", "Confirmed"
    REJECT = "reject", "Rejected"
    MERGE = "merge", "Merged"
    SPLIT = "split", "Split"
    PERSON_MERGE = "person_merge", "Person merged"
    ALIAS = "alias", "Alias added"
    PERSON_CONFIRM = "person_confirm", "Person confirmed"
    UNDO = "undo", "Undone"


class ChannelKind(models.TextChoices):
    OFFICE_PAIR = "office_pair", "Office pair"
    MECHANISM = "mechanism", "Mechanism"


class ChannelLinkBy(models.TextChoices):
    OFFICE_PAIR = "office_pair", "Office holders took part"
    ALIAS = "alias", "Mechanism named in the evidence"
