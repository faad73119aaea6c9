"""A deterministic corpus for the benchmarks: meetings, and the articles that report them.

Everything comes from `random.Random` seeded with the corpus seed, so the same seed and size give
the same rows on every machine. Meetings are built over the gazetteer (people who held matching
offices on the meeting's date, real places, seed topics); articles report them as news stories,
official readouts or analyses of 300–1,500 words, with dates, places, participants and topics
written into the text; some articles report nothing (commentary on a topic).

Rows come out ready for COPY, consistent with the models: every evidence row quotes its own
sentence of the article body (`body[start:end]`), every mention spans the words it names, and
article bodies are already normalised as `articles.text.normalise_body` would store them.

Articles are generated in chunks that depend only on (seed, chunk index), so chunks can be made
by several processes in any order and still give the same corpus.

    corpus = Corpus(seed=1, articles=10_000, reference=Reference.from_gazetteer(gaz, ids))
    corpus.meeting_rows(); corpus.participation_rows(); corpus.meeting_topic_rows()
    batch = corpus.article_chunk(0, 5_000)   # articles, evidence and mentions of that chunk
"""

from __future__ import annotations

import bisect
import calendar
import hashlib
import random
import re
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import orjson
from django.utils.text import slugify

from diplomacy.merging import meeting_title

# Bump when the generated (or loaded) rows change: the loader reloads a database made by
# another version.
GENERATOR_VERSION = "6"
# The version written on generated evidence and articles ("extracted" by the corpus, not a model).
EXTRACTOR_VERSION = "bench-corpus"

MEETINGS_PER_ARTICLE = 1 / 20  # 1,000,000 articles report 50,000 meetings
REPORTING_SHARE = 0.8  # the rest are commentary that reports no meeting
SECOND_MEETING_SHARE = 0.2  # a reporting article also recalls an earlier meeting
FIRST_DAY = date(2017, 2, 1)
LAST_DAY = date(2025, 12, 31)
# A date that every generated publication date precedes (the API refuses future dates).
LATEST_PUBLICATION = date(2026, 6, 30)

_WORD = re.compile(r"\w+")


def _words(text: str, separator: str | None = None) -> tuple[str, ...]:
    return tuple(text.split(separator))


US, CN, TW = "US", "CN", "TW"
SIDE_OF = {US: "us", CN: "cn", TW: "tw"}
# Whose voice a source is (`Source.side`): each government's readouts, or the press.
SOURCE_SIDE = {US: "us_government", CN: "prc_government", "": "media"}

BROAD_TOPICS = _words(
    "taiwan trade tech-controls fentanyl ukraine north-korea mil-mil ai human-rights "
    "middle-east south-china-sea climate people-to-people iran red-sea"
)

# Who meets whom: US role / Chinese role / kinds:weight / topics (* for the broad list) / weight;
# an indented line continues the one above.
PAIR_TABLE = """
president / president / summit:3 call:5 meeting:1 / * / 6
secretary-of-state / foreign-minister / meeting:5 call:4 visit:1 / * / 8
secretary-of-state / foreign-affairs-commission-director / meeting:3 call:2 / * / 4
national-security-adviser / foreign-affairs-commission-director / meeting:4 call:2 dialogue:1 /
    * / 5
treasury-secretary / vice-premier / meeting:3 call:3 visit:1 /
    macroeconomy trade debt-relief tech-controls climate / 5
treasury-secretary / finance-minister / meeting:2 working_group:3 /
    macroeconomy debt-relief global-health / 3
treasury-secretary / central-bank-governor / meeting:1 call:1 / macroeconomy debt-relief / 1
commerce-secretary / commerce-minister / meeting:3 call:2 working_group:2 /
    trade tech-controls people-to-people / 4
trade-representative / trade-negotiator / meeting:3 call:3 dialogue:2 /
    trade tech-controls food-security / 4
trade-representative / vice-premier / meeting:2 call:2 / trade / 3
defense-secretary / defense-minister / meeting:2 call:3 dialogue:1 /
    mil-mil south-china-sea taiwan ai north-korea / 4
chairman-joint-chiefs / cmc-vice-chairman / call:3 meeting:1 / mil-mil taiwan south-china-sea / 2
indo-pacific-commander / defense-minister / call:2 meeting:1 working_group:1 /
    mil-mil south-china-sea / 1
climate-envoy / climate-envoy / meeting:3 working_group:2 visit:1 call:1 / climate food-security / 3
homeland-security-secretary / public-security-minister / working_group:2 meeting:1 /
    fentanyl migration law-enforcement / 2
attorney-general / public-security-minister / working_group:2 meeting:1 call:1 /
    fentanyl law-enforcement / 2
cia-director / state-security-minister / meeting:1 / mil-mil ukraine / 1
deputy-secretary-of-state / vice-foreign-minister / dialogue:3 meeting:2 working_group:1 / * / 4
ambassador / vice-foreign-minister / meeting:3 / * / 3
vice-president / vice-president / meeting:2 / * / 1
speaker / npc-chairman / visit:2 meeting:1 / * / 1
senate-majority-leader / president / visit:1 meeting:1 / * / 1
president / premier / call:1 meeting:1 / * / 1
"""


def _pairs(table: str) -> tuple[tuple[str, str, dict[str, int], tuple[str, ...], int], ...]:
    pairs = []
    for line in table.strip().replace("/\n    ", "/ ").splitlines():
        us_role, cn_role, kinds, topics, weight = (part.strip() for part in line.split("/"))
        pairs.append(
            (
                us_role,
                cn_role,
                {kind: int(n) for kind, n in (item.split(":") for item in kinds.split())},
                BROAD_TOPICS if topics == "*" else tuple(topics.split()),
                int(weight),
            )
        )
    return tuple(pairs)


