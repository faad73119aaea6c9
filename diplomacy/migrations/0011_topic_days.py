import django.db.models.deletion
from django.db import migrations, models

# ArticleTopic's rows counted per topic and day of publication (UTC, the site's time zone),
# kept by statement triggers: every write of its rows (extraction's refresh, an edit of a
# date, the cascade of an article's deletion, bulk loads and clean-ups) moves the counts, in
# (topic, day) order so that concurrent writers lock rows in one order. A decrement only
# updates (the rows of a topic being deleted may be gone already); an increment inserts too.
TRIGGERS = """
CREATE FUNCTION diplomacy_topicday_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        UPDATE diplomacy_topicday AS counted
        SET articles = counted.articles - gone.articles
        FROM (
            SELECT topic_id, (published_at AT TIME ZONE 'UTC')::date AS day, count(*) AS articles
            FROM old_rows WHERE published_at IS NOT NULL
            GROUP BY 1, 2 ORDER BY 1, 2
        ) AS gone
        WHERE counted.topic_id = gone.topic_id AND counted.day = gone.day;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO diplomacy_topicday AS counted (topic_id, day, articles)
        SELECT topic_id, (published_at AT TIME ZONE 'UTC')::date, count(*)
        FROM new_rows WHERE published_at IS NOT NULL
        GROUP BY 1, 2 ORDER BY 1, 2
        ON CONFLICT (topic_id, day) DO UPDATE SET articles = counted.articles + EXCLUDED.articles;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER diplomacy_articletopic_inserted AFTER INSERT ON diplomacy_articletopic
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION diplomacy_topicday_count();
CREATE TRIGGER diplomacy_articletopic_deleted AFTER DELETE ON diplomacy_articletopic
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION diplomacy_topicday_count();
CREATE TRIGGER diplomacy_articletopic_updated AFTER UPDATE ON diplomacy_articletopic
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION diplomacy_topicday_count();
INSERT INTO diplomacy_topicday (topic_id, day, articles)
SELECT topic_id, (published_at AT TIME ZONE 'UTC')::date, count(*)
FROM diplomacy_articletopic WHERE published_at IS NOT NULL
GROUP BY 1, 2;
"""
DROP_TRIGGERS = """
DROP TRIGGER diplomacy_articletopic_inserted ON diplomacy_articletopic;
DROP TRIGGER diplomacy_articletopic_deleted ON diplomacy_articletopic;
DROP TRIGGER diplomacy_articletopic_updated ON diplomacy_articletopic;
DROP FUNCTION diplomacy_topicday_count();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("diplomacy", "0010_article_topics"),
    ]

    operations = [
        migrations.CreateModel(
            name="TopicDay",
            fields=[
                (
                    "pk",
                    models.CompositePrimaryKey(
                        "topic",
                        "day",
                        blank=True,
                        editable=False,
                        primary_key=True,
                        serialize=False,
                    ),
                ),
                ("day", models.DateField()),
                ("articles", models.IntegerField(default=0)),
                (
                    "topic",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="diplomacy.topic",
                    ),
                ),
            ],
        ),
        migrations.RunSQL(TRIGGERS, DROP_TRIGGERS),
    ]
