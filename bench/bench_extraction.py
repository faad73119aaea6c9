"""Measure extraction speed: articles per second on one core.

    python bench/bench_extraction.py [--articles N] [--runs R] [--seed S] [--json PATH]

The gazetteer is the bundled reference data (people, places, topics). Texts are
deterministic ~700-word news stories from random.Random(seed). The compiled gazetteer is built
once before timing, as in a worker that extracts many articles with one gazetteer. Rates are
articles per second of this process's CPU time (one core, single-threaded), so other load on
the machine does not skew them; the wall-clock median is printed alongside.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from diplomacy.extraction import extract  # noqa: E402
from diplomacy.extraction.types import Gazetteer, PersonEntry  # noqa: E402
from diplomacy.reference.gazetteer import gazetteer_from_files  # noqa: E402

WORDS_PER_ARTICLE = 700
FILLER = (
    "Analysts said the relationship remained fragile despite recent efforts to stabilise it.",
    "Officials on both sides have described the channel as useful for avoiding misunderstandings.",
    "Markets reacted calmly to the news, with shares in exporters little changed.",
    "Critics in Congress said the administration had offered too much in return for too little.",
    "The foreign ministry spokesperson told a regular briefing that dialogue should continue.",
    "Neither side released a detailed agenda, and aides declined to discuss specifics.",
    "Trade between the two economies fell last year for the first time since the pandemic.",
    "Diplomats said the atmosphere was businesslike, if not warm.",
    "The central bank left interest rates unchanged at its latest policy meeting.",
    "Exports of electric vehicles rose sharply in the third quarter, customs data showed.",
    "Several think tanks have warned that miscalculation at sea remains the biggest risk.",
    "The ministry did not respond to a request for comment on Tuesday evening.",
    "Shipping companies have rerouted vessels around the Cape of Good Hope for months.",
    "Lawmakers are expected to vote on the package before the end of the session.",
    "Researchers say supply chains for critical minerals remain highly concentrated.",
    "Public opinion surveys in both countries show deep mutual distrust.",
)
# Share of sentences that are background rather than names, places and meetings, as in news.
FILLER_SHARE = 0.7
TEMPLATES = (
    "{title_a} {a} will meet {title_b} {b} in {place} {when}, officials said.",
    "{a} and {b} held talks in {place} {when}, discussing {kw1} and {kw2}.",
    "{a} met with {b} {when} in {place}, the first meeting since {c} spoke with {d} by phone.",
    "The two sides are expected to discuss {kw1}, {kw2} and {kw3} when {a} travels to {place}.",
    "{a} said he raised {kw1} with {b} during two days of talks in {place}.",
    "Mr. {a_last} and Mr. {b_last} agreed to keep lines of communication open on {kw1}.",
    "A planned visit by {a} to {place} was postponed {when} amid tensions over {kw1}.",
    "{a} spoke with {b} in a video call {when}, according to a readout.",
)
WHEN = (
    "on Friday",
    "next week",
    "last month",
    "in November",
    "on Jan. 26",
    "in the coming days",
    "earlier this year",
    "on 12 March 2024",
    "this month",
    "last year",
)


def load_gazetteer() -> Gazetteer:
    """Return the bundled reference gazetteer (people, places and topics)."""
    return gazetteer_from_files()


def make_articles(gazetteer: Gazetteer, count: int, seed: int) -> list[tuple[str, date]]:
    """Return deterministic (text, publication date) pairs of about 700 words."""
    rng = random.Random(seed)
    people = [p for p in gazetteer.people if " " in p.name] or list(gazetteer.people)
    places = [loc.name for loc in gazetteer.locations if loc.kind in ("city", "country")]
    keywords = [k for t in gazetteer.topics for k in t.keywords] or ["trade"]
    articles = []
    for _ in range(count):
        paragraphs, words = [], 0
        while words < WORDS_PER_ARTICLE:
            sentences = [_sentence(rng, people, places, keywords) for _ in range(rng.randint(1, 3))]
            paragraph = " ".join(sentences)
            paragraphs.append(paragraph)
            words += len(paragraph.split())
        published = date(2021, 1, 1) + timedelta(days=rng.randrange(1400))
        articles.append(("\n\n".join(paragraphs), published))
    return articles


def _sentence(rng: random.Random, people, places, keywords) -> str:
    if rng.random() < FILLER_SHARE:
        return rng.choice(FILLER)
    a, b, c, d = (rng.choice(people) for _ in range(4))
    return rng.choice(TEMPLATES).format(
        a=a.name,
        b=b.name,
        c=c.name,
        d=d.name,
        a_last=a.name.split()[-1],
        b_last=b.name.split()[-1],
        title_a=_title(a),
        title_b=_title(b),
        place=rng.choice(places) if places else "Geneva",
        when=rng.choice(WHEN),
        kw1=rng.choice(keywords),
        kw2=rng.choice(keywords),
        kw3=rng.choice(keywords),
    )


def _title(person: PersonEntry) -> str:
    return person.offices[0].title if person.offices else "Official"


def run_once(gazetteer: Gazetteer, articles: list[tuple[str, date]]) -> tuple[float, float]:
    """Extract every article once; return articles per CPU second and per wall-clock second."""
    wall, cpu = time.perf_counter(), time.process_time()
    for text, published in articles:
        extract(text, published, gazetteer)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    return len(articles) / max(cpu, 1e-9), len(articles) / max(wall, 1e-9)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=500, help="articles per run")
    parser.add_argument("--runs", type=int, default=5, help="timed runs")
    parser.add_argument("--seed", type=int, default=1, help="text generator seed")
    parser.add_argument("--json", help="also write the figures to this file")
    options = parser.parse_args()
    gazetteer = load_gazetteer()
    articles = make_articles(gazetteer, options.articles, options.seed)
    extract(articles[0][0], articles[0][1], gazetteer)  # compile the gazetteer outside timing
    runs = [run_once(gazetteer, articles) for _ in range(options.runs)]
    rates = [cpu for cpu, _ in runs]
    words = statistics.mean(len(text.split()) for text, _ in articles)
    figures = {
        "articles": len(articles),
        "mean_words": round(words),
        "people": len(gazetteer.people),
        "locations": len(gazetteer.locations),
        "topics": len(gazetteer.topics),
        "articles_per_second_median": round(statistics.median(rates), 1),
        "articles_per_second_min": round(min(rates), 1),
        "articles_per_second_max": round(max(rates), 1),
        "wall_clock_articles_per_second_median": round(statistics.median(w for _, w in runs), 1),
    }
    width = max(map(len, figures))
    for name, value in figures.items():
        print(f"{name:<{width}}  {value}")
    if options.json:
        Path(options.json).write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
