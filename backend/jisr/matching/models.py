"""Matching: runs, proposals (with their history) and what each run proposed (for comparisons)."""

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, StringConstraints, field_validator
from sqlalchemy import JSON, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from jisr.core.db import UTCDateTime, utcnow
from jisr.core.hygiene import MultiLine, SingleLine
from jisr.core.models import AwareUTC, Entity, PublicMeta
from jisr.core.notes import SystemNote
from jisr.core.pagination import Page
from jisr.matching.scoring import DEFAULT_WEIGHTS, FACTORS


class MatchStatus(StrEnum):
    proposed = "proposed"
    shortlisted = "shortlisted"
    contacted = "contacted"
    accepted = "accepted"
    declined = "declined"
    meeting_scheduled = "meeting_scheduled"
    partnership_formed = "partnership_formed"
    rejected = "rejected"
    expired = "expired"


class MatchKind(StrEnum):
    new = "new"
    relaunch = "relaunch"


S = MatchStatus
TRANSITIONS: dict[MatchStatus, tuple[MatchStatus, ...]] = {
    S.proposed: (S.shortlisted, S.contacted, S.accepted, S.declined, S.rejected, S.expired),
    S.shortlisted: (S.proposed, S.contacted, S.accepted, S.declined, S.rejected, S.expired),
    S.contacted: (S.accepted, S.declined, S.rejected, S.expired),
    S.accepted: (S.meeting_scheduled, S.partnership_formed, S.declined, S.rejected),
    S.meeting_scheduled: (S.accepted, S.partnership_formed, S.declined, S.rejected),
    S.declined: (S.proposed,),
    S.rejected: (S.proposed,),
    S.expired: (S.proposed,),
    S.partnership_formed: (),
}
"""Which status may follow which. Coordinators make any of these moves; members only to accepted or declined."""
MEMBER_MOVES = frozenset({S.accepted, S.declined})
WAITING = frozenset({S.proposed, S.shortlisted, S.contacted})
"""Waiting for the collectivities' answer: expire when unanswered, reminded in the digest."""
LIVE = frozenset({S.shortlisted, S.contacted, S.accepted, S.meeting_scheduled})
"""Being worked on: a new run leaves them as they are, and they count against its caps."""
REFUSED = frozenset({S.declined, S.rejected})
"""A pair refused once is not proposed again unless a run sets ``include_declined``."""


def transitions_table() -> str:
    """``TRANSITIONS`` as a Markdown table (for the API's description): statuses with the same moves share a row."""
    rows: dict[tuple[MatchStatus, ...], list[MatchStatus]] = {}
    for source, targets in TRANSITIONS.items():
        rows.setdefault(targets, []).append(source)
    lines = ["| from | to |", "| --- | --- |"]
    for targets, sources in rows.items():
        moves = ", ".join(targets) if targets else "— (final)"
        lines.append(f"| {', '.join(sources)} | {moves} |")
    return "\n".join(lines)


# --- tables ---------------------------------------------------------------------------------------


class MatchRun(Entity, table=True):
    __tablename__ = "match_runs"
    weights: dict[str, float] = Field(default_factory=dict, sa_type=JSON)
    top_k: int
    max_per_french_collectivity: int
    need_ids: list[str] | None = Field(default=None, sa_type=JSON)
    include_declined: bool = False
    created_by: str = Field(default="", max_length=254)
    created_by_id: uuid.UUID | None = None
    need_count: int = 0
    proposal_count: int = 0
    pooled_count: int = 0
    unfilled_need_count: int = 0
    scored_pairs: int = 0
    optimal: bool = True
    optimality_gap: float = 0.0
    duration_ms: int = 0
    previous_run_id: uuid.UUID | None = None
    covered_need_ids: list[str] = Field(default_factory=list, sa_type=JSON)
    # A run is a worker job: queued by the request, claimed (with a lease) and run by the worker.
    status: str = Field(default="queued", sa_type=String(10), index=True)
    error: str = Field(default="", sa_type=Text)
    worker: str = Field(default="", max_length=120)
    started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class RunStatus(StrEnum):
    queued = "queued"
    running = "running"
    done = "done"
    failed = "failed"


