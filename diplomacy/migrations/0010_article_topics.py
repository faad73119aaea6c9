import django.db.models.deletion
from django.db import migrations, models

# Every article's topics from its mentions, with its publication time (see ArticleTopic).
BACKFILL = """
INSERT INTO diplomacy_articletopic (article_id, topic_id, published_at)
SELECT DISTINCT mention.article_id, mention.topic_id, article.published_at
FROM diplomacy_mention AS mention
JOIN articles_article AS article ON article.id = mention.article_id
WHERE mention.topic_id IS NOT NULL
"""


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0003_source_side"),
        ("diplomacy", "0009_review_order"),
    ]

    operations = [
        migrations.CreateModel(
            name="ArticleTopic",
            fields=[
                (
                    "pk",
                    models.CompositePrimaryKey(
                        "article",
                        "topic",
                        blank=True,
                        editable=False,
                        primary_key=True,
                        serialize=False,
                    ),
                ),
                ("published_at", models.DateTimeField(blank=True, null=True)),
                (
                    "article",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="article_topics",
                        to="articles.article",
                    ),
                ),
                (
                    "topic",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="article_topics",
                        to="diplomacy.topic",
                    ),
                ),
            ],
        ),
        # Filled before its index is built: one sort instead of an index insert per row.
        migrations.RunSQL(BACKFILL, migrations.RunSQL.noop),
        migrations.AddIndex(
            model_name="articletopic",
            index=models.Index(
                models.F("topic"),
                models.OrderBy(models.F("published_at"), descending=True, nulls_last=True),
                models.OrderBy(models.F("article"), descending=True),
                name="article_topic_published_idx",
            ),
        ),
    ]
