"""Score extraction against the annotated sample texts: precision and recall of meetings and topics.

    python bench/eval_extraction.py [--verbose] [--json PATH]

A found meeting matches an expected one when the participants agree (the expected people are
all found, or both name none), the dates are compatible at their precisions, and the places are
compatible (the same, or one inside the other). Each found and each expected meeting matches
at most once. Topics are scored over matched pairs.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from diplomacy.extraction import extract  # noqa: E402
from diplomacy.merging import DateClaim, dates_overlap, kinds_compatible  # noqa: E402
from diplomacy.reference.gazetteer import gazetteer_from_files  # noqa: E402

SAMPLES = BASE_DIR / "diplomacy" / "reference" / "samples"


def ancestors(slug, parents):
    chain = []
    while slug and slug not in chain:
        chain.append(slug)
        slug = parents.get(slug)
    return chain


def matches(found, expected, parents) -> bool:
    people = {p.slug for p in found.participants}
    wanted = set(expected["participants"])
    if not wanted <= people or (not wanted and people):
        return False
    if not kinds_compatible(found.kind, expected["kind"]) and expected["kind"] != found.kind:
        return False
    claim = DateClaim(found.start_date, found.end_date, found.date_precision)
    start = expected.get("start_date")
    if start:
        truth = DateClaim(
            date.fromisoformat(start),
            date.fromisoformat(expected.get("end_date") or start),
            expected.get("date_precision", "day"),
        )
        if found.start_date is None or not dates_overlap(claim, truth):
            return False
    place = expected.get("location")
    return not (
        place
        and found.location
        and place not in ancestors(found.location, parents)
        and found.location not in ancestors(place, parents)
    )


def evaluate(verbose: bool = False) -> dict:
    gazetteer = gazetteer_from_files()
    parents = {location.slug: location.parent for location in gazetteer.locations}
    manifest = json.loads((SAMPLES / "manifest.json").read_text(encoding="utf-8"))
    found_total = expected_total = matched = 0
    topic_tp = topic_fp = topic_fn = 0
    for item in manifest:
        text = (SAMPLES / item["file"]).read_text(encoding="utf-8")
        published = date.fromisoformat(item["published"]) if item.get("published") else None
        result = extract(text, published, gazetteer)
        expected = item.get("expected_meetings", [])
        found_total += len(result.meetings)
        expected_total += len(expected)
        unmatched = list(result.meetings)
        for truth in expected:
            hit = next((f for f in unmatched if matches(f, truth, parents)), None)
            if hit is None:
                if verbose:
                    print(f"  missed  {item['file']}: {truth}")
                continue
            unmatched.remove(hit)
            matched += 1
            got, want = set(hit.topics), set(truth.get("topics", []))
            topic_tp += len(got & want)
            topic_fp += len(got - want)
            topic_fn += len(want - got)
        if verbose:
            for extra in unmatched:
                people = [p.slug for p in extra.participants]
                print(
                    f"  extra   {item['file']}: {extra.kind} {extra.status} {people} "
                    f"{extra.start_date} {extra.date_precision} {extra.location}"
                )
    return {
        "texts": len(manifest),
        "expected_meetings": expected_total,
        "found_meetings": found_total,
        "matched_meetings": matched,
        "meeting_precision": round(matched / found_total, 3) if found_total else 0.0,
        "meeting_recall": round(matched / expected_total, 3) if expected_total else 0.0,
        "topic_precision": round(topic_tp / (topic_tp + topic_fp), 3)
        if topic_tp + topic_fp
        else 0.0,
        "topic_recall": round(topic_tp / (topic_tp + topic_fn), 3) if topic_tp + topic_fn else 0.0,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--verbose", action="store_true", help="list misses and extras")
    parser.add_argument("--json", help="also write the scores to this file")
    options = parser.parse_args()
    scores = evaluate(options.verbose)
    width = max(map(len, scores))
    for name, value in scores.items():
        print(f"{name:<{width}}  {value}")
    if options.json:
        Path(options.json).write_text(json.dumps(scores, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
