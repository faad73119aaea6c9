"""A small gazetteer for the extraction tests; no database, no Django."""

from collections.abc import Callable
from datetime import date

import pytest

from diplomacy.extraction import extract
from diplomacy.extraction.types import (
    Extraction,
    Gazetteer,
    LocationEntry,
    OfficeEntry,
    PersonEntry,
    TopicEntry,
)


def office(role: str, title: str, country: str, start=None, end=None) -> OfficeEntry:
    return OfficeEntry(role, title, "", country, start, end)


PEOPLE = (
    PersonEntry(
        "jake-sullivan",
        "Jake Sullivan",
        "US",
        (),
        (office("national-security-adviser", "National Security Adviser", "US",
                date(2021, 1, 20), date(2025, 1, 20)),),
    ),
    PersonEntry(
        "wang-yi",
        "Wang Yi",
        "CN",
        (),
        (
            office("foreign-minister", "Foreign Minister", "CN", date(2013, 3, 16),
                   date(2022, 12, 30)),
            office("foreign-minister", "Foreign Minister", "CN", date(2023, 7, 25)),
            office("foreign-affairs-commission-director", "Director of the Foreign Affairs "
                   "Commission Office", "CN", date(2023, 1, 1)),
        ),
    ),
    PersonEntry(
        "wang-wentao",
        "Wang Wentao",
        "CN",
        (),
        (office("commerce-minister", "Commerce Minister", "CN", date(2020, 12, 26)),),
    ),
    PersonEntry(
        "qin-gang",
        "Qin Gang",
        "CN",
        (),
        (office("foreign-minister", "Foreign Minister", "CN", date(2022, 12, 30),
                date(2023, 7, 25)),),
    ),
    PersonEntry(
        "joe-biden",
        "Joe Biden",
        "US",
        ("Joseph R. Biden",),
        (office("president", "President", "US", date(2021, 1, 20), date(2025, 1, 20)),),
    ),
    PersonEntry(
        "xi-jinping",
        "Xi Jinping",
        "CN",
        (),
        (office("president", "President", "CN", date(2013, 3, 14)),),
    ),
    PersonEntry(
        "janet-yellen",
        "Janet Yellen",
        "US",
        (),
        (office("treasury-secretary", "Treasury Secretary", "US", date(2021, 1, 26),
                date(2025, 1, 20)),),
    ),
    PersonEntry(
        "he-lifeng",
        "He Lifeng",
        "CN",
        (),
        (office("vice-premier", "Vice Premier", "CN", date(2023, 3, 12)),),
    ),
    PersonEntry(
        "lai-ching-te",
        "Lai Ching-te",
        "TW",
        ("William Lai",),
        (office("president", "President", "TW", date(2024, 5, 20)),),
    ),
)  # fmt: skip

LOCATIONS = (
    LocationEntry("southeast-asia", "Southeast Asia", "region"),
    LocationEntry("europe", "Europe", "region"),
    LocationEntry("thailand", "Thailand", "country", "TH", "southeast-asia"),
    LocationEntry("bangkok", "Bangkok", "city", "TH", "thailand"),
    LocationEntry("austria", "Austria", "country", "AT", "europe"),
    LocationEntry("vienna", "Vienna", "city", "AT", "austria"),
    LocationEntry("malta", "Malta", "country", "MT", "europe"),
    LocationEntry("switzerland", "Switzerland", "country", "CH", "europe"),
    LocationEntry("geneva", "Geneva", "city", "CH", "switzerland"),
    LocationEntry("united-states", "United States", "country", "US", None, ("U.S.", "US")),
    LocationEntry("california", "California", "region", "US", "united-states"),
    LocationEntry("san-francisco", "San Francisco", "city", "US", "california"),
    LocationEntry("woodside", "Woodside", "city", "US", "california"),
    LocationEntry("washington", "Washington", "city", "US", "united-states"),
    LocationEntry("white-house", "White House", "venue", "US", "washington"),
    LocationEntry("china", "China", "country", "CN"),
    LocationEntry("beijing", "Beijing", "city", "CN", "china"),
    LocationEntry("taiwan", "Taiwan", "country", "TW"),
)

TOPICS = (
    TopicEntry("taiwan", "Taiwan", ("taiwan", "cross-strait")),
    TopicEntry("fentanyl", "Fentanyl", ("fentanyl", "counternarcotics", "drug trafficking")),
    TopicEntry("red-sea", "Red Sea", ("red sea", "houthi")),
    TopicEntry("ai", "Artificial intelligence", ("artificial intelligence",)),
    TopicEntry("mil-mil", "Military ties", ("military-to-military", "intercept")),
    TopicEntry("trade", "Trade", ("tariffs", "export controls")),
    TopicEntry("south-china-sea", "South China Sea", ("south china sea",)),
)

GAZETTEER = Gazetteer(PEOPLE, LOCATIONS, TOPICS, version="tests-1")


@pytest.fixture(scope="session")
def gazetteer() -> Gazetteer:
    return GAZETTEER


@pytest.fixture
def run(gazetteer: Gazetteer) -> Callable[..., Extraction]:
    """Extract with the test gazetteer; published defaults to 2024-01-27."""

    def _run(text: str, published: date | None = date(2024, 1, 27)) -> Extraction:
        return extract(text, published, gazetteer)

    return _run
