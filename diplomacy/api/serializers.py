from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from articles.api.serializers import ArticleDetailSerializer, NamedChoiceField
from articles.choices import SourceSide
from articles.models import Article
from diplomacy import selectors
from diplomacy.choices import (
    LocationKind,
    MeetingKind,
    MeetingStatus,
    MentionKind,
)
from diplomacy.models import (
    Evidence,
    Location,
    Meeting,
    MeetingTopic,
    Office,
    Participation,
    Person,
    Topic,
)
from diplomacy.selectors import INTERVALS, meeting_evidence_ids
from diplomacy.selectors.meetings import MEETING_LIST_FIELDS

# The meeting detail carries this many sentences; /meetings/{id}/evidence/ pages through all.
DETAIL_EVIDENCE = 100
# Columns of an evidence item, in the order `EvidenceItems.item` unpacks them.
EVIDENCE_COLUMNS = (
    "article_id",
    "article__title",
    "article__url",
    "article__published_at",
    "quote",
    "fields",
    "confidence",
)
ID_PLACEHOLDER = "article-id"
DATETIME = serializers.DateTimeField()


def absolute_page_url(serializer, instance) -> str:
    """Return the absolute URL of the instance's HTML page."""
    url = instance.get_absolute_url()
    request = serializer.context.get("request")
    return request.build_absolute_uri(url) if request is not None else url


class LocationBriefSerializer(serializers.ModelSerializer):
    kind = NamedChoiceField(LocationKind)

    class Meta:
        model = Location
        fields = ["slug", "name", "kind", "country"]


class ParticipantSerializer(serializers.ModelSerializer):
    slug = serializers.CharField(source="person.slug")
    name = serializers.CharField(source="person.name")
    country = serializers.CharField(source="person.country", help_text="ISO 3166 alpha-2")
    role = serializers.CharField(help_text="The role held at the time of the meeting.")

    class Meta:
        model = Participation
        fields = ["slug", "name", "country", "role"]


class TopicBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Topic
        fields = ["slug", "name"]


class MeetingTopicSerializer(serializers.ModelSerializer):
    slug = serializers.CharField(source="topic.slug")
    name = serializers.CharField(source="topic.name")

    class Meta:
        model = MeetingTopic
        fields = ["slug", "name"]


class MeetingListItemSerializer(serializers.ModelSerializer):
    """The shape of a meeting list row.

    The list itself is built by `diplomacy.selectors.meetings` in one query and rendered with
    orjson; this serializer documents that shape in the OpenAPI schema and in tests.
    """

    kind = NamedChoiceField(MeetingKind)
    status = NamedChoiceField(MeetingStatus)
    location = LocationBriefSerializer(allow_null=True)
    participants = ParticipantSerializer(many=True)
    topics = TopicBriefSerializer(many=True)
    url = serializers.URLField(help_text="The meeting's page on the site.")

    class Meta:
        model = Meeting
        fields = list(MEETING_LIST_FIELDS)
        read_only_fields = fields


class EvidenceArticleSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(
        view_name="api:article-detail", help_text="The article in the API (text and spans)."
    )
    source_url = serializers.URLField(
        source="url", allow_null=True, help_text="Where the article was published."
    )

    class Meta:
        model = Article
        fields = ["id", "title", "url", "source_url", "published_at"]
        read_only_fields = fields


class EvidenceSerializer(serializers.ModelSerializer):
    """The shape of an evidence item; `EvidenceItems` builds them."""

    article = EvidenceArticleSerializer()
    fields = serializers.ListField(
        child=serializers.CharField(), help_text="Meeting fields this sentence supports."
    )

    class Meta:
        model = Evidence
        fields = ["id", "article", "quote", "fields", "confidence"]
        read_only_fields = fields


class EvidenceItems:
    """Build evidence items (EvidenceSerializer's shape) from rows read with `values()`.

    A nested ModelSerializer costs ~0.15 ms per row, most of a busy meeting's detail; plain
    dicts rendered by orjson cost a fraction of that.
    """

    def __init__(self, request):
        # Reverse once per request, not once per row: article URLs differ only by the id.
        path = reverse("api:article-detail", args=[ID_PLACEHOLDER])
        url = request.build_absolute_uri(path) if request is not None else path
        self.url_head, _, self.url_tail = url.rpartition(ID_PLACEHOLDER)

    def __call__(self, ids: list[int]) -> list[dict]:
        """Return the items of these evidence rows, in the order of `ids`."""
        rows = Evidence.objects.filter(pk__in=ids).order_by().values_list("pk", *EVIDENCE_COLUMNS)
        found = {row[0]: row for row in rows}
        return [self.item(found[pk]) for pk in ids if pk in found]

    def item(self, row) -> dict:
        pk, article_id, title, source_url, published_at, quote, fields, confidence = row
        return {
            "id": pk,
            "article": {
                "id": article_id,
                "title": title,
                "url": f"{self.url_head}{article_id}{self.url_tail}",
                "source_url": source_url,
                "published_at": published_at and DATETIME.to_representation(published_at),
            },
            "quote": quote,
            "fields": fields,
            "confidence": confidence,
        }