class MatchProposal(Entity, table=True):
    __tablename__ = "match_proposals"
    __table_args__ = (UniqueConstraint("need_id", "pair_key"),)
    need_id: uuid.UUID = Field(foreign_key="needs.id", index=True)
    lebanese_collectivity_id: uuid.UUID = Field(foreign_key="collectivities.id", index=True)
    french_collectivity_id: uuid.UUID = Field(foreign_key="collectivities.id", index=True)
    french_collectivity_ids: list[str] = Field(default_factory=list, sa_type=JSON)
    pair_key: str = Field(max_length=120)
    score: float
    rank: int
    reasons: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    kind: str = Field(default=MatchKind.new, sa_type=String(10))
    status: str = Field(default=MatchStatus.proposed, sa_type=String(20), index=True)
    run_id: uuid.UUID = Field(foreign_key="match_runs.id", index=True)
    partnership_ids: list[str] = Field(default_factory=list, sa_type=JSON)


class MatchTransition(SQLModel, table=True):
    """One status change of a proposal."""

    __tablename__ = "match_transitions"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    proposal_id: uuid.UUID = Field(foreign_key="match_proposals.id", index=True, ondelete="CASCADE")
    from_status: str = Field(sa_type=String(20))
    to_status: str = Field(sa_type=String(20))
    by: str = Field(max_length=254)
    by_id: uuid.UUID | None = None
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    note: str = Field(default="", max_length=2000)
    # A change the server made (core.notes: relaunch, expired, meeting_scheduled…), said in the reader's language.
    note_key: str | None = Field(default=None, max_length=40)
    note_params: dict[str, Any] | None = Field(default=None, sa_type=JSON)


class MatchRunEntry(SQLModel, table=True):
    """What one run left proposed for a need, at which rank (runs are compared on these)."""

    __tablename__ = "match_run_entries"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    run_id: uuid.UUID = Field(foreign_key="match_runs.id", index=True, ondelete="CASCADE")
    need_id: uuid.UUID
    pair_key: str = Field(max_length=120)
    french_collectivity_ids: list[str] = Field(default_factory=list, sa_type=JSON)
    rank: int
    score: float


def pair_key(french_ids: list[uuid.UUID] | list[str]) -> str:
    """The French side of a proposal, order-free: sorted ids (hex) joined by '+'."""
    return "+".join(sorted(uuid.UUID(str(f)).hex for f in french_ids))


# --- API models -------------------------------------------------------------------------------------


class Reason(BaseModel):
    factor: str = Field(description="theme, history, scale, capacity, preferences (pools also: pooling).")
    weight: float = Field(description="The factor's share of the score (weights sum to 1).")
    value: float = Field(description="The factor's value for this pair, 0–1.")
    label_fr: str
    label_en: str
    label_ar: str


class HistoryEntry(BaseModel):
    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)
    from_: MatchStatus = Field(alias="from")
    to: MatchStatus
    by: str
    at: datetime
    note: str = Field(description="What the person who made the change wrote.")
    system_note: SystemNote | None = Field(
        default=None, description="What the server says of a change it made (relaunch, expiry, scheduled meeting)."
    )


class MatchPublic(PublicMeta):
    need_id: uuid.UUID
    lebanese_collectivity_id: uuid.UUID
    french_collectivity_id: uuid.UUID = Field(description="The French collectivity, or the lead of a pool.")
    french_collectivity_ids: list[uuid.UUID] = Field(description="Every French member (one, or a pool of 2–3).")
    pooled: bool
    score: float = Field(ge=0, le=1)
    rank: int = Field(description="Position among the open proposals of its need (1 is best).")
    reasons: list[Reason]
    kind: MatchKind
    status: MatchStatus
    allowed_transitions: list[MatchStatus] = Field(description="Statuses this proposal may move to next.")
    run_id: uuid.UUID = Field(description="The run that last proposed it.")
    partnership_ids: list[uuid.UUID] = Field(description="Partnerships created or reactivated when formed.")
    history: list[HistoryEntry]


