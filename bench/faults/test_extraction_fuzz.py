"""The extraction fuzz of tests/test_fuzz.py, with thousands of random texts per property.

The quick suite runs a fixed sample (derandomized, 100 texts per property); this run draws
FUZZ_EXAMPLES (2,000) fresh random texts per property each time (FUZZ_RANDOM=1).
"""

import os

os.environ.setdefault("FUZZ_EXAMPLES", "2000")
os.environ.setdefault("FUZZ_RANDOM", "1")

from tests.test_fuzz import (
    EXAMPLES,
    failures,
    test_it_extracts_from_any_text_without_failing_inside,
    test_it_gives_the_same_result_for_the_same_input,
    test_it_keeps_every_span_on_the_input,
    test_it_only_produces_values_the_database_accepts,
    test_it_survives_control_characters_and_line_endings,
)

__all__ = [
    "failures",
    "test_it_extracts_from_any_text_without_failing_inside",
    "test_it_gives_the_same_result_for_the_same_input",
    "test_it_keeps_every_span_on_the_input",
    "test_it_only_produces_values_the_database_accepts",
    "test_it_survives_control_characters_and_line_endings",
]


def test_it_runs_the_long_example_count(run_figures):
    """The example count of this run reached the fuzz module before it was imported."""
    assert int(os.environ["FUZZ_EXAMPLES"]) == EXAMPLES
    run_figures["extraction fuzz (hypothesis)"] = {
        "properties": 5,
        "random texts per property": EXAMPLES,
        "cases run": EXAMPLES * 4 + max(10, EXAMPLES // 4),
    }
