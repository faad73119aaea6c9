"""React to articles being stored: articles announces, diplomacy extracts."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from articles.signals import article_stored


@receiver(article_stored, dispatch_uid="diplomacy.extract_stored_article")
def extract_stored_article(sender, article_id: int, **kwargs):
    """Queue extraction of a stored article. Callers that wait (`ingest --sync`) call
    diplomacy.services.article_process_now themselves."""
    from diplomacy.tasks import article_extract

    article_extract.delay(article_id)


def _redate_article_topics(sender, instance, created, update_fields=None, **kwargs):
    """Keep an article's topic rows at its publication time when it is edited (the admin)."""
    if created or (update_fields is not None and "published_at" not in update_fields):
        return
    from diplomacy.services.article_topics import article_topics_redate

    article_topics_redate(instance.pk, instance.published_at)


def _connect_article_receivers():
    from articles.models import Article

    post_save.connect(
        _redate_article_topics, sender=Article, dispatch_uid="diplomacy.redate_article_topics"
    )


_connect_article_receivers()


# Edits made one row at a time (the admin, curation, reference data) move the data revision
# on; the extraction service bumps it itself for its bulk writes. Evidence and Mention are left
# out on purpose: a receiver on them would turn their cascading deletes into row-by-row ones,
# and they only change with an article or a meeting, which are covered.
def _data_changed(sender, **kwargs):
    from diplomacy.revision import revision_bump

    revision_bump()


def _connect_revision_receivers():
    from articles.models import Article, Source
    from diplomacy import models

    watched = (
        Article,
        Source,
        models.Person,
        models.Office,
        models.Location,
        models.Topic,
        models.Meeting,
        models.Participation,
        models.MeetingTopic,
        models.Channel,
        models.ChannelSuspension,
    )
    for model in watched:
        for signal in (post_save, post_delete):
            signal.connect(_data_changed, sender=model, dispatch_uid=f"revision.{model.__name__}")


_connect_revision_receivers()
