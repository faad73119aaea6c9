"""Writes for diplomacy: turn an article's extraction into evidence-backed meetings.

- `processing`: claim a stored article, extract from it, apply the result, finish it;
- `evidence`: apply a batch of extractions (mentions, evidence rows, discovered officials);
- `matching`: find the recorded meeting a candidate reports, or record a new one;
- `recompute`: derive each meeting's fields from the claims of its evidence;
- `resettling`: match vague reports again once a meeting of theirs is known to the day;
- `curation`: curators' edits, locks, confirmations, rejections, merges and splits;
- `people`: merging a duplicate person, adding an alias from a sentence, confirming one;
- `undo`: undoing a curator's last action where that is safe;
- `channels`: tie meetings to the channels they were held through;
- `reference`: the people, places and topics merging looks up, cached by a fingerprint.
"""

from diplomacy.services.channels import channel_assign, channels_assign_all
from diplomacy.services.curation import (
    CurationError,
    meeting_confirm,
    meeting_curate,
    meeting_edit,
    meeting_lock,
    meeting_merge,
    meeting_reject,
    meeting_reopen,
    meeting_split,
    meeting_unlock,
)
from diplomacy.services.evidence import (
    article_apply_extraction,
    articles_apply_extractions,
    known_publication_date,
    merge_lock_keys,
    person_discover,
    reports_resettle_all,
)
from diplomacy.services.matching import meeting_create, meeting_for_candidate, meeting_match
from diplomacy.services.people import person_alias_add, person_confirm, person_merge
from diplomacy.services.processing import (
    TRANSIENT_ERRORS,
    article_process,
    article_process_now,
    article_reprocess,
    articles_process_batch,
    articles_process_claimed,
    reports_resettle_waiting,
)
from diplomacy.services.recompute import meetings_recompute
from diplomacy.services.reference import Ref, Reference, reference_current
from diplomacy.services.undo import curation_undo, undo_refusal

__all__ = [
    "TRANSIENT_ERRORS",
    "CurationError",
    "Ref",
    "Reference",
    "article_apply_extraction",
    "article_process",
    "article_process_now",
    "article_reprocess",
    "articles_apply_extractions",
    "articles_process_batch",
    "articles_process_claimed",
    "channel_assign",
    "channels_assign_all",
    "curation_undo",
    "known_publication_date",
    "meeting_confirm",
    "meeting_create",
    "meeting_curate",
    "meeting_edit",
    "meeting_for_candidate",
    "meeting_lock",
    "meeting_match",
    "meeting_merge",
    "meeting_reject",
    "meeting_reopen",
    "meeting_split",
    "meeting_unlock",
    "meetings_recompute",
    "merge_lock_keys",
    "person_alias_add",
    "person_confirm",
    "person_discover",
    "person_merge",
    "reference_current",
    "reports_resettle_all",
    "reports_resettle_waiting",
    "undo_refusal",
]