class MeetingDetailSerializer(MeetingListItemSerializer):
    participants = ParticipantSerializer(source="participations", many=True)
    topics = MeetingTopicSerializer(source="meeting_topics", many=True)
    url = serializers.SerializerMethodField(help_text="The meeting's page on the site.")
    evidence = serializers.SerializerMethodField(
        help_text=f"The first {DETAIL_EVIDENCE} sentences in order of the articles' publication "
        "(undated last); `evidence_count` says how many there are, `evidence_url` lists all."
    )
    evidence_url = serializers.SerializerMethodField(
        help_text="Where to page through all `evidence_count` sentences, in the same order."
    )

    class Meta(MeetingListItemSerializer.Meta):
        fields = [
            *MeetingListItemSerializer.Meta.fields,
            "summary",
            "location_note",
            "review_state",
            "locked_fields",
            "first_reported_at",
            "evidence",
            "evidence_url",
        ]
        read_only_fields = fields

    def get_url(self, meeting) -> str:
        return absolute_page_url(self, meeting)

    @extend_schema_field(EvidenceSerializer(many=True))
    def get_evidence(self, meeting) -> list[dict]:
        ids = meeting_evidence_ids(meeting.pk, 0, DETAIL_EVIDENCE)
        return EvidenceItems(self.context.get("request"))(ids)

    @extend_schema_field(serializers.URLField())
    def get_evidence_url(self, meeting) -> str:
        path = reverse("api:meeting-evidence", args=[meeting.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


class ArticleMeetingSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField(help_text="The meeting's page on the site.")

    class Meta:
        model = Meeting
        fields = ["id", "slug", "title", "url"]
        read_only_fields = fields

    def get_url(self, meeting) -> str:
        return absolute_page_url(self, meeting)


class MentionSerializer(serializers.Serializer):
    text = serializers.CharField(help_text="The words as written.")
    start = serializers.IntegerField(help_text="Offset of the first character in the body.")
    end = serializers.IntegerField(help_text="Offset just past the last character.")
    value = serializers.CharField(help_text="Resolved value, e.g. an ISO date for dates.")
    slug = serializers.CharField(
        allow_null=True, help_text="The person, place or topic it refers to, when resolved."
    )


class MentionsByKindSerializer(serializers.Serializer):
    """Documentation of the `mentions` object: one list per kind, every kind present."""

    def get_fields(self):
        return {kind: MentionSerializer(many=True) for kind in MentionKind.values}


class ArticleExtractionSerializer(ArticleDetailSerializer):
    """An article with what extraction found in it."""

    meetings = serializers.SerializerMethodField(help_text="Meetings this article reports.")
    mentions = serializers.SerializerMethodField(
        help_text="People, places, topics, dates and titles found, by kind."
    )

    class Meta(ArticleDetailSerializer.Meta):
        fields = [*ArticleDetailSerializer.Meta.fields, "meetings", "mentions"]
        read_only_fields = fields

    @extend_schema_field(ArticleMeetingSerializer(many=True))
    def get_meetings(self, article):
        meetings = selectors.article_meetings(article.pk)
        return ArticleMeetingSerializer(meetings, many=True, context=self.context).data

    @extend_schema_field(MentionsByKindSerializer)
    def get_mentions(self, article):
        return selectors.article_mentions_by_kind(article.pk)


class OfficeSerializer(serializers.ModelSerializer):
    class Meta:
        model = Office
        fields = ["title", "role", "organisation", "country", "start_date", "end_date"]


class PersonSerializer(serializers.ModelSerializer):
    offices = OfficeSerializer(many=True, read_only=True)
    meeting_count = serializers.IntegerField(
        read_only=True, help_text="Meetings taken part in (rejected ones left out)."
    )

    class Meta:
        model = Person
        fields = [
            "slug",
            "name",
            "country",
            "aliases",
            "review_state",
            "offices",
            "meeting_count",
        ]


class TopicSerializer(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    meeting_count = serializers.IntegerField(
        read_only=True, help_text="Meetings about it (rejected ones left out)."
    )

    class Meta:
        model = Topic
        fields = ["slug", "name", "parent", "description", "keywords", "meeting_count"]


class LocationParentSerializer(serializers.ModelSerializer):
    kind = NamedChoiceField(LocationKind)

    class Meta:
        model = Location
        fields = ["slug", "name", "kind"]


class LocationSerializer(serializers.ModelSerializer):
    kind = NamedChoiceField(LocationKind)
    parent = LocationParentSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Location
        fields = ["slug", "name", "kind", "country", "parent", "aliases"]


class TopicActivityQuerySerializer(serializers.Serializer):
    interval = serializers.ChoiceField(
        choices=sorted(INTERVALS), default="month", help_text="Length of each period."
    )


class TopicActivitySerializer(serializers.Serializer):
    period = serializers.DateField(help_text="First day of the period.")
    meetings = serializers.IntegerField(help_text="Meetings that started in the period.")
    articles = serializers.IntegerField(help_text="Articles published in it that mention it.")


class ReadoutArticleSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    source = serializers.CharField()
    published_at = serializers.DateTimeField(allow_null=True)


class ReadoutSentenceSerializer(serializers.Serializer):
    article_id = serializers.IntegerField()
    quote = serializers.CharField()


class ReadoutSerializer(serializers.Serializer):
    side = serializers.ChoiceField(choices=SourceSide.choices)
    label = serializers.CharField()
    articles = ReadoutArticleSerializer(many=True)
    sentences = ReadoutSentenceSerializer(many=True)
    topics = TopicBriefSerializer(many=True, help_text="Topics this government's readout names.")
    only_here = TopicBriefSerializer(many=True, help_text="Topics the other readout leaves out.")


class MeetingReadoutsSerializer(serializers.Serializer):
    both_sides = serializers.BooleanField(
        help_text="Both governments published a readout; otherwise `readouts` is empty."
    )
    readouts = ReadoutSerializer(many=True, help_text="US government first, then PRC.")