class MatchList(Page[MatchPublic]):
    pass


Weights = dict[Annotated[str, StringConstraints(max_length=40)], Annotated[float, Field(ge=0, le=1000)]]


class MatchRunCreate(SQLModel):
    weights: Weights = Field(
        default_factory=lambda: dict(DEFAULT_WEIGHTS),
        description=f"Weight per factor ({', '.join(FACTORS)}); absent factors weigh 0; they are normalised to sum 1.",
    )
    top_k: int = Field(default=5, ge=1, le=50, description="Proposals per need at most.")
    max_per_french_collectivity: int = Field(
        default=3, ge=1, le=100, description="Proposals a French collectivity appears in at most (open ones included)."
    )
    need_ids: list[uuid.UUID] | None = Field(
        default=None, max_length=10000, description="Only these needs (open requests); all open requests when absent."
    )
    include_declined: bool = Field(default=False, description="Propose again pairs that declined or were rejected.")

    @field_validator("weights")
    @classmethod
    def _weights(cls, value: dict[str, float]) -> dict[str, float]:
        unknown = sorted(set(value) - set(FACTORS))
        if unknown:
            raise ValueError(f"unknown factor(s) {', '.join(unknown)}; use {', '.join(FACTORS)}")
        if sum(value.values()) <= 0:
            raise ValueError("at least one weight must be positive")
        return value


class FactorWeights(SQLModel):
    """A weight per factor of the score."""

    theme: float
    history: float
    scale: float
    capacity: float
    preferences: float


class MatchRunDefaults(SQLModel):
    """What a run uses for each parameter its request leaves out."""

    weights: FactorWeights = Field(description="Weight per factor, summing to 1.")
    top_k: int
    max_per_french_collectivity: int
    include_declined: bool

    @classmethod
    def of_runs(cls) -> "MatchRunDefaults":
        run = MatchRunCreate()
        return cls(
            weights=FactorWeights(**run.weights),
            top_k=run.top_k,
            max_per_french_collectivity=run.max_per_french_collectivity,
            include_declined=run.include_declined,
        )


class MatchRunPublic(PublicMeta):
    weights: dict[str, float] = Field(description="As used: normalised to sum 1.")
    top_k: int
    max_per_french_collectivity: int
    need_ids: list[uuid.UUID] | None
    include_declined: bool
    created_by: str = Field(description="Who ran it (e-mail or API client id).")
    need_count: int = Field(description="Needs considered.")
    proposal_count: int = Field(description="Open proposals the run left for those needs.")
    pooled_count: int = Field(description="Of which pools of French collectivities.")
    unfilled_need_count: int = Field(description="Needs left with fewer than top_k proposals.")
    scored_pairs: int = Field(description="(need, French collectivity) pairs scored.")
    optimal: bool = Field(description="The allocation is proven optimal (to 1e-5 per proposal).")
    optimality_gap: float = Field(
        description="Proven upper bound on how much the total score could still rise (0 when optimal)."
    )
    duration_ms: int
    previous_run_id: uuid.UUID | None
    status: RunStatus = Field(
        description="queued (waiting for the worker), running, done (the counts above are filled), failed (see error)."
    )
    error: str = Field(description="Why the run failed (empty otherwise).")
    worker: str = Field(description="host:pid of the process that ran it (empty until then).")
    started_at: AwareUTC | None
    finished_at: AwareUTC | None


class MatchRunList(Page[MatchRunPublic]):
    pass


class ComparisonItem(BaseModel):
    need_id: uuid.UUID
    french_collectivity_ids: list[uuid.UUID]
    rank: int | None = Field(description="Rank in this run (null: dropped).")
    previous_rank: int | None = Field(description="Rank in the other run (null: new).")
    score: float | None
    previous_score: float | None


