"""What re-placing vague reports keeps between batches: the reports read from sentences."""

import pytest

from diplomacy.services import person_merge
from diplomacy.services.reference import reference_current
from diplomacy.services.resettling import _read
from tests.factories import EvidenceFactory, PersonFactory

pytestmark = pytest.mark.django_db


def claims(*slugs: str) -> dict:
    return {"participants": [{"slug": slug, "role": "", "side": ""} for slug in slugs]}


def test_it_reads_the_reports_again_once_a_merged_person_rewrote_their_claims():
    """Reports are kept by their sentences' rows, which a person merge rewrites in place:
    the merge changes the reference, and the reports are read again, naming the survivor."""
    kept, merged, other = (
        PersonFactory(name=name) for name in ("Wang Yi", "Wang Y.", "Kurt Campbell")
    )
    row = EvidenceFactory(claims=claims(merged.slug, other.slug))
    ids, merged_pk = (row.pk,), merged.pk

    before = _read([ids], reference_current())[ids]
    person_merge(merged, into=kept)
    after = _read([ids], reference_current())[ids]

    assert [report[4] for report in before] == [frozenset({merged_pk, other.pk})]
    assert [report[4] for report in after] == [frozenset({kept.pk, other.pk})]
