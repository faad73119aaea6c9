from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.db import models
from django.db.models.functions import Left

from articles.choices import ArticleStatus, PublishedSource, SourceKind, SourceSide
from articles.querysets import ArticleQuerySet

# Only the first part of a very long body is indexed: PostgreSQL caps a tsvector at 1 MB.
SEARCH_PREFIX_CHARS = 200_000


class Source(models.Model):
    """A publisher of articles: a news outlet, a government, or a feed."""

    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=200, unique=True)
    kind = models.CharField(max_length=20, choices=SourceKind.choices, default=SourceKind.NEWS)
    side = models.CharField(
        max_length=20,
        choices=SourceSide.choices,
        default=SourceSide.MEDIA,
        # Rows written by raw SQL (the benchmark loader's COPY) get it too.
        db_default=SourceSide.MEDIA,
        help_text="Whose voice this is: a government's readout, or the press.",
    )
    homepage = models.URLField(max_length=500, blank=True)
    feed_url = models.URLField(max_length=1000, blank=True)
    feed_etag = models.CharField(max_length=500, blank=True, editable=False)
    feed_modified = models.CharField(max_length=100, blank=True, editable=False)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    last_poll_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Article(models.Model):
    """One text as received: a news story or an official readout."""

    source = models.ForeignKey(
        Source, null=True, blank=True, on_delete=models.SET_NULL, related_name="articles"
    )
    url = models.URLField(max_length=2000, null=True, blank=True, unique=True)
    title = models.CharField(max_length=500, blank=True)
    body = models.TextField(blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    published_source = models.CharField(
        max_length=20, choices=PublishedSource.choices, default=PublishedSource.UNKNOWN
    )
    content_hash = models.CharField(max_length=64, null=True, blank=True, unique=True)
    status = models.CharField(
        max_length=20, choices=ArticleStatus.choices, default=ArticleStatus.PENDING
    )
    error = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    status_changed_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    extractor_version = models.CharField(max_length=20, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    search_vector = models.GeneratedField(
        expression=SearchVector("title", weight="A", config="english")
        + SearchVector(Left("body", SEARCH_PREFIX_CHARS), weight="B", config="english"),
        output_field=SearchVectorField(),
        db_persist=True,
    )

    objects = ArticleQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-id"]
        indexes = [
            GinIndex(fields=["search_vector"], name="article_search_gin"),
            models.Index(fields=["status", "status_changed_at"], name="article_status_idx"),
            # Newest first with undated articles last, as search and the lists read them.
            models.Index(
                models.F("published_at").desc(nulls_last=True),
                models.F("id").desc(),
                name="article_published_idx",
            ),
        ]
        constraints = [
            # A URL-only article waits for its fetch without a body; any other needs a body.
            models.CheckConstraint(
                condition=models.Q(content_hash__isnull=False) | models.Q(url__isnull=False),
                name="article_has_body_or_url",
            ),
        ]

    def __str__(self):
        return self.title or self.url or f"Article {self.pk}"