PAIRS = _pairs(PAIR_TABLE)
# Who may join the principals.
EXTRA_ROLES = (
    (US, "ambassador"),
    (CN, "ambassador"),
    (US, "deputy-secretary-of-state"),
    (CN, "vice-foreign-minister"),
    (US, "national-security-adviser"),
    (CN, "foreign-affairs-commission-director"),
)
US_CITIES = _words("washington new-york san-francisco honolulu anchorage woodside")
CN_CITIES = _words("beijing beijing beijing shanghai tianjin guangzhou hangzhou")
THIRD_CITIES = _words(
    "bali vienna munich bangkok valletta geneva jakarta kuala-lumpur vientiane new-delhi rome "
    "london phnom-penh lima tokyo zurich stockholm hanoi"
)
US_VENUES = {"washington": ("white-house",), "new-york": ("united-nations-headquarters",)}
CN_VENUES = {"beijing": ("great-hall-of-the-people", "diaoyutai-state-guesthouse", "zhongnanhai")}
# Named mechanisms (the reference channels' aliases): the phrase a report uses, the US and
# Chinese roles whose meetings may be rounds of it, the kinds of meeting, a topic the meeting
# must cover (or None) and the mechanism's first day. The channel service links those meetings
# by the phrase in their evidence, as it does for ingested reports.
MECHANISMS = (
    (
        "the latest session of the counternarcotics working group",
        ("homeland-security-secretary", "attorney-general"),
        ("public-security-minister",),
        ("working_group", "meeting"),
        None,
        date(2024, 1, 30),
    ),
    (
        "talks under the Military Maritime Consultative Agreement",
        ("defense-secretary", "indo-pacific-commander"),
        ("defense-minister",),
        ("working_group", "dialogue", "meeting"),
        None,
        date(1998, 1, 19),
    ),
    (
        "a meeting of the economic working group",
        ("treasury-secretary",),
        ("finance-minister", "vice-premier"),
        ("working_group", "meeting"),
        None,
        date(2023, 9, 22),
    ),
    (
        "the bilateral talks on AI",
        ("secretary-of-state", "national-security-adviser", "deputy-secretary-of-state"),
        ("foreign-minister", "foreign-affairs-commission-director", "vice-foreign-minister"),
        ("dialogue", "meeting", "working_group"),
        "ai",
        date(2024, 5, 14),
    ),
)
# Curation left on the records: locks a curator set (recompute's names) and the evidence
# fields each one covers (a report disagreeing with a locked value is flagged as a conflict).
LOCK_FIELDS = {
    "title": (),
    "kind": ("kind",),
    "dates": ("date",),
    "location": ("location",),
    "participants": ("participants",),
    "topics": ("topics",),
}
EDITED_SHARE = 0.01  # unconfirmed meetings a curator edited (and so locked) all the same
WEAK_SHARE = 0.04  # meetings whose every sentence was extracted with low confidence
DISCOVERED_SHARE = 0.015  # meetings joined by an official the gazetteer lacked
CONFLICT_SHARE = 0.3  # reports of a locked field that disagree with the curated value
# Officials the gazetteer lacks, "discovered" from reports (review_state auto).
DISCOVERED_PEOPLE = (
    (CN, "Director-General of North American Affairs", "Zhou Minghua Lin Qiaosheng Han Xuewen"),
    (CN, "Deputy Director of the Taiwan Affairs Office", "Gao Yanfei Qin Shaoming"),
    (CN, "Assistant Foreign Minister", "Xu Zhenbang Meng Lihua Tang Wenjie"),
    (US, "Deputy Assistant Secretary of State", "Daniel Whitcombe Laura Brennock Peter Adair"),
    (US, "Senior Director for China", "Rachel Ostrander Michael Trevane"),
)

NEWS_SOURCES = _words(
    "Harbour Daily|Pacific Wire|Meridian News|The Capital Ledger|Eastern Courier|"
    "Global Affairs Review|Straits Observer|Continental Press|The Evening Dispatch|"
    "Northbridge Times|Lantern Post|Signal Point News|The Morning Record|Riverside Chronicle|"
    "Atlas Report|Bellwether Journal",
    "|",
)
US_OFFICIAL = (
    "The White House",
    "U.S. Department of State",
    "U.S. Department of the Treasury",
    "U.S. Department of Defense",
    "U.S. Department of Commerce",
)
CN_OFFICIAL = (
    "Ministry of Foreign Affairs of the People's Republic of China",
    "Ministry of National Defense of the People's Republic of China",
    "Ministry of Commerce of the People's Republic of China",
)
# An office title that already names its country needs no "U.S." or "Chinese" before it.
COUNTRY_WORDS = ("United States", "U.S.", "China", "Chinese", "People's", "Taiwan")
MONTHS = tuple(calendar.month_name)[1:]
WEEKDAYS = tuple(calendar.day_name)
# Keyword words written with a capital in running text.
PROPER_WORDS = set(
    _words(
        "taiwan taiwanese china iran iranian tehran ukraine ukrainian kyiv zelensky zelenskyy "
        "russia's russian korea korean pyongyang kim jong un gaza israel israeli hamas hezbollah "
        "palestinian lebanon syria myanmar burma burmese rohingya naypyidaw tatmadaw xinjiang "
        "tibet "
        "tibetan hong kong uyghur uyghurs uighur dalai lama huawei tiktok paris sunnylands "
        "fulbright interpol aden houthi houthis lai ching-te william tsai ing-wen aung san suu kyi "
        "khamenei spratly spratlys paracel scarborough thomas ayungin sabina black red east "
        "mideast "
        "west bank sea strait shoal middle north south relations act"
    )
)
UPPER_WORDS = {"ai", "jcpoa", "irgc", "dprk", "icbm", "mmca", "cop27", "cop28", "cop29", "covid-19"}


def proper_case(keyword: str) -> str:
    """Write a lowercase gazetteer keyword as it appears in prose ("the Taiwan Strait")."""
    words = []
    for word in keyword.split(" "):
        if word in UPPER_WORDS:
            words.append(word.upper())
        elif word in PROPER_WORDS:
            words.append("-".join(part[:1].upper() + part[1:] for part in word.split("-")))
        else:
            words.append(word)
    return " ".join(words)


def content_hash(body: str) -> str:
    """The dedup key of `articles.text.content_hash`, repeated here to stay free of Django."""
    words = " ".join(_WORD.findall(body.casefold()))
    return hashlib.sha256(words.encode("utf-8")).hexdigest()


def word_count(text: str) -> int:
    return len(text.split())


# Reference data ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Holder:
    slug: str
    name: str
    country: str
    role: str
    title: str
    start: date
    end: date


@dataclass(frozen=True)
class Place:
    slug: str
    name: str
    kind: str
    city: str  # the city's name (the place itself for a city)
    city_slug: str
    country_name: str


