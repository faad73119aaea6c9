"""Title phrases, the role keys they stand for, and the country a title belongs to.

"China's foreign minister" is ("foreign-minister", "CN"); "Treasury Secretary" is a US office
even without a country word. The person holding a role on a day comes from OfficeEntry.held_on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class TitleRule:
    role: str | None  # None when the role depends on the country (see by_country)
    country: str | None = None  # assumed when the text names no country
    by_country: tuple[tuple[str, str], ...] = ()  # (country, role) for "top diplomat"


def _rule(role: str | None, country: str | None = None, **by_country: str) -> TitleRule:
    return TitleRule(role, country, tuple(by_country.items()))


_US, _CN = "US", "CN"

# Lowercase phrases; the matcher finds them case-insensitively and prefers the longest.
TITLES: dict[str, TitleRule] = {
    "president": _rule("president"),
    "vice president": _rule("vice-president"),
    "vice-president": _rule("vice-president"),
    "premier": _rule("premier", _CN),
    "vice premier": _rule("vice-premier", _CN),
    "vice-premier": _rule("vice-premier", _CN),
    "general secretary": _rule("party-general-secretary", _CN),
    "party chief": _rule("party-general-secretary", _CN),
    "communist party leader": _rule("party-general-secretary", _CN),
    "secretary of state": _rule("secretary-of-state", _US),
    "deputy secretary of state": _rule("deputy-secretary-of-state", _US),
    "foreign minister": _rule("foreign-minister"),
    "minister of foreign affairs": _rule("foreign-minister"),
    "vice foreign minister": _rule("vice-foreign-minister"),
    "deputy foreign minister": _rule("vice-foreign-minister"),
    "national security adviser": _rule("national-security-adviser", _US),
    "national security advisor": _rule("national-security-adviser", _US),
    "top diplomat": _rule(
        None, None, US="secretary-of-state", CN="foreign-affairs-commission-director"
    ),
    "director of the central foreign affairs commission": _rule(
        "foreign-affairs-commission-director", _CN
    ),
    "foreign affairs commission director": _rule("foreign-affairs-commission-director", _CN),
    "international department head": _rule("international-department-head", _CN),
    "head of the international department": _rule("international-department-head", _CN),
    "international director": _rule("international-department-head", _CN),
    "defense secretary": _rule("defense-secretary", _US),
    "defence secretary": _rule("defense-secretary", _US),
    "secretary of defense": _rule("defense-secretary", _US),
    "defense minister": _rule("defense-minister", _CN),
    "defence minister": _rule("defense-minister", _CN),
    "minister of national defense": _rule("defense-minister", _CN),
    "treasury secretary": _rule("treasury-secretary", _US),
    "secretary of the treasury": _rule("treasury-secretary", _US),
    "finance minister": _rule("finance-minister"),
    "commerce secretary": _rule("commerce-secretary", _US),
    "secretary of commerce": _rule("commerce-secretary", _US),
    "commerce minister": _rule("commerce-minister", _CN),
    "minister of commerce": _rule("commerce-minister", _CN),
    "trade representative": _rule("trade-representative", _US),
    "trade negotiator": _rule("trade-negotiator"),
    "chief trade negotiator": _rule("trade-negotiator"),
    "central bank governor": _rule("central-bank-governor"),
    "ambassador": _rule("ambassador"),
    "chairman of the joint chiefs of staff": _rule("chairman-joint-chiefs", _US),
    "chairman of the joint chiefs": _rule("chairman-joint-chiefs", _US),
    "joint chiefs chairman": _rule("chairman-joint-chiefs", _US),
    "commander of the u.s. indo-pacific command": _rule("indo-pacific-commander", _US),
    "indo-pacific commander": _rule("indo-pacific-commander", _US),
    "vice chairman of the central military commission": _rule("cmc-vice-chairman", _CN),
    "cmc vice chairman": _rule("cmc-vice-chairman", _CN),
    "climate envoy": _rule("climate-envoy"),
    "homeland security secretary": _rule("homeland-security-secretary", _US),
    "secretary of homeland security": _rule("homeland-security-secretary", _US),
    "attorney general": _rule("attorney-general", _US),
    "public security minister": _rule("public-security-minister", _CN),
    "minister of public security": _rule("public-security-minister", _CN),
    "cia director": _rule("cia-director", _US),
    "director of the cia": _rule("cia-director", _US),
    "state security minister": _rule("state-security-minister", _CN),
    "minister of state security": _rule("state-security-minister", _CN),
    "speaker": _rule("speaker", _US),
    "house speaker": _rule("speaker", _US),
    "speaker of the house": _rule("speaker", _US),
    "speaker of the u.s. house of representatives": _rule("speaker", _US),
    "senate majority leader": _rule("senate-majority-leader", _US),
    "npc chairman": _rule("npc-chairman", _CN),
    "top legislator": _rule("npc-chairman", _CN),
    "cppcc chairman": _rule("cppcc-chairman", _CN),
    # Officials below minister who lead working groups and dialogues; rarely in the gazetteer,
    # so these mostly serve to find the named official ("Liao Min, Vice Minister of Finance").
    "under secretary": _rule("under-secretary", _US),
    "assistant secretary": _rule("assistant-secretary", _US),
    "deputy assistant secretary": _rule("deputy-assistant-secretary", _US),
    "vice minister": _rule("vice-minister", _CN),
    "assistant minister": _rule("assistant-minister", _CN),
    "deputy governor": _rule("deputy-governor"),
    "director general": _rule("director-general"),
    "director-general": _rule("director-general"),
}

# Words that may stand before a surname as an honorific, title or rank: "Mr. Wang", "Adm. Paparo".
_HONORIFICS_WORDS = (
    "mr mrs ms miss dr prof adm gen lt col capt maj sgt cmdr sen senator rep representative gov "
    "governor president chairman chairwoman secretary minister premier ambassador envoy "
    "director commander speaker leader vice deputy chief general admiral judge justice mayor "
    "sir dame lord lady comrade counselor councillor adviser advisor spokesman spokeswoman "
    "spokesperson treasury commerce defense defence state foreign"
)
HONORIFICS = frozenset(_HONORIFICS_WORDS.split())

_COUNTRY_BEFORE = re.compile(
    r"(?:(?P<US>\bU\.S\.|\bUS|\bUSA|\bAmerican|\bAmerica's|\bUnited States'?|\bWashington's)"
    r"|(?P<CN>\bChinese|\bChina's|\bPRC|\bBeijing's)"
    r"|(?P<TW>\bTaiwanese|\bTaiwan's))"
    r"\s+(?:(?:top|acting|new|current|senior|incoming|outgoing|then-|former|then)\s*)?$"
)
_COUNTRY_AFTER = re.compile(
    r"\s+of\s+(?:the\s+)?(?:(?P<US>United States|U\.S\.|US)"
    r"|(?P<CN>China|People's Republic of China|PRC)|(?P<TW>Taiwan))(?!\w)"
)
_PAST_HOLDER = re.compile(r"(?:\bthen-?|\bformer|\bex-|\blate)\s*(?:\S+\s+){0,2}$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class TitleReading:
    role: str | None
    country: str | None
    explicit_country: bool  # the text itself named the country
    historical: bool  # "then-Speaker", "former foreign minister": not the holder on the date


def read_title(norm: str, start: int, end: int, phrase: str) -> TitleReading:
    """Read the role and country of the title phrase at norm[start:end]."""
    rule = TITLES.get(phrase)
    if rule is None:
        return TitleReading(None, None, False, False)
    before = norm[max(0, start - 40) : start]
    country = _country_near(before, norm[end : end + 50])
    explicit = country is not None
    if country is None:
        country = rule.country
    role = rule.role
    if rule.by_country:
        role = dict(rule.by_country).get(country or "")
    historical = _PAST_HOLDER.search(before[-20:]) is not None
    return TitleReading(role, country, explicit, historical)


def _country_near(before: str, after: str) -> str | None:
    match = _COUNTRY_BEFORE.search(before) or _COUNTRY_AFTER.match(after)
    if match is None:
        return None
    return next(name for name, value in match.groupdict().items() if value)


_SIDES = {"US": "us", "CN": "cn", "TW": "tw", "us": "us", "cn": "cn", "tw": "tw"}


def side_of(country: str) -> str:
    """Map an ISO country code to one of SIDES."""
    return _SIDES.get(country) or _SIDES.get(country.upper(), "other")
