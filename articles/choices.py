from django.db import models


class SourceKind(models.TextChoices):
    NEWS = "news", "News"
    OFFICIAL = "official", "Official"
    OTHER = "other", "Other"


class PublishedSource(models.TextChoices):
    GIVEN = "given", "Given"
    METADATA = "metadata", "From page metadata"
    INFERRED = "inferred", "Inferred from the text"
    UNKNOWN = "unknown", "Unknown"


class ArticleStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    PROCESSING = "processing", "Processing"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class SourceSide(models.TextChoices):
    """Whose voice a source is: a readout from one of the two governments reads differently."""

    US_GOVERNMENT = "us_government", "US government"
    PRC_GOVERNMENT = "prc_government", "PRC government"
    OTHER_GOVERNMENT = "other_government", "Other government"
    MEDIA = "media", "Media"
