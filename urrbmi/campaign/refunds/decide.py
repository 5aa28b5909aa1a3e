"""Deciding refunds: approve or reject pending ones, all or nothing, by an officer other than the
row's creator (four eyes), each row audited.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from urrbmi.access.errors import Forbidden, out_of_scope
from urrbmi.campaign.refunds.rows import RefundRow, S, list_refunds, zh_status
from urrbmi.db.models import Campaign, Refund, Resident
from urrbmi.errors import InvalidInput
from urrbmi.registry import audit
from urrbmi.registry.errors import Conflict, NotFound


class FourEyes(Forbidden):
    """The approver is the officer who created the refund."""

    code = "four_eyes"
    http_status = 403


def _actor_name(actor: str) -> str:
    """The person behind an actor string (the API writes ``api:<user>``, the CLI the user)."""
    return actor.removeprefix("api:").strip().lower()


def locked_refunds(session: Session, c: Campaign, refund_ids: Sequence[int], scope: str) -> list[Refund]:
    """The rows, locked, all in the campaign and the scope, or the error (nothing changed)."""
    wanted = sorted(set(refund_ids))
    if not wanted:
        raise InvalidInput("请指定退费编号", "name at least one refund")
    found = list(
        session.scalars(
            select(Refund)
            .join(Resident, Resident.id == Refund.resident_id)
            .where(
                Refund.id.in_(wanted),
                Refund.campaign_id == c.id,
                Resident.region_code.startswith(scope, autoescape=True),
            )
            .order_by(Refund.id)
            .with_for_update(of=Refund)
        )
    )
    missing = sorted(set(wanted) - {r.id for r in found})
    if missing:
        if scope:
            raise out_of_scope()
        shown = "、".join(str(m) for m in missing[:10])
        raise NotFound(
            f"征缴批次{c.id}中找不到退费{shown}",
            f"no refund {', '.join(map(str, missing[:10]))} in campaign {c.id}",
        )
    return found


def _refuse(r: Refund, action_zh: str, action_en: str, allowed: Iterable[S]) -> None:
    if r.status not in {s.value for s in allowed}:
        raise Conflict(
            f"退费{r.id}的状态是“{zh_status(r.status)}”，不能{action_zh}",
            f"refund {r.id} is {r.status}: it cannot be {action_en}",
            code="refund_state",
        )


def _four_eyes(r: Refund, actor: str) -> None:
    if r.created_by is not None and _actor_name(r.created_by) == _actor_name(actor):
        raise FourEyes(
            f"退费{r.id}由您本人发起，须由另一名经办人员审批",
            f"refund {r.id} was created by you: another officer must decide it",
        )


def _decide(
    session: Session,
    c: Campaign,
    refund_ids: Sequence[int],
    *,
    to: S,
    allowed: tuple[S, ...],
    actor: str,
    reason: str | None,
    scope: str,
    words: tuple[str, str],
) -> list[RefundRow]:
    rows = locked_refunds(session, c, refund_ids, scope)
    for r in rows:  # every row is checked before any is changed
        _refuse(r, *words, allowed)
        _four_eyes(r, actor)
    now = audit.now()
    for r in rows:
        old = r.status
        r.status, r.decided_by, r.decided_at, r.decided_reason = to.value, actor, now, reason
        audit.record(
            session, actor, "refunds", r.id, to.value, {"status": old}, {"status": to.value, "reason": reason}
        )
    session.flush()
    wanted = {r.id for r in rows}
    return [x for x in list_refunds(session, c, scope=scope) if x.id in wanted]


def approve(
    session: Session, c: Campaign, refund_ids: Sequence[int], *, actor: str, scope: str = ""
) -> list[RefundRow]:
    """Approve pending refunds (all or none)."""
    return _decide(
        session,
        c,
        refund_ids,
        to=S.APPROVED,
        allowed=(S.PENDING,),
        actor=actor,
        reason=None,
        scope=scope,
        words=("审批", "approved"),
    )


def reject(
    session: Session, c: Campaign, refund_ids: Sequence[int], *, actor: str, reason: str, scope: str = ""
) -> list[RefundRow]:
    """Reject pending (or failed) refunds with a reason (all or none)."""
    if not reason.strip():
        raise InvalidInput("驳回退费须说明理由", "rejecting a refund needs a reason")
    return _decide(
        session,
        c,
        refund_ids,
        to=S.REJECTED,
        allowed=(S.PENDING, S.FAILED),
        actor=actor,
        reason=reason.strip(),
        scope=scope,
        words=("驳回", "rejected"),
    )
