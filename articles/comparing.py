"""Two versions of a source side by side: which two a reader asked for, and their word diff with quotes marked.

Shared by the desk's source page and the public one; both pick the pair from `?from=&to=`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from . import diffing
from .marking import Piece, mark_diff, trim_unchanged
from .models import Snapshot


@dataclass(frozen=True)
class Comparison:
    old: Snapshot
    new: Snapshot
    pieces: list[Piece]
    identical: bool


def compare(
    snapshots: Sequence[Snapshot], old_pk: object, new_pk: object, passages: Iterable[str]
) -> Comparison | None:
    """Compare two of a source's versions (`snapshots`, newest first), by default the last two.

    `old_pk` and `new_pk` come straight from the query string: a missing one defaults to its side of the
    last change, and anything that is not one of these versions gives the default pair. One query, for
    the two texts; None when there are fewer than two versions.
    """
    if len(snapshots) < 2:
        return None
    by_pk = {snapshot.pk: snapshot for snapshot in snapshots}
    default = (snapshots[1].pk, snapshots[0].pk)
    try:
        pair = (
            default[0] if old_pk in (None, "") else int(str(old_pk)),
            default[1] if new_pk in (None, "") else int(str(new_pk)),
        )
    except ValueError:
        pair = default
    if pair[0] not in by_pk or pair[1] not in by_pk:
        pair = default
    texts = dict(Snapshot.objects.filter(pk__in=pair).values_list("pk", "main_text"))
    old_text, new_text = texts[pair[0]], texts[pair[1]]
    chunks = [(chunk.op, chunk.text) for chunk in diffing.word_diff(old_text, new_text)]
    return Comparison(
        old=by_pk[pair[0]],
        new=by_pk[pair[1]],
        pieces=trim_unchanged(mark_diff(chunks, old_text, new_text, passages)),
        identical=old_text == new_text,
    )
