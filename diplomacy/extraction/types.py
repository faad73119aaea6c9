"""Plain data passed into and out of extraction. No Django here: extraction is a pure function."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

# Role keys shared by the reference data (Office.role) and the title matcher.
# A title in text ("China's foreign minister", "Secretary of State Blinken") maps to one of these
# plus a country; the person holding that role on the article's date is looked up in offices.
ROLE_KEYS = (
    "president",
    "vice-president",
    "premier",
    "vice-premier",
    "party-general-secretary",
    "secretary-of-state",
    "deputy-secretary-of-state",
    "foreign-minister",
    "vice-foreign-minister",
    "national-security-adviser",
    "foreign-affairs-commission-director",
    "international-department-head",
    "defense-secretary",
    "defense-minister",
    "treasury-secretary",
    "finance-minister",
    "commerce-secretary",
    "commerce-minister",
    "trade-representative",
    "trade-negotiator",
    "central-bank-governor",
    "ambassador",
    "chairman-joint-chiefs",
    "indo-pacific-commander",
    "cmc-vice-chairman",
    "climate-envoy",
    "homeland-security-secretary",
    "attorney-general",
    "public-security-minister",
    "cia-director",
    "state-security-minister",
    "speaker",
    "senate-majority-leader",
    "npc-chairman",
    "cppcc-chairman",
)

SIDES = ("us", "cn", "tw", "other")


@dataclass(frozen=True, slots=True)
class OfficeEntry:
    role: str  # one of ROLE_KEYS
    title: str  # as written: "Secretary of State"
    organisation: str  # "U.S. Department of State"
    country: str  # ISO 3166 alpha-2 of the government served: "US", "CN", "TW"
    start: date | None = None
    end: date | None = None  # None: still in office

    def held_on(self, day: date) -> bool:
        """Return True when the office was held on the given day."""
        return (self.start is None or self.start <= day) and (self.end is None or day <= self.end)


@dataclass(frozen=True, slots=True)
class PersonEntry:
    slug: str
    name: str  # canonical: "Wang Yi"
    country: str  # "US", "CN", "TW", ...
    aliases: tuple[str, ...] = ()  # other spellings; surnames alone are derived by the matcher
    offices: tuple[OfficeEntry, ...] = ()


@dataclass(frozen=True, slots=True)
class LocationEntry:
    slug: str
    name: str
    kind: str  # venue / city / region / country
    country: str = ""  # ISO alpha-2, blank for regions
    parent: str | None = None  # parent location slug
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class TopicEntry:
    slug: str
    name: str
    keywords: tuple[str, ...] = ()  # phrases that signal the topic, case-insensitive
    parent: str | None = None


@dataclass(frozen=True, slots=True)
class Gazetteer:
    people: tuple[PersonEntry, ...] = ()
    locations: tuple[LocationEntry, ...] = ()
    topics: tuple[TopicEntry, ...] = ()
    version: str = ""  # changes when the data changes; lets callers cache compiled matchers


@dataclass(frozen=True, slots=True)
class Span:
    start: int  # character offsets into the exact input string: text[start:end]
    end: int


@dataclass(frozen=True, slots=True)
class Mention:
    kind: str  # "person" / "location" / "topic" / "date" / "title"
    text: str  # the matched text, equal to input[start:end]
    start: int
    end: int
    slug: str | None = None  # person, location or topic slug when resolved
    value: str | None = None  # dates: ISO date of the resolved start; titles: role key


@dataclass(frozen=True, slots=True)
class NewPerson:
    """An official named in the text but not in the gazetteer ("Commerce Secretary Jane Roe")."""

    slug: str
    name: str
    country: str
    title: str
    role: str | None = None  # a ROLE_KEYS entry when the title maps to one


@dataclass(frozen=True, slots=True)
class ParticipantClaim:
    slug: str  # a gazetteer person slug or a NewPerson slug
    role: str  # title at the time, as text: "National Security Adviser"
    side: str  # one of SIDES


@dataclass(frozen=True, slots=True)
class EvidenceSpan:
    start: int  # sentence span in the input string
    end: int
    fields: tuple[str, ...]  # subset of: date, location, participants, topics, status, kind
    confidence: float  # 0..1


@dataclass(slots=True)
class MeetingCandidate:
    kind: str  # summit / meeting / call / working_group / dialogue / visit
    status: str  # planned / held / cancelled
    participants: list[ParticipantClaim] = field(default_factory=list)
    start_date: date | None = None
    end_date: date | None = None
    date_precision: str = "unknown"  # day / month / year / unknown
    location: str | None = None  # location slug
    location_note: str = ""  # "an undisclosed location in Southeast Asia"
    announced: bool | None = None
    topics: list[str] = field(default_factory=list)  # topic slugs
    evidence: list[EvidenceSpan] = field(default_factory=list)
    confidence: float = 0.5
    title: str = ""  # suggested title: "Sullivan–Wang Yi talks in Bangkok"


@dataclass(slots=True)
class Extraction:
    version: str
    published: date | None  # the date used to resolve relative dates
    published_source: str  # given / inferred / unknown
    sentences: list[Span] = field(default_factory=list)
    mentions: list[Mention] = field(default_factory=list)
    meetings: list[MeetingCandidate] = field(default_factory=list)
    new_people: list[NewPerson] = field(default_factory=list)
