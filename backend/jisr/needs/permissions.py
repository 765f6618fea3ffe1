"""Who may set a need's status.

A member owns the statuses of writing and withdrawing a need: ``draft`` (being written), ``open``
(published, waiting for partners) and ``closed`` (withdrawn or finished). ``in_discussion`` and
``matched`` record the programme's work on the need (proposals, a partnership formed): they belong to
coordinators, and a need in one of them is moved on by a coordinator only. Members change the other
fields of their own needs whatever the status.
"""

from jisr.auth.service import Principal
from jisr.core.errors import Forbidden
from jisr.needs.models import NeedStatus

MEMBER_STATUSES = frozenset({NeedStatus.draft, NeedStatus.open, NeedStatus.closed})


def may_set_status(principal: Principal, *, current: str | None, to: str) -> bool:
    """Whether ``principal`` may move a need from ``current`` (None: creating it) to ``to``."""
    if principal.is_staff or current == to:
        return True
    return to in MEMBER_STATUSES and (current is None or current in MEMBER_STATUSES)


def ensure_may_set_status(principal: Principal, *, current: str | None, to: str) -> None:
    if not may_set_status(principal, current=current, to=to):
        raise Forbidden(
            f"Only a coordinator can move a need from {current} to {to}: members set draft, open or closed, "
            "and only while the need is in one of them.",
            code="need_status_staff",
            params={"from": current or "", "to": str(to)},
        )
