"""The quarter's lägesbild as an approved edition (fastställd lägesbild).

Analysts draft a quarter's picture: the generated summary as a start, and their assessment in
sections (overall, each form of extremism, districts, target groups, the follow-up of the
action plan), each beside its charts. The draft is shared with the preparation group, who read
it with protected numbers and comment per section; an approver (role godkannare, analysts by
default) approves it with the decision's date. The access policy checks and logs every step.

An approved version is frozen: its texts, the meeting pack's published tables for the
preparation group and for the public variant (the chart catalogue draws the figures again from
them), the exact counts its revisions are detected on, and the code-list, partner, population
and data versions it was built from. It exports the same files whatever was imported or rolled
back since. When later data change the quarter, `revision` says by how much (protected), and a
new version can be approved with a revision note; every version stays available.

    sections   the sections of the assessment and the charts beside them
    frozen     a meeting pack as stored parts (JSON manifest + Parquet tables) and back
    workflow   drafts, texts, comments, approval, versions, revisions, exports
"""

from lagesbild.editions.sections import Group, Section, groups, heading_of
from lagesbild.editions.workflow import (
    EditionError,
    Revision,
    Version,
    add_comment,
    approve,
    approved_version,
    built_from,
    comments,
    draft_of,
    edition_pack,
    frozen_charts,
    latest_approved,
    revision,
    save_texts,
    share,
    start_draft,
    text_history,
    texts,
    versions,
)

__all__ = [
    "EditionError", "Group", "Revision", "Section", "Version", "add_comment",
    "approve", "approved_version", "built_from", "comments", "draft_of", "edition_pack",
    "frozen_charts", "groups",
    "heading_of", "latest_approved", "revision", "save_texts", "share", "start_draft",
    "text_history", "texts", "versions",
]
