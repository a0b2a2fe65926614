"""Who may do what to which dispute: object permissions, checked by views, templates and tests.

Plain permissions (may this person edit disputes at all?) come from the `editors` and `reviewers`
groups through Django's ModelBackend. The rules here add the object: may *this* reviewer decide on
*this* dispute? The four-eyes rule lives here for the permission check, in `Dispute._check_four_eyes`
for every caller, and in database constraints as the backstop.

The dispute's *state* is deliberately not part of these rules. A reviewer who clicks "approve" a
moment after someone else did must hear "someone else decided a moment ago" (409), not "you may not"
(403): the state is checked by the transition itself, with a conditional UPDATE.
"""

from __future__ import annotations

from typing import Any

import rules

is_editor = rules.is_group_member("editors")
is_reviewer = rules.is_group_member("reviewers")


@rules.predicate
def contributed(user: Any, dispute: Any) -> bool:
    """Four-eyes: whoever contributed to what the next approval covers may not decide on it.

    The author, the last editor, and everyone `Dispute.contributions_of` names: editors of the text
    and links, writers of cited statements and quotes, and whoever changed a source, speaker or outlet
    the dispute shows, since it was last approved.
    """
    return dispute is not None and bool(dispute.contributions_of(user))


@rules.predicate
def is_shown_to_readers(user: Any, dispute: Any) -> bool:
    return dispute is not None and dispute.public_revision_id is not None


works_on_the_desk = is_editor | is_reviewer | rules.is_staff

rules.add_perm("disputes.see_on_desk", works_on_the_desk)
# Approve, request changes, reject; re-confirm after a re-check.
rules.add_perm("disputes.decide_on_dispute", is_reviewer & ~contributed)
# Withdraw, or send a published dispute back to its editors: undoing is not approving, so no four-eyes.
rules.add_perm("disputes.withdraw_dispute", is_reviewer & is_shown_to_readers)
rules.add_perm("disputes.send_back_dispute", is_reviewer & is_shown_to_readers)