class Reference:
    """The gazetteer prepared for writing: office holders by role and date, places, keywords.

    `ids` maps ("person" | "location" | "topic", slug) to the database id; without it rows
    carry made-up ids (enough for texts alone, as the extraction benchmark needs).
    """

    def __init__(self, gazetteer, ids: dict[tuple[str, str], int] | None = None):
        self.gazetteer = gazetteer
        self.ids = ids or {}
        self.people = {person.slug: person for person in gazetteer.people}
        self.holders: dict[tuple[str, str], list[Holder]] = {}
        for person in gazetteer.people:
            for office in person.offices:
                if (
                    office.role == "ambassador"
                    and office.country == US
                    and "China" not in (office.title)
                ):
                    continue  # an American ambassador elsewhere is no counterpart of Beijing
                holder = Holder(
                    slug=person.slug,
                    name=person.name,
                    country=office.country or person.country,
                    role=office.role,
                    title=_short_title(office.title),
                    start=office.start or date(1990, 1, 1),
                    end=office.end or date(2100, 1, 1),
                )
                self.holders.setdefault((holder.country, office.role), []).append(holder)
        locations = {location.slug: location for location in gazetteer.locations}
        self.places: dict[str, Place] = {}
        for location in gazetteer.locations:
            if location.kind not in ("city", "venue"):
                continue
            city = location
            if location.kind == "venue" and location.parent in locations:
                city = locations[location.parent]
            country = city
            while country.kind != "country" and country.parent in locations:
                country = locations[country.parent]
            self.places[location.slug] = Place(
                slug=location.slug,
                name=location.name,
                kind=location.kind,
                city=city.name,
                city_slug=city.slug,
                country_name=country.name,
            )
        self.topics = {topic.slug: topic for topic in gazetteer.topics}
        self.keywords = {
            slug: tuple(proper_case(k) for k in topic.keywords if len(k) > 3 or k == "ai")
            or (topic.name,)
            for slug, topic in self.topics.items()
        }
        self.topic_slugs = tuple(sorted(self.topics))
        index = {"person": self.people, "location": locations, "topic": self.topics}
        self._fallback_ids = {
            (kind, slug): number
            for kind, table in index.items()
            for number, slug in enumerate(sorted(table), start=1)
        }

    def id(self, kind: str, slug: str) -> int:
        key = (kind, slug)
        return self.ids.get(key) or self._fallback_ids[key]

    def holder(self, country: str, role: str, day: date) -> Holder | None:
        for holder in self.holders.get((country, role), ()):
            if holder.start <= day <= holder.end:
                return holder
        return None


def _short_title(title: str) -> str:
    """Drop parenthesised asides from an office title ("Secretary of Defense (styled …)")."""
    return re.sub(r"\s*\(.*?\)", "", title).strip()


# Meetings ---------------------------------------------------------------------------------


@dataclass
class Participant:
    holder: Holder
    side: str


@dataclass
class MeetingPlan:
    id: int
    title: str
    slug: str
    kind: str
    status: str
    anchor: date  # the day it happened or was to happen, whatever the recorded precision
    start_date: date | None
    end_date: date | None
    date_precision: str
    place: Place | None
    location_note: str
    announced: bool | None
    participants: list[Participant]
    topics: list[str]
    summary: str
    review_state: str
    host: str  # us / cn / third / none
    locked: tuple[str, ...] = ()  # fields a curator locked (recompute's names)
    weak: bool = False  # every sentence extracted with low confidence
    mechanism: str = ""  # the phrase naming the mechanism it was a round of, if any

    @property
    def last_day(self) -> date:
        return self.end_date or self.anchor


@dataclass
class ArticleBatch:
    """The rows of one chunk of articles, in the loader's column order."""

    articles: list[tuple] = field(default_factory=list)
    evidence: list[tuple] = field(default_factory=list)
    mentions: list[tuple] = field(default_factory=list)
    words: int = 0


ARTICLE_COLUMNS = _words(
    "id source_id url title body published_at published_source content_hash status error  "
    "attempts status_changed_at processed_at extractor_version created_at"
)
EVIDENCE_COLUMNS = _words(
    "article_id meeting_id quote start end fields claims conflicting confidence  "
    "extractor_version created_at"
)
MENTION_COLUMNS = _words("article_id kind text start end person_id location_id topic_id value")
MEETING_COLUMNS = _words(
    "id title slug kind status start_date end_date date_precision location_id  "
    "location_note announced summary review_state locked_fields first_reported_at  "
    "article_count evidence_count created_at updated_at"
)
PARTICIPATION_COLUMNS = ("meeting_id", "person_id", "role", "side")
MEETING_TOPIC_COLUMNS = ("meeting_id", "topic_id")
SOURCE_COLUMNS = _words(
    "id name slug kind homepage feed_url feed_etag feed_modified last_polled_at  "
    "last_poll_error created_at side"
)
PERSON_COLUMNS = ("id", "name", "slug", "country", "aliases", "review_state", "created_at")
CURATION_EVENT_COLUMNS = ("action", "changes", "reason", "created_at", "meeting_id")

KIND_WORDS = {
    "summit": "summit",
    "meeting": "talks",
    "call": "call",
    "working_group": "working group meeting",
    "dialogue": "dialogue",
    "visit": "visit",
}