class RunComparison(BaseModel):
    run_id: uuid.UUID
    previous_run_id: uuid.UUID | None
    needs_compared: int = Field(description="Needs both runs covered; only those are compared.")
    new_count: int
    dropped_count: int
    reranked_count: int
    unchanged_count: int
    new: list[ComparisonItem]
    dropped: list[ComparisonItem]
    reranked: list[ComparisonItem]


class RelaunchCreate(SQLModel):
    partnership_id: uuid.UUID = Field(description="A dormant or ended partnership.")
    max_per_french_collectivity: int = Field(
        default=3,
        ge=1,
        le=100,
        description="Refused when the French side already holds this many proposals being worked on.",
    )


class TransitionCreate(SQLModel):
    to: MatchStatus
    note: MultiLine = Field(default="", max_length=2000)


# --- field-mission meetings ---------------------------------------------------------------------------


class MeetingAvailability(Entity, table=True):
    """When a collectivity can meet during a field mission: windows of time."""

    __tablename__ = "meeting_availabilities"
    __table_args__ = (UniqueConstraint("event_id", "collectivity_id"),)
    event_id: uuid.UUID = Field(foreign_key="events.id", index=True)
    collectivity_id: uuid.UUID = Field(foreign_key="collectivities.id", index=True)
    windows: list[dict[str, str]] = Field(default_factory=list, sa_type=JSON)


class Meeting(Entity, table=True):
    """A bilateral meeting of a field mission: one accepted proposal, one slot, one table."""

    __tablename__ = "meetings"
    __table_args__ = (UniqueConstraint("event_id", "proposal_id"),)
    event_id: uuid.UUID = Field(foreign_key="events.id", index=True)
    proposal_id: uuid.UUID = Field(foreign_key="match_proposals.id", index=True)
    starts_at: datetime = Field(sa_type=UTCDateTime)
    ends_at: datetime = Field(sa_type=UTCDateTime)
    table_label: str = Field(max_length=100)


class Window(BaseModel):
    starts_at: AwareUTC
    ends_at: AwareUTC


class AvailabilitySet(SQLModel):
    windows: list[Window] = Field(max_length=200, description="Times the collectivity can meet (with an offset).")


class AvailabilityPublic(PublicMeta):
    event_id: uuid.UUID
    collectivity_id: uuid.UUID
    windows: list[Window]


class AvailabilityList(BaseModel):
    items: list[AvailabilityPublic]


class ScheduleRequest(SQLModel):
    slot_minutes: int = Field(default=30, ge=10, le=240, description="Length of one meeting.")
    tables: list[Annotated[SingleLine, StringConstraints(min_length=1, max_length=100)]] = Field(
        default_factory=lambda: ["Table 1"], min_length=1, max_length=200, description="Rooms or tables, by name."
    )
    proposal_ids: list[uuid.UUID] | None = Field(
        default=None,
        max_length=5000,
        description="Only these proposals; default: every accepted one (and those already scheduled here).",
    )


class MeetingPublic(PublicMeta):
    event_id: uuid.UUID
    proposal_id: uuid.UUID
    need_id: uuid.UUID
    collectivity_ids: list[uuid.UUID] = Field(description="The Lebanese side first, then the French side(s).")
    starts_at: datetime
    ends_at: datetime
    table_label: str


class UnplacedPublic(BaseModel):
    proposal_id: uuid.UUID
    reason: str = Field(description="no_table, no_availability, no_common_slot or slots_taken.")
    collectivity_ids: list[uuid.UUID] = Field(description="no_availability: who gave none.")
    label_fr: str
    label_en: str
    label_ar: str


class ScheduleResult(BaseModel):
    event_id: uuid.UUID
    slots: int
    placed: int
    optimal: bool = Field(description="Proven to place as many meetings as possible.")
    meetings: list[MeetingPublic]
    unplaced: list[UnplacedPublic]


class MeetingList(BaseModel):
    items: list[MeetingPublic]
