import re
from datetime import datetime, timedelta

from django.utils.dateparse import parse_date, parse_datetime
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.reverse import reverse
from rest_framework.validators import ProhibitSurrogateCharactersValidator

from articles.choices import ArticleStatus, SourceKind
from articles.models import Article, Source

MAX_URL_CHARS = 2000
MAX_SOURCE_CHARS = 200
MAX_TITLE_CHARS = 500
MAX_UTC_OFFSET = timedelta(hours=14)


class NamedChoiceField(serializers.ChoiceField):
    """A read-only ChoiceField documented as an enum named after its choices class.

    Several models call a field `kind` or `status`, each with its own choices; naming every
    set after its TextChoices class (MeetingKind, ArticleStatus, …) keeps them apart in the
    schema instead of leaving the generator to invent colliding names.
    """

    def __init__(self, choices_class, **kwargs):
        self.choices_class = choices_class
        kwargs.setdefault("read_only", True)
        super().__init__(choices=choices_class.choices, **kwargs)


class NamedChoiceFieldExtension(OpenApiSerializerFieldExtension):
    target_class = NamedChoiceField

    def get_name(self):
        return self.target.choices_class.__name__

    def map_serializer_field(self, auto_schema, direction):
        choices = self.target.choices_class
        return {
            "type": "string",
            "enum": list(choices.values),
            "description": "\n".join(f"* `{value}` - {label}" for value, label in choices.choices),
        }


class ErrorSerializer(serializers.Serializer):
    """The one error shape of the API (documentation only)."""

    detail = serializers.CharField(help_text="What went wrong, in a sentence.")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Messages by field name, when particular fields are invalid.",
    )


class SourceSerializer(serializers.ModelSerializer):
    kind = NamedChoiceField(SourceKind)

    class Meta:
        model = Source
        fields = ["slug", "name", "kind"]


class ArticleSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(
        view_name="api:article-detail", help_text="This article in the API: poll it for status."
    )
    source_url = serializers.URLField(
        source="url", read_only=True, allow_null=True, help_text="Where the text was published."
    )
    source = SourceSerializer(read_only=True, allow_null=True)
    status = NamedChoiceField(ArticleStatus)

    class Meta:
        model = Article
        fields = [
            "id",
            "url",
            "status",
            "error",
            "title",
            "source",
            "source_url",
            "published_at",
            "published_source",
            "processed_at",
            "extractor_version",
            "created_at",
        ]
        read_only_fields = fields


_DATETIME = serializers.DateTimeField(read_only=True)  # None for None, as in the serializer


def article_item(article: Article, request, format: str | None = None) -> dict:
    """Return what ArticleSerializer gives for the article, built directly: the submit door
    answers every POST with it, and building the serializer's fields costs more than the
    fields themselves (tests/articles/test_api.py compares the two)."""
    source = article.source
    return {
        "id": article.pk,
        "url": reverse(
            "api:article-detail", kwargs={"pk": article.pk}, request=request, format=format
        ),
        "status": str(article.status),
        "error": article.error,
        "title": article.title,
        "source": source and {"slug": source.slug, "name": source.name, "kind": str(source.kind)},
        "source_url": article.url,
        "published_at": _DATETIME.to_representation(article.published_at),
        "published_source": str(article.published_source),
        "processed_at": _DATETIME.to_representation(article.processed_at),
        "extractor_version": article.extractor_version,
        "created_at": _DATETIME.to_representation(article.created_at),
    }


class ArticleDetailSerializer(ArticleSerializer):
    class Meta(ArticleSerializer.Meta):
        fields = [*ArticleSerializer.Meta.fields, "body"]
        read_only_fields = fields


@extend_schema_field(OpenApiTypes.DATETIME)
class DateOrDateTimeField(serializers.Field):
    """Accept an ISO 8601 date ("2024-01-26") or date-time ("2024-01-26T09:30:00Z")."""

    default_error_messages = {
        "invalid": "Give a date (YYYY-MM-DD) or an ISO 8601 date-time.",
        "offset": "The UTC offset {offset} is beyond any time zone; give one within ±14:00.",
    }

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        text = data.strip()
        try:
            # A bare date first: parse_datetime would read it as midnight, but the service
            # places a date-only publication at noon so that time zones cannot shift its day.
            value = parse_date(text) or parse_datetime(text)
        except ValueError:  # well-formed but impossible, e.g. 2024-02-30
            value = None
        if value is None:
            self.fail("invalid")
        offset = value.utcoffset() if isinstance(value, datetime) else None
        # ISO 8601 allows offsets up to ±23:59, PostgreSQL stores up to ±15:59, and real time
        # zones span -12:00 to +14:00: refuse what no clock shows rather than fail in the database.
        if offset is not None and abs(offset) > MAX_UTC_OFFSET:
            self.fail("offset", offset=text[-6:])
        return value

    def to_representation(self, value):
        return value.isoformat()


_SURROGATE = re.compile(r"[\ud800-\udfff]")


def _refuse_surrogates(value: str) -> None:
    """Refuse lone surrogates (a JSON escape can send one), as DRF's own validator does, with
    one regular expression instead of a Python step per character of a long text."""
    found = _SURROGATE.search(value)
    if found is not None:
        raise serializers.ValidationError(
            f"Surrogate characters are not allowed: U+{ord(found.group()):X}.",
            code="surrogate_characters_not_allowed",
        )


class LongTextField(serializers.CharField):
    """A CharField for texts of up to a megabyte, whose lone surrogates are looked for with
    one expression."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.validators = [
            _refuse_surrogates if isinstance(v, ProhibitSurrogateCharactersValidator) else v
            for v in self.validators
        ]


class ArticleIngestSerializer(serializers.Serializer):
    """What a client sends to store an article: its text, its address, or both."""

    body = LongTextField(
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        help_text="The article's text. Limited to ARTICLE_MAX_CHARS characters (413 beyond).",
    )
    url = serializers.URLField(
        required=False,
        allow_blank=True,
        max_length=MAX_URL_CHARS,
        help_text="Where the article is published. Without a body, the text is fetched from it.",
    )
    title = serializers.CharField(required=False, allow_blank=True, max_length=MAX_TITLE_CHARS)
    published_at = DateOrDateTimeField(
        required=False,
        allow_null=True,
        help_text="Publication date or date-time; relative dates in the text resolve against it.",
    )
    source = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=MAX_SOURCE_CHARS,
        help_text="Publisher name; created on first use.",
    )

    def validate_url(self, value):
        if value and not value.lower().startswith(("http://", "https://")):
            raise serializers.ValidationError("Enter an http or https URL.")
        return value

    def validate(self, attrs):
        if not (attrs.get("body") or "").strip() and not attrs.get("url"):
            raise serializers.ValidationError(
                {"body": ["Send the article's text (body) or its address (url)."]}
            )
        return attrs