def _weighted(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(tuple(weights), tuple(weights.values()))[0]


def month_bounds(day: date) -> tuple[date, date]:
    last = calendar.monthrange(day.year, day.month)[1]
    return day.replace(day=1), day.replace(day=last)


# Text -------------------------------------------------------------------------------------


class Body:
    """An article body written sentence by sentence, recording where each mention falls."""

    __slots__ = ("length", "mentions", "parts", "sentences_in_paragraph")

    def __init__(self):
        self.parts: list[str] = []
        self.length = 0
        self.mentions: list[tuple] = []  # (kind, text, start, end, slug, value)
        self.sentences_in_paragraph = 0

    def _put(self, text: str) -> None:
        self.parts.append(text)
        self.length += len(text)

    def paragraph(self) -> None:
        if self.sentences_in_paragraph:
            self._put("\n\n")
        self.sentences_in_paragraph = 0

    def sentence(self, *pieces) -> tuple[int, int]:
        """Append a sentence of text and (kind, text, slug, value) mentions; return its span."""
        if self.sentences_in_paragraph:
            self._put(" ")
        start = self.length
        for piece in pieces:
            if isinstance(piece, str):
                self._put(piece)
            else:
                kind, text, slug, value = piece
                self.mentions.append(
                    (kind, text, self.length, self.length + len(text), slug, value)
                )
                self._put(text)
        self.sentences_in_paragraph += 1
        return start, self.length

    def text(self) -> str:
        # Every span precedes a trailing paragraph break, so dropping it moves none of them.
        return "".join(self.parts).removesuffix("\n\n")


FILLER_TEMPLATES = (
    "{Analysts} said the {exchange} reflected {mood} on both sides after {period} of {strain}.",
    "{Officials} in both capitals have described the relationship as {state}, though each side "
    "blames the other for {strain}.",
    "The {exchange} comes as {Businesses} watch closely for signs that {pressure} might ease.",
    "{Analysts} cautioned that {mood} at the top does not by itself settle {issues}.",
    "{Officials} said the two sides agreed to keep lines of communication open and to meet "
    "again {when}.",
    "Neither government released a joint statement, and each published its own account of "
    "{issues}.",
    "A {expert} at a {institution} said that {claim}.",
    "\u201cThe important thing is that {claim_quote},\u201d said a {expert} at a {institution}.",
    "Trade between the two economies still runs to hundreds of billions of dollars a year, "
    "despite {pressure}.",
    "{Businesses} have spent {period} adjusting supply chains in response to {pressure}.",
    "The {exchange} followed {period} in which {strain} dominated headlines in both countries.",
    "Diplomats from third countries have urged both sides to manage {issues} without letting "
    "competition turn into conflict.",
    "{Officials} briefed reporters on condition of anonymity because they were not authorised "
    "to speak publicly about {issues}.",
    "Critics in Congress argued that {claim}.",
    "State media in Beijing said that {claim}.",
    "The foreign ministry spokesperson told a regular news conference that {claim}.",
    "A White House spokesperson said that {claim}.",
    "{Markets} moved little on the news, with investors focused on {econ}.",
    "The two sides have held {count} rounds of talks at this level over the past {span}.",
    "Some {Analysts} see the renewed contact as a sign that both leaderships want {goal}.",
    "Others warned that {strain} could quickly undo {goal}.",
    "Officials on both sides have said that {goal} depends on follow-up work by their teams.",
    "The exchange was described by participants as {tone}.",
    "According to people familiar with the planning, {claim}.",
    "Observers noted that {claim}.",
)
FILLER_WORDS = {
    "Analysts": (
        "Analysts|Scholars of the relationship|Former diplomats|Foreign policy experts|"
        "Observers in the region|Researchers"
    ),
    "Officials": "Officials|Senior officials|Diplomats|Government officials|Aides|Spokespeople",
    "Businesses": (
        "American companies|Chinese exporters|Investors|Manufacturers|Business groups|Farmers"
    ),
    "Markets": "Markets|Stocks in Shanghai|Wall Street|Currency markets|Bond markets",
    "exchange": "meeting|conversation|exchange|round of talks|encounter|visit",
    "mood": (
        "cautious optimism|a wish to stabilise ties|lingering distrust|a pragmatic mood|"
        "guarded hopes|frustration"
    ),
    "period": "months|a year|several weeks|a difficult spring|a tense summer",
    "strain": (
        "sanctions and counter-sanctions|military brinkmanship|tit-for-tat restrictions|"
        "a diplomatic freeze|public recriminations|rising tensions"
    ),
    "state": (
        "at its lowest point in decades|stable but fragile|competitive but manageable|"
        "difficult|in need of guardrails"
    ),
    "pressure": (
        "new restrictions|rising duties|the tightening of investment rules|"
        "the threat of further penalties|slowing growth"
    ),
    "issues": (
        "the disputes between them|the long list of grievances|the core disagreements|"
        "the most sensitive questions|the differences that remain"
    ),
    "when": "in the coming months|later this year|soon|at an early date|next year",
    "expert": "senior fellow|professor|researcher|former official|director",
    "institution": (
        "Washington think tank|university in Beijing|Singapore institute|"
        "research centre in Shanghai|policy institute in London"
    ),
    "claim": (
        "the meeting was unlikely to produce quick results|"
        "both sides had an interest in avoiding miscalculation|"
        "the talks showed that channels were working again|"
        "the agenda was crowded with long-standing disputes|"
        "the outcome would depend on decisions at the top|"
        "the two governments remained far apart on core issues|"
        "working-level contacts would resume in the coming weeks|"
        "domestic politics limited what either side could offer"
    ),
    "claim_quote": (
        "they are talking at all|the channels stay open|nobody walks away from the table|"
        "both sides understand the stakes|there is follow-through this time"
    ),
    "econ": "inflation data|interest rates|quarterly earnings|the property sector|factory output",
    "count": "three|four|five|several|two",
    "span": "year|two years|eighteen months|decade",
    "goal": (
        "a floor under the relationship|more predictable ties|a managed rivalry|"
        "a return to regular contacts|fewer surprises"
    ),
    "tone": "candid and constructive|frank and in-depth|substantive|businesslike|long and detailed",
}
FILLER_CHOICES = {slot: tuple(words.split("|")) for slot, words in FILLER_WORDS.items()}
_FILLER_SLOT = re.compile(r"\{(\w+)\}")


def filler_pool(seed: int, size: int = 3000) -> tuple[tuple[str, ...], tuple[int, ...]]:
    """Return `size` distinct background sentences and their word counts."""
    rng = random.Random(f"{seed}:filler")
    sentences: dict[str, None] = {}
    attempts = 0
    while len(sentences) < size and attempts < size * 20:
        attempts += 1
        template = rng.choice(FILLER_TEMPLATES)
        text = _FILLER_SLOT.sub(lambda match: rng.choice(FILLER_CHOICES[match.group(1)]), template)
        sentences[text] = None
    pool = tuple(sentences)
    return pool, tuple(word_count(sentence) for sentence in pool)


def date_phrase(day: date, published: date, precision: str, rng: random.Random) -> str:
    """Return how an article published on `published` names `day` ("on Tuesday", "in May")."""
    if precision == "month":
        return f"in {MONTHS[day.month - 1]} {day.year}"
    if precision == "year":
        return f"in {day.year}"
    distance = (day - published).days
    if -6 <= distance <= 6 and distance != 0 and rng.random() < 0.35:
        return f"on {WEEKDAYS[day.weekday()]}"
    if day.year == published.year and rng.random() < 0.6:
        return f"on {MONTHS[day.month - 1]} {day.day}"
    return f"on {MONTHS[day.month - 1]} {day.day}, {day.year}"


class Corpus:
    """The meetings and articles of one benchmark database."""

    def __init__(
        self,
        seed: int,
        articles: int,
        reference: Reference,
        meetings: int | None = None,
        article_id_base: int = 0,
        meeting_id_base: int = 0,
        source_id_base: int = 0,
        person_id_base: int = 0,
    ):
        self.seed = seed
        self.article_total = articles
        self.meeting_total = meetings or max(5, round(articles * MEETINGS_PER_ARTICLE))
        self.reference = reference
        self.article_id_base = article_id_base
        self.meeting_id_base = meeting_id_base
        self.source_id_base = source_id_base
        self.filler, self.filler_words = filler_pool(seed)
        self.sources = self._sources()
        self.discovered = self._discovered(person_id_base)
        self.meetings = self._meetings()
        self.primary, self.secondary = self._links()
        ids = [meeting.id for meeting in self.meetings]
        self._meeting_index = {meeting_id: index for index, meeting_id in enumerate(ids)}

    # Sources ------------------------------------------------------------------------------

    def _sources(self) -> list[dict]:
        rows = []
        for number, (name, kind) in enumerate(
            [(name, "news") for name in NEWS_SOURCES]
            + [(name, "official") for name in US_OFFICIAL + CN_OFFICIAL],
            start=1,
        ):
            slug = slugify(name)
            rows.append(
                {
                    "id": self.source_id_base + number,
                    "name": name,
                    "slug": slug,
                    "kind": kind,
                    "homepage": f"https://{slug}.example/",
                    "side": CN if name in CN_OFFICIAL else US if name in US_OFFICIAL else "",
                }
            )
        return rows

    def source_rows(self) -> Iterator[tuple]:
        created = datetime(2016, 1, 1, tzinfo=UTC)
        for source in self.sources:
            yield (
                source["id"],
                source["name"],
                source["slug"],
                source["kind"],
                source["homepage"],
                "",
                "",
                "",
                None,
                "",
                created,
                SOURCE_SIDE[source["side"]],
            )

    # People the gazetteer lacks ---------------------------------------------------------------

    def _discovered(self, person_id_base: int) -> list[Holder]:
        """Return the discovered officials, registered with ids after the gazetteer's."""
        holders = []
        for country, title, names in DISCOVERED_PEOPLE:
            words = names.split()
            for first, last in zip(words[::2], words[1::2], strict=True):
                name = f"{first} {last}"
                holder = Holder(
                    slug=slugify(name),
                    name=name,
                    country=country,
                    role="",
                    title=title,
                    start=date(1990, 1, 1),
                    end=date(2100, 1, 1),
                )
                holders.append(holder)
                self.reference.ids.setdefault(
                    ("person", holder.slug), person_id_base + len(holders)
                )
        return holders

    def person_rows(self) -> Iterator[tuple]:
        created = datetime(2016, 1, 1, tzinfo=UTC)
        for holder in self.discovered:
            yield (
                self.reference.id("person", holder.slug),
                holder.name,
                holder.slug,
                holder.country,
                [],
                "auto",
                created,
            )

    # Meetings -----------------------------------------------------------------------------

    def _meetings(self) -> list[MeetingPlan]:
        rng = random.Random(f"{self.seed}:meetings")
        span = (LAST_DAY - FIRST_DAY).days
        pair_weights = [pair[4] for pair in PAIRS]
        plans = []
        slugs: set[str] = set()
        while len(plans) < self.meeting_total:
            anchor = FIRST_DAY + timedelta(days=rng.randrange(span))
            us_role, cn_role, kinds, topics, _ = rng.choices(PAIRS, pair_weights)[0]
            us = self.reference.holder(US, us_role, anchor)
            cn = self.reference.holder(CN, cn_role, anchor)
            if us is None or cn is None:
                continue
            plan = self._meeting(rng, len(plans) + 1, anchor, us, cn, kinds, topics, slugs)
            self._curate(rng, plan, us.role, cn.role)
            plans.append(plan)
        return plans

    def _curate(self, rng, plan: MeetingPlan, us_role: str, cn_role: str) -> None:
        """Give the meeting what curators and the review queue see: locks, low confidence, a
        discovered participant, and the mechanism it was a round of."""
        if plan.review_state == "confirmed" or (
            plan.review_state == "auto" and rng.random() < EDITED_SHARE
        ):
            plan.locked = tuple(sorted(rng.sample(tuple(LOCK_FIELDS), rng.randint(1, 3))))
        plan.weak = rng.random() < WEAK_SHARE
        if self.discovered and rng.random() < DISCOVERED_SHARE:
            holder = rng.choice(self.discovered)
            plan.participants.append(Participant(holder, SIDE_OF[holder.country]))
        for phrase, us_roles, cn_roles, kinds, topic, first_day in MECHANISMS:
            if (
                us_role in us_roles
                and cn_role in cn_roles
                and plan.kind in kinds
                and (topic is None or topic in plan.topics)
                and plan.anchor >= first_day
                and rng.random() < 0.8
            ):
                plan.mechanism = phrase
                break

    def _meeting(self, rng, number, anchor, us, cn, kinds, topics, slugs) -> MeetingPlan:
        kind = _weighted(rng, kinds)
        participants = [Participant(us, "us"), Participant(cn, "cn")]
        if rng.random() < 0.3:
            for country, role in rng.sample(EXTRA_ROLES, rng.randint(1, 2)):
                extra = self.reference.holder(country, role, anchor)
                if extra and all(p.holder.slug != extra.slug for p in participants):
                    participants.append(Participant(extra, SIDE_OF[country]))
        if kind == "call":
            host, place = "none", None
            note = rng.choice(("by telephone", "by video link", "by phone"))
        else:
            host = rng.choices(("cn", "us", "third"), (40, 30, 30))[0]
            if kind == "visit" and host == "third":
                host = "cn"
            city = rng.choice(
                CN_CITIES if host == "cn" else US_CITIES if host == "us" else THIRD_CITIES
            )
            venues = (CN_VENUES if host == "cn" else US_VENUES).get(city, ())
            slug = rng.choice(venues) if venues and rng.random() < 0.4 else city
            place = self.reference.places.get(slug) or self.reference.places.get(city)
            note = place.name if place and place.kind == "venue" else ""
            if place and place.kind == "venue":
                note = f"{place.name}, {place.city}"
        length = rng.choice((1, 2, 3)) if kind in ("summit", "visit", "dialogue") else 1
        precision = rng.choices(("day", "month", "year", "unknown"), (88, 8, 2, 2))[0]
        start_date: date | None
        end_date: date | None
        if precision == "day":
            start_date, end_date = anchor, anchor + timedelta(days=length - 1)
        elif precision == "month":
            start_date, end_date = month_bounds(anchor)
        elif precision == "year":
            start_date, end_date = date(anchor.year, 1, 1), date(anchor.year, 12, 31)
        else:
            start_date = end_date = None
        status = rng.choices(("held", "planned", "cancelled"), (87, 10, 3))[0]
        announced = True if status != "held" else rng.choices((True, False, None), (60, 25, 15))[0]
        chosen = rng.sample(topics, min(len(topics), rng.choice((1, 2, 2, 3, 3, 4))))
        names = [(p.holder.name, p.holder.country) for p in participants]
        title = meeting_title(names, kind, place.city if place else None)
        stem = slugify(f"{title} {start_date.isoformat() if start_date else ''}")[:280]
        slug, suffix = stem, 2
        while slug in slugs:
            slug, suffix = f"{stem}-{suffix}", suffix + 1
        slugs.add(slug)
        topic_names = ", ".join(self.reference.topics[t].name.lower() for t in chosen)
        where = f" in {place.city}" if place else f" {note}"
        summary = f"{us.name} and {cn.name} held {KIND_WORDS[kind]}{where}, covering {topic_names}."
        return MeetingPlan(
            id=self.meeting_id_base + number,
            title=title,
            slug=slug,
            kind=kind,
            status=status,
            anchor=anchor,
            start_date=start_date,
            end_date=end_date,
            date_precision=precision,
            place=place,
            location_note=note,
            announced=announced,
            participants=participants,
            topics=chosen,
            summary=summary,
            review_state=rng.choices(("auto", "confirmed", "rejected"), (96, 3, 1))[0],
            host=host,
        )

    def meeting_rows(self) -> Iterator[tuple]:
        for meeting in self.meetings:
            created = datetime.combine(meeting.anchor, datetime.min.time(), UTC)
            yield (
                meeting.id,
                meeting.title,
                meeting.slug,
                meeting.kind,
                meeting.status,
                meeting.start_date,
                meeting.end_date,
                meeting.date_precision,
                self.reference.id("location", meeting.place.slug) if meeting.place else None,
                meeting.location_note,
                meeting.announced,
                meeting.summary,
                meeting.review_state,
                list(meeting.locked),
                None,  # first_reported_at, article_count, evidence_count: set from evidence
                0,
                0,
                created,
                created,
            )

    def curation_event_rows(self) -> Iterator[tuple]:
        """The history of the curated meetings: an edit that set the locks, then the review."""
        for meeting in self.meetings:
            moment = datetime.combine(meeting.last_day, datetime.min.time(), UTC)
            if meeting.locked:
                changes = {field: ["extracted", "curated"] for field in meeting.locked}
                yield (
                    "edit",
                    orjson.dumps(changes).decode(),
                    "",
                    moment + timedelta(days=2),
                    meeting.id,
                )
            if meeting.review_state != "auto":
                action = "confirm" if meeting.review_state == "confirmed" else "reject"
                changes = {"review_state": ["auto", meeting.review_state]}
                yield (
                    action,
                    orjson.dumps(changes).decode(),
                    "Checked against both governments' readouts.",
                    moment + timedelta(days=3),
                    meeting.id,
                )

    def participation_rows(self) -> Iterator[tuple]:
        for meeting in self.meetings:
            for participant in meeting.participants:
                yield (
                    meeting.id,
                    self.reference.id("person", participant.holder.slug),
                    participant.holder.title,
                    participant.side,
                )

    def meeting_topic_rows(self) -> Iterator[tuple]:
        for meeting in self.meetings:
            for topic in meeting.topics:
                yield (meeting.id, self.reference.id("topic", topic))

    # Which article reports which meeting --------------------------------------------------

    def _links(self) -> tuple[array, array]:
        """Return, per article, the index+1 of the meeting it reports and of one it recalls.

        Every meeting is reported at least once; coverage is heavy-tailed (a summit draws
        hundreds of stories, a working group a handful).
        """
        rng = random.Random(f"{self.seed}:links")
        total = self.article_total
        reporting = min(total, max(len(self.meetings), round(total * REPORTING_SHARE)))
        weights = []
        for meeting in self.meetings:
            weight = min(rng.paretovariate(1.3), 400.0)
            if meeting.kind == "summit":
                weight *= 3
            elif meeting.kind in ("working_group", "call"):
                weight *= 0.6
            weights.append(weight)
        cumulative = []
        running = 0.0
        for weight in weights:
            running += weight
            cumulative.append(running)
        indexes = list(range(1, len(self.meetings) + 1))
        extra = reporting - len(indexes)
        indexes += [
            bisect.bisect_left(cumulative, rng.random() * running) + 1 for _ in range(extra)
        ]
        rng.shuffle(indexes)
        positions = rng.sample(range(total), reporting)
        primary = array("i", bytes(4 * total))
        secondary = array("i", bytes(4 * total))
        for position, index in zip(positions, indexes, strict=True):
            primary[position] = index
        for position in positions:
            if rng.random() < SECOND_MEETING_SHARE:
                other = bisect.bisect_left(cumulative, rng.random() * running) + 1
                if other != primary[position]:
                    secondary[position] = other
        return primary, secondary

    # Articles -----------------------------------------------------------------------------

    def chunk_count(self, size: int) -> int:
        return (self.article_total + size - 1) // size

    def article_chunk(self, index: int, size: int) -> ArticleBatch:
        """Return the rows of articles [index*size, (index+1)*size)."""
        rng = random.Random(f"{self.seed}:articles:{index}")
        batch = ArticleBatch()
        for position in range(index * size, min(self.article_total, (index + 1) * size)):
            primary = self.primary[position]
            secondary = self.secondary[position]
            self._article(
                rng,
                self.article_id_base + position + 1,
                self.meetings[primary - 1] if primary else None,
                self.meetings[secondary - 1] if secondary else None,
                batch,
            )
        return batch

    def extra_articles(self, count: int, nonce: str) -> list[dict]:
        """Return new texts reporting the corpus's meetings, for ingestion through the API.

        `nonce` makes them differ from earlier runs (the same text twice is deduplicated).
        """
        rng = random.Random(f"{self.seed}:extra:{nonce}")
        texts = []
        for number in range(count):
            batch = ArticleBatch()
            meeting = rng.choice(self.meetings) if rng.random() < REPORTING_SHARE else None
            self._article(rng, number + 1, meeting, None, batch)
            row = dict(zip(ARTICLE_COLUMNS, batch.articles[0], strict=True))
            source = next(s for s in self.sources if s["id"] == row["source_id"])
            texts.append(
                {
                    "title": row["title"],
                    "body": row["body"],
                    "published_at": row["published_at"].date().isoformat(),
                    "source": source["name"],
                }
            )
        return texts

    def _article(self, rng, article_id, meeting, recalled, batch: ArticleBatch) -> None:
        if meeting is None:
            style = "commentary"
            published = FIRST_DAY + timedelta(days=rng.randrange((LAST_DAY - FIRST_DAY).days))
        else:
            style = rng.choices(("news", "readout", "analysis"), (65, 25, 10))[0]
            published = self._publication_day(rng, meeting)
            if meeting.start_date is None and style == "readout":
                style = "news"
        side = ""
        if style == "readout":
            side = rng.choice((US, CN)) if meeting.host != "us" else US
            candidates = [s for s in self.sources if s["side"] == side]
        else:
            candidates = self.sources[: len(NEWS_SOURCES)]
        source = rng.choice(candidates)
        target = round(
            {
                "news": rng.triangular(300, 1500, 520),
                "readout": rng.triangular(300, 800, 340),
                "analysis": rng.triangular(600, 1500, 1000),
                "commentary": rng.triangular(300, 1500, 650),
            }[style]
        )
        body = Body()
        evidence: list[tuple] = []
        if meeting is None:
            title = self._write_commentary(rng, body, published)
        else:
            title = self._write_report(rng, body, meeting, published, style, side, evidence)
            if recalled is not None and recalled.id != meeting.id:
                self._write_recall(rng, body, recalled, published, evidence)
        words = sum(word_count(part) for part in body.parts if part.strip())
        self._pad(rng, body, words, target)
        text = body.text()
        moment = datetime(
            published.year,
            published.month,
            published.day,
            rng.randrange(24),
            rng.randrange(60),
            tzinfo=UTC,
        )
        processed = moment + timedelta(minutes=rng.randrange(1, 30))
        batch.words += word_count(text)
        batch.articles.append(
            (
                article_id,
                source["id"],
                f"https://{source['slug']}.example/{published:%Y/%m/%d}/"
                f"{slugify(title)[:80]}-{article_id}",
                title,
                text,
                moment,
                "given",
                content_hash(text),
                "done",
                "",
                1,
                processed,
                processed,
                EXTRACTOR_VERSION,
                moment,
            )
        )
        reference = self.reference
        for kind, mention_text, start, end, slug, value in body.mentions:
            batch.mentions.append(
                (
                    article_id,
                    kind,
                    mention_text,
                    start,
                    end,
                    reference.id("person", slug) if kind == "person" else None,
                    reference.id("location", slug) if kind == "location" else None,
                    reference.id("topic", slug) if kind == "topic" else None,
                    value or "",
                )
            )
        for meeting_id, start, end, fields, claims, confidence, conflicting in evidence:
            batch.evidence.append(
                (
                    article_id,
                    meeting_id,
                    text[start:end],
                    start,
                    end,
                    fields,
                    claims,
                    conflicting,
                    confidence,
                    EXTRACTOR_VERSION,
                    processed,
                )
            )

    def _publication_day(self, rng, meeting: MeetingPlan) -> date:
        before = meeting.status != "held" or (meeting.announced and rng.random() < 0.15)
        if meeting.status == "cancelled" and rng.random() < 0.4:
            before = False
        if before:
            day = meeting.anchor - timedelta(days=rng.randint(1, 21))
        else:
            lag = rng.choices((0, 1, 3, 20), (30, 30, 25, 15))[0]
            day = meeting.last_day + timedelta(days=rng.randint(0, lag) if lag else 0)
        return min(day, LATEST_PUBLICATION)

    # Writing ------------------------------------------------------------------------------

    def _person(self, holder: Holder, long: bool = True) -> tuple:
        return ("person", holder.name if long else holder.name.split()[-1], holder.slug, "")

    def _titled(self, holder: Holder) -> list:
        """Return "Secretary of State Antony Blinken" as a title mention and a person mention."""
        country = {US: "U.S. ", CN: "Chinese ", TW: "Taiwanese "}[holder.country]
        if any(name in holder.title for name in COUNTRY_WORDS):
            country = ""
        return [
            country,
            ("title", holder.title, None, holder.role),
            " ",
            self._person(holder),
        ]

    def _place(self, place: Place | None, note: str) -> list:
        if place is None:
            return [note or "at an undisclosed location"]
        if place.kind == "venue":
            return [
                "at the ",
                ("location", place.name, place.slug, ""),
                " in ",
                ("location", place.city, place.city_slug, ""),
            ]
        return ["in ", ("location", place.name, place.slug, "")]

    def _when(self, rng, meeting: MeetingPlan, published: date) -> list:
        if meeting.start_date is None:
            return ["recently" if published >= meeting.anchor else "soon"]
        phrase = date_phrase(meeting.anchor, published, meeting.date_precision, rng)
        return [("date", phrase, None, meeting.start_date.isoformat())]

    def _claims(self, meeting, fields: tuple[str, ...], status: str, topic=None) -> dict:
        claims: dict = {}
        for name in fields:
            if name == "kind":
                claims["kind"] = meeting.kind
            elif name == "status":
                claims["status"] = status
            elif name == "participants":
                claims["participants"] = [
                    {"slug": p.holder.slug, "role": p.holder.title, "side": p.side}
                    for p in meeting.participants
                ]
            elif name == "topics":
                claims["topics"] = [topic] if topic else list(meeting.topics)
            elif name == "date" and meeting.start_date is not None:
                claims["date"] = {
                    "start": meeting.start_date.isoformat(),
                    "end": (meeting.end_date or meeting.start_date).isoformat(),
                    "precision": meeting.date_precision,
                }
            elif name == "location":
                claims["location"] = {
                    "slug": meeting.place.slug if meeting.place else None,
                    "note": meeting.location_note,
                }
        return claims

    def _evidence(
        self, evidence, meeting, span, fields, status, rng, announced=False, topic=None
    ) -> None:
        fields = tuple(sorted(fields))
        claims = self._claims(meeting, fields, status, topic)
        if announced and meeting.announced is not None:
            claims["announced"] = meeting.announced
        conflicting = False
        if meeting.locked:
            covered = {name for lock in meeting.locked for name in LOCK_FIELDS[lock]}
            conflicting = bool(covered.intersection(fields)) and rng.random() < CONFLICT_SHARE
        evidence.append(
            (
                meeting.id,
                span[0],
                span[1],
                list(fields),
                orjson.dumps(claims).decode(),
                round(rng.uniform(0.25, 0.49) if meeting.weak else rng.uniform(0.55, 0.95), 2),
                conflicting,
            )
        )

    def _write_report(self, rng, body: Body, meeting, published, style, side, evidence) -> str:
        us, cn = meeting.participants[0].holder, meeting.participants[1].holder
        future = published < meeting.anchor and meeting.status != "cancelled"
        cancelled = meeting.status == "cancelled" and published >= meeting.anchor
        status = "cancelled" if cancelled else "planned" if future else "held"
        noun = KIND_WORDS[meeting.kind]
        where = meeting.place.city if meeting.place else None
        if style == "readout":
            first, second = (us, cn) if side == US else (cn, us)
            title = f"Readout of {first.title} {first.name}'s {noun} with {second.name}"
        else:
            verb = "to meet" if future else "hold talks" if not cancelled else "call off talks"
            title = f"{us.name.split()[-1]} and {cn.name} {verb}" + (
                f" in {where}" if where else ""
            )
            first, second = (us, cn) if rng.random() < 0.6 else (cn, us)
            if meeting.place is not None:
                month = MONTHS[published.month - 1][:3]
                body.sentence(f"{meeting.place.city.upper()}, {month} {published.day} \u2014")
                body.paragraph()
        when = self._when(rng, meeting, published)
        place = self._place(meeting.place, meeting.location_note)
        if cancelled:
            lead = [
                "A planned ",
                noun,
                " between ",
                *self._titled(first),
                " and ",
                *self._titled(second),
                " ",
                *place,
                " ",
                *when,
                " was called off, officials said.",
            ]
        elif future:
            lead = [
                *self._titled(first),
                rng.choice((" will meet ", " is expected to meet ", " plans to hold talks with ")),
                *self._titled(second),
                " ",
                *place,
                " ",
                *when,
                ", officials said.",
            ]
        elif meeting.kind == "call":
            lead = [
                *self._titled(first),
                rng.choice((" spoke with ", " held a call with ", " talked with ")),
                *self._titled(second),
                " ",
                *when,
                " ",
                meeting.location_note,
                ", according to statements from both governments.",
            ]
        else:
            lead = [
                *self._titled(first),
                rng.choice((" met ", " held talks with ", " sat down with ")),
                *self._titled(second),
                " ",
                *place,
                " ",
                *when,
                rng.choice(
                    (
                        ", the two sides said.",
                        ", in the latest of a series of high-level contacts.",
                        " for what officials described as candid discussions.",
                    )
                ),
            ]
        if style == "analysis":
            for _ in range(rng.randint(2, 4)):
                body.sentence(self.filler[rng.randrange(len(self.filler))])
            body.paragraph()
        span = body.sentence(*lead)
        self._evidence(
            evidence,
            meeting,
            span,
            ("date", "kind", "location", "participants", "status"),
            status,
            rng,
            announced=True,
        )
        for participant in meeting.participants[2:]:
            span = body.sentence(
                *self._titled(participant.holder), " also took part, according to the readout."
            )
            self._evidence(evidence, meeting, span, ("participants",), status, rng)
        if meeting.mechanism and (style == "readout" or rng.random() < 0.6):
            span = body.sentence("The ", noun, " was ", meeting.mechanism, ", officials said.")
            self._evidence(evidence, meeting, span, ("kind",), status, rng)
        body.paragraph()
        for topic in meeting.topics:
            keyword = rng.choice(self.reference.keywords[topic])
            speaker = rng.choice((first, second))
            span = body.sentence(
                *rng.choice(
                    (
                        ["The two sides discussed ", ("topic", keyword, topic, ""), "."],
                        [
                            self._person(speaker, long=False),
                            " raised ",
                            ("topic", keyword, topic, ""),
                            ", according to an official account of the ",
                            noun,
                            ".",
                        ],
                        [
                            "Talks were expected to cover ",
                            ("topic", keyword, topic, ""),
                            " among other issues.",
                        ]
                        if future
                        else [
                            "The conversation also touched on ",
                            ("topic", keyword, topic, ""),
                            ", officials said.",
                        ],
                    )
                )
            )
            self._evidence(evidence, meeting, span, ("topics",), status, rng, topic=topic)
            if rng.random() < 0.55:
                span = body.sentence(
                    self._person(rng.choice((first, second)), long=False),
                    rng.choice((" said that progress on ", " stressed that ", " noted that ")),
                    ("topic", rng.choice(self.reference.keywords[topic]), topic, ""),
                    rng.choice(
                        (
                            " would need sustained work by both teams.",
                            " remained a priority for the relationship.",
                            " should not be allowed to derail the broader agenda.",
                        )
                    ),
                )
                self._evidence(evidence, meeting, span, ("topics",), status, rng, topic=topic)
            for _ in range(rng.randint(1, 3)):
                body.sentence(self.filler[rng.randrange(len(self.filler))])
            body.paragraph()
        if meeting.start_date is not None and rng.random() < 0.7:
            span = body.sentence(
                "The ",
                noun,
                " ",
                "is scheduled " if future else "took place ",
                *self._when(rng, meeting, published),
                " ",
                *place,
                ".",
            )
            self._evidence(evidence, meeting, span, ("date", "location"), status, rng)
        if not future and not cancelled and rng.random() < 0.5:
            span = body.sentence(
                self._person(second, long=False),
                rng.choice((" told ", " assured ", " reminded ")),
                self._person(first, long=False),
                " that both sides should keep talking, the statement said.",
            )
            self._evidence(evidence, meeting, span, ("participants", "status"), status, rng)
        body.paragraph()
        return title

    def _write_recall(self, rng, body: Body, meeting, published, evidence) -> None:
        us, cn = meeting.participants[0].holder, meeting.participants[1].holder
        span = body.sentence(
            "It follows earlier ",
            KIND_WORDS[meeting.kind],
            " between ",
            self._person(us),
            " and ",
            self._person(cn),
            " ",
            *self._place(meeting.place, meeting.location_note),
            " ",
            *self._when(rng, meeting, max(published, meeting.anchor)),
            ".",
        )
        status = "held" if meeting.status == "held" else meeting.status
        self._evidence(evidence, meeting, span, ("participants", "location", "date"), status, rng)
        body.paragraph()

    def _write_commentary(self, rng, body: Body, published: date) -> str:
        topics = rng.sample(self.reference.topic_slugs, rng.randint(1, 3))
        name = self.reference.topics[topics[0]].name
        title = rng.choice(("Analysis: ", "Commentary: ", "Explainer: ", "")) + (
            f"What {name.lower()} means for Washington and Beijing"
        )
        people = [
            holder
            for role in ("president", "secretary-of-state", "foreign-minister")
            for country in (US, CN)
            if (holder := self.reference.holder(country, role, published)) is not None
        ]
        for topic in topics:
            keyword = rng.choice(self.reference.keywords[topic])
            body.sentence(
                "Debate over ",
                ("topic", keyword, topic, ""),
                rng.choice(
                    (
                        " has sharpened in recent weeks.",
                        " is likely to shape relations for years.",
                        " remains unresolved.",
                    )
                ),
            )
            if people and rng.random() < 0.6:
                holder = rng.choice(people)
                body.sentence(
                    self._person(holder),
                    " has spoken about ",
                    ("topic", rng.choice(self.reference.keywords[topic]), topic, ""),
                    " in recent speeches.",
                )
            for _ in range(rng.randint(2, 4)):
                body.sentence(self.filler[rng.randrange(len(self.filler))])
            body.paragraph()
        return title

    def _pad(self, rng, body: Body, words: int, target: int) -> None:
        pool, counts = self.filler, self.filler_words
        size = len(pool)
        body.paragraph()
        while words < target:
            index = rng.randrange(size)
            if body.sentences_in_paragraph >= rng.randint(3, 6):
                body.paragraph()
            body.sentence(pool[index])
            words += counts[index]


def article_texts(count: int, seed: int = 7, reference: Reference | None = None) -> list[dict]:
    """Return `count` article texts (title, body, published_at, source) for text-only benchmarks."""
    if reference is None:
        from diplomacy.reference.gazetteer import gazetteer_from_files

        reference = Reference(gazetteer_from_files())
    corpus = Corpus(seed=seed, articles=max(count, 100), reference=reference)
    return corpus.extra_articles(count, nonce="texts")
