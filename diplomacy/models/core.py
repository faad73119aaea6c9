"""People, offices, places, topics, meetings and what links them to the articles."""

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.db import models
from django.urls import reverse
from django.utils import timezone

from articles.fields import XmlSafeCharField, XmlSafeTextField
from articles.models import Article
from diplomacy.choices import (
    DatePrecision,
    EvidenceField,
    LocationKind,
    MeetingKind,
    MeetingStatus,
    MentionKind,
    PersonReviewState,
    ReviewState,
    Side,
)
from diplomacy.querysets import LocationQuerySet, MeetingQuerySet, OfficeQuerySet


def alias_list():
    return ArrayField(models.CharField(max_length=200), default=list, blank=True)


class Person(models.Model):
    """Someone who takes part in meetings: an official, a leader, an envoy."""

    name = XmlSafeCharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True)
    country = models.CharField(max_length=2, blank=True, help_text="ISO 3166 alpha-2")
    aliases = alias_list()
    review_state = models.CharField(
        max_length=20, choices=PersonReviewState.choices, default=PersonReviewState.CONFIRMED
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "people"
        indexes = [GinIndex(fields=["name"], opclasses=["gin_trgm_ops"], name="person_name_trgm")]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("diplomacy:person", args=[self.slug])


class Office(models.Model):
    """A post a person held between two dates: the role-at-date behind "the foreign minister"."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="offices")
    role = models.SlugField(max_length=60, help_text="Role key, e.g. foreign-minister")
    title = models.CharField(max_length=200)
    organisation = models.CharField(max_length=200, blank=True)
    country = models.CharField(max_length=2, help_text="Government served, ISO alpha-2")
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)

    objects = OfficeQuerySet.as_manager()

    class Meta:
        ordering = ["-start_date"]
        indexes = [models.Index(fields=["role", "country"], name="office_role_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "role", "country", "start_date"], name="office_unique_term"
            ),
            models.CheckConstraint(
                condition=models.Q(end_date__isnull=True)
                | models.Q(start_date__isnull=True)
                | models.Q(end_date__gte=models.F("start_date")),
                name="office_dates_ordered",
            ),
        ]

    def __str__(self):
        return f"{self.title} ({self.person})"


class Location(models.Model):
    """A venue, city, country or region; parents let a country include its cities."""

    name = XmlSafeCharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True)
    kind = models.CharField(max_length=20, choices=LocationKind.choices)
    country = models.CharField(max_length=2, blank=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children"
    )
    aliases = alias_list()

    objects = LocationQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        indexes = [GinIndex(fields=["name"], opclasses=["gin_trgm_ops"], name="location_name_trgm")]

    def __str__(self):
        return self.name


class Topic(models.Model):
    """A subject of talks (Taiwan, fentanyl, …); analysts add topics and re-run extraction."""

    name = XmlSafeCharField(max_length=200)
    slug = models.SlugField(max_length=100, unique=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children"
    )
    keywords = ArrayField(models.CharField(max_length=200), default=list, blank=True)
    description = XmlSafeTextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("diplomacy:topic", args=[self.slug])


class Meeting(models.Model):
    """One engagement between the two sides, merged from every text that reports it."""

    title = XmlSafeCharField(max_length=300)
    slug = models.SlugField(max_length=300, unique=True)
    kind = models.CharField(max_length=20, choices=MeetingKind.choices, default=MeetingKind.MEETING)
    status = models.CharField(
        max_length=20, choices=MeetingStatus.choices, default=MeetingStatus.HELD
    )
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)
    date_precision = models.CharField(
        max_length=10, choices=DatePrecision.choices, default=DatePrecision.UNKNOWN
    )
    location = models.ForeignKey(
        Location, null=True, blank=True, on_delete=models.SET_NULL, related_name="meetings"
    )
    location_note = XmlSafeCharField(max_length=300, blank=True)
    announced = models.BooleanField(
        null=True, blank=True, help_text="Announced beforehand (yes), disclosed afterwards (no)"
    )
    participants = models.ManyToManyField(
        Person, through="Participation", related_name="meetings", blank=True
    )
    topics = models.ManyToManyField(
        Topic, through="MeetingTopic", related_name="meetings", blank=True
    )
    summary = XmlSafeTextField(blank=True)
    review_state = models.CharField(
        max_length=20, choices=ReviewState.choices, default=ReviewState.AUTO
    )
    locked_fields = ArrayField(
        models.CharField(max_length=30),
        default=list,
        blank=True,
        help_text="Fields a curator fixed; extraction never overwrites them.",
    )
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="merged_from",
        help_text="The meeting this one was merged into; its page and API id redirect there.",
    )
    first_reported_at = models.DateTimeField(null=True, blank=True)
    # Kept up to date by the merge service so lists need no aggregate over evidence.
    article_count = models.PositiveIntegerField(default=0, editable=False)
    evidence_count = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    search_vector = models.GeneratedField(
        expression=SearchVector("title", weight="A", config="english")
        + SearchVector("location_note", "summary", weight="B", config="english"),
        output_field=SearchVectorField(),
        db_persist=True,
    )

    objects = MeetingQuerySet.as_manager()

    class Meta:
        ordering = [models.F("start_date").desc(nulls_last=True), "-id"]
        indexes = [
            # Serves the timeline's order (undated meetings last) without a sort.
            models.Index(
                models.F("start_date").desc(nulls_last=True),
                models.F("id").desc(),
                name="meeting_start_idx",
            ),
            models.Index(fields=["end_date"], name="meeting_end_idx"),
            # Serves the review queue's order (most reports first, then newest) without a sort.
            models.Index(
                models.F("article_count").desc(),
                models.F("start_date").desc(nulls_last=True),
                models.F("id").desc(),
                name="meeting_review_order_idx",
            ),
            # The visible meetings held within days of one, read without the table (the review
            # queue's probe for possible duplicates).
            models.Index(
                fields=["start_date"],
                include=["id"],
                condition=models.Q(merged_into__isnull=True)
                & ~models.Q(review_state=ReviewState.REJECTED),
                name="meeting_visible_start_idx",
            ),
            # Counting filtered meetings joins visible ids read from this index alone.
            models.Index(
                fields=["id"],
                condition=~models.Q(review_state=ReviewState.REJECTED),
                name="meeting_visible_idx",
            ),
            # The few rejected meetings, left out of links' counts, without reading the table.
            models.Index(
                fields=["id"],
                condition=models.Q(review_state=ReviewState.REJECTED),
                name="meeting_rejected_idx",
            ),
            GinIndex(fields=["search_vector"], name="meeting_search_gin"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_date__isnull=True)
                | models.Q(start_date__isnull=True)
                | models.Q(end_date__gte=models.F("start_date")),
                name="meeting_dates_ordered",
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("diplomacy:meeting", args=[self.slug])


class Participation(models.Model):
    """A person at a meeting, with the role they held then and the side they spoke for."""

    # Both foreign keys are served by the two-column indexes below, not indexes of their own.
    meeting = models.ForeignKey(
        Meeting, on_delete=models.CASCADE, related_name="participations", db_index=False
    )
    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="participations", db_index=False
    )
    role = XmlSafeCharField(max_length=200, blank=True)
    side = models.CharField(max_length=10, choices=Side.choices, default=Side.OTHER)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["meeting", "person"], name="participation_unique")
        ]
        # Filtering meetings by participant and counting them read this index alone.
        indexes = [models.Index(fields=["person", "meeting"], name="participation_person_idx")]

    def __str__(self):
        return f"{self.person} at {self.meeting}"


class MeetingTopic(models.Model):
    """A topic discussed at a meeting."""

    # Served by meeting_topic_unique and meeting_topic_topic_idx.
    meeting = models.ForeignKey(
        Meeting, on_delete=models.CASCADE, related_name="meeting_topics", db_index=False
    )
    topic = models.ForeignKey(
        Topic, on_delete=models.CASCADE, related_name="meeting_topics", db_index=False
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["meeting", "topic"], name="meeting_topic_unique")
        ]
        indexes = [models.Index(fields=["topic", "meeting"], name="meeting_topic_topic_idx")]

    def __str__(self):
        return f"{self.topic} at {self.meeting}"


class ArticleTopic(models.Model):
    """An article that mentions a topic, with the article's publication time.

    Derived from the mentions (diplomacy.services.article_topics keeps it in step), so that a
    topic's articles per period, or its newest articles, are read from one index instead of
    from every mention of the topic joined to its article.
    """

    # The primary key serves the rows of an article; article_topic_published_idx a topic's.
    pk = models.CompositePrimaryKey("article", "topic")
    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="article_topics", db_index=False
    )
    topic = models.ForeignKey(
        Topic, on_delete=models.CASCADE, related_name="article_topics", db_index=False
    )
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(
                "topic",
                models.F("published_at").desc(nulls_last=True),
                models.F("article").desc(),
                name="article_topic_published_idx",
            )
        ]

    def __str__(self):
        return f"{self.topic_id} in article {self.article_id}"


class TopicDay(models.Model):
    """How many articles published on a day (UTC) mention a topic.

    Kept by triggers on ArticleTopic (migration 0011), whatever writes or deletes its rows, so
    that a topic's articles per week, month or year are summed from a few thousand days
    instead of counted from every article.
    """

    pk = models.CompositePrimaryKey("topic", "day")
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="+", db_index=False)
    day = models.DateField()
    articles = models.IntegerField(default=0)

    def __str__(self):
        return f"{self.topic_id} on {self.day}: {self.articles}"


class Evidence(models.Model):
    """A sentence of an article that supports fields of a meeting."""

    # Served by evidence_article_idx and evidence_meeting_idx: every ingested row pays for each
    # index, so none is kept twice.
    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="evidence", db_index=False
    )
    meeting = models.ForeignKey(
        Meeting, on_delete=models.CASCADE, related_name="evidence", db_index=False
    )
    quote = models.TextField()
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    fields = ArrayField(
        models.CharField(max_length=20, choices=EvidenceField.choices), default=list
    )
    claims = models.JSONField(
        default=dict, blank=True, help_text="The values this sentence claims, by field."
    )
    conflicting = models.BooleanField(
        default=False, help_text="Claims differ from a curated value of the meeting."
    )
    confidence = models.FloatField(default=0.5)
    extractor_version = models.CharField(max_length=20)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "evidence"
        ordering = ["article_id", "start"]
        indexes = [
            models.Index(fields=["meeting", "article"], name="evidence_meeting_idx"),
            models.Index(fields=["article"], name="evidence_article_idx"),
            # The review queue: a meeting's best sentence (low confidence, single weak report)
            # is the first entry, and conflicting sentences are few.
            models.Index(fields=["meeting", "-confidence"], name="evidence_confidence_idx"),
            models.Index(
                fields=["meeting"],
                condition=models.Q(conflicting=True),
                name="evidence_conflict_idx",
            ),
            # The bound is the review queue's LOW_CONFIDENCE (diplomacy/selectors/curation.py).
            models.Index(
                fields=["meeting"],
                condition=models.Q(confidence__lt=0.5),
                name="evidence_low_confidence_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["article", "meeting", "start"], name="evidence_unique_sentence"
            ),
            models.CheckConstraint(
                condition=models.Q(end__gte=models.F("start")), name="evidence_span"
            ),
        ]

    def __str__(self):
        return self.quote[:80]


class ResettleRequest(models.Model):
    """A meeting whose people's vague reports wait to be placed again.

    A worker's batch records the meetings it changed here, in its own transaction, and one
    task places the vague reports of all that wait at once (see services.resettling), so that
    articles are not held up by it. A plain id, not a key: a meeting deleted meanwhile simply
    has nothing left to place.
    """

    meeting_id = models.BigIntegerField(primary_key=True)
    requested_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"meeting {self.meeting_id}"


class Mention(models.Model):
    """A person, place, topic or date found in an article, with its span in the body."""

    article = models.ForeignKey(
        Article,
        on_delete=models.CASCADE,
        related_name="mentions",
        db_index=False,  # mention_article_idx
    )
    kind = models.CharField(max_length=10, choices=MentionKind.choices)
    text = models.CharField(max_length=300)
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    person = models.ForeignKey(
        Person,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="mentions",
        db_index=False,  # mention_person_idx
    )
    location = models.ForeignKey(
        Location, null=True, blank=True, on_delete=models.CASCADE, related_name="mentions"
    )
    topic = models.ForeignKey(
        Topic, null=True, blank=True, on_delete=models.CASCADE, related_name="mentions"
    )
    value = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["article_id", "start"]
        indexes = [
            models.Index(fields=["article", "start"], name="mention_article_idx"),
            models.Index(fields=["topic", "article"], name="mention_topic_idx"),
            models.Index(fields=["person"], name="mention_person_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["article", "kind", "start", "end"], name="mention_unique_span"
            )
        ]

    def __str__(self):
        return self.text
