"""factory_boy factories for every model, shared by the whole suite."""

import hashlib
from datetime import date

import factory
from django.contrib.auth import get_user_model
from django.utils.text import slugify

from articles.models import Article, Source
from diplomacy.models import (
    Channel,
    ChannelSuspension,
    Evidence,
    Location,
    Meeting,
    MeetingTopic,
    Mention,
    Office,
    Participation,
    Person,
    Topic,
)
from diplomacy.services.article_topics import article_topics_refresh


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]
        skip_postgeneration_save = True  # the password is set on create; roles need no save

    username = factory.Sequence(lambda n: f"analyst{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.org")
    password = factory.django.Password("correct horse battery staple")

    @factory.post_generation
    def roles(user, create, extracted, **kwargs):
        """Give the user role groups: analysts by default, `roles=[]` for none."""
        if not create:
            return
        from diplomacy.roles import ANALYSTS, roles_ensure

        names = [ANALYSTS] if extracted is None else extracted
        if names:
            from django.contrib.auth.models import Group

            roles_ensure()
            user.groups.add(*Group.objects.filter(name__in=names))


class SourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Source
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"Harbour Daily {n}")
    slug = factory.LazyAttribute(lambda source: slugify(source.name))


class ArticleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Article

    source = factory.SubFactory(SourceFactory)
    title = factory.Sequence(lambda n: f"Envoys meet for round {n} of talks")
    body = factory.Sequence(lambda n: f"Officials from both sides met for talks, round {n}.")
    content_hash = factory.LazyAttribute(
        lambda article: hashlib.sha256(article.body.encode()).hexdigest()
    )
    published_at = factory.Faker("date_time_between", start_date="-3y", end_date="-1d", tzinfo=None)
    status = "done"

    @classmethod
    def _adjust_kwargs(cls, **kwargs):
        from django.utils import timezone

        published = kwargs.get("published_at")
        if published is not None and timezone.is_naive(published):
            kwargs["published_at"] = timezone.make_aware(published, timezone.UTC)
        return kwargs


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"Official Number{n}")
    slug = factory.LazyAttribute(lambda person: slugify(person.name))
    country = "US"


class OfficeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Office

    person = factory.SubFactory(PersonFactory)
    role = "foreign-minister"
    title = "Minister of Foreign Affairs"
    country = factory.SelfAttribute("person.country")
    start_date = date(2020, 1, 1)
    end_date = None


class LocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Location
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"City {n}")
    slug = factory.LazyAttribute(lambda location: slugify(location.name))
    kind = "city"
    country = ""


class TopicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Topic
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"Topic {n}")
    slug = factory.LazyAttribute(lambda topic: slugify(topic.name))
    keywords = factory.LazyAttribute(lambda topic: [topic.name.lower()])


class MeetingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Meeting

    title = factory.Sequence(lambda n: f"Talks round {n}")
    slug = factory.LazyAttribute(lambda meeting: slugify(meeting.title))
    kind = "meeting"
    status = "held"
    start_date = date(2024, 1, 26)
    end_date = factory.SelfAttribute("start_date")
    date_precision = "day"


class ParticipationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Participation

    meeting = factory.SubFactory(MeetingFactory)
    person = factory.SubFactory(PersonFactory)
    role = "Envoy"
    side = "us"


class MeetingTopicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MeetingTopic

    meeting = factory.SubFactory(MeetingFactory)
    topic = factory.SubFactory(TopicFactory)


class EvidenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Evidence

    article = factory.SubFactory(ArticleFactory)
    meeting = factory.SubFactory(MeetingFactory)
    quote = factory.LazyAttribute(lambda evidence: evidence.article.body[:200])
    start = 0
    end = factory.LazyAttribute(lambda evidence: len(evidence.quote))
    fields = factory.LazyFunction(lambda: ["participants", "date"])
    confidence = 0.8
    extractor_version = "test"


class MentionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Mention
        skip_postgeneration_save = True

    article = factory.SubFactory(ArticleFactory)
    kind = "topic"
    text = "talks"
    start = 0
    end = 5

    @factory.post_generation
    def article_topics(mention, create, extracted, **kwargs):
        """Extraction stores mentions and keeps the article's topics in step; so do tests."""
        if create and mention.topic_id:
            article_topics_refresh([mention.article_id])


class ChannelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Channel
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"Channel {n}")
    slug = factory.LazyAttribute(lambda channel: slugify(channel.name))
    kind = "office_pair"
    us_role = "national-security-adviser"
    cn_role = "foreign-affairs-commission-director"
    start_date = date(2021, 1, 1)


class ChannelSuspensionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ChannelSuspension

    channel = factory.SubFactory(ChannelFactory)
    start_date = date(2022, 8, 5)
    end_date = date(2023, 11, 15)
    side = "cn"
