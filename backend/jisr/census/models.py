"""Census campaigns (action 2): invitations with private links, the public form, its responses."""

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import EmailStr, StringConstraints, field_validator, model_validator
from sqlalchemy import JSON, String, UniqueConstraint
from sqlmodel import Field, SQLModel
from sqlmodel.main import SQLModelConfig

from jisr.auth.models import Language
from jisr.core.db import UTCDateTime, utcnow
from jisr.core.hygiene import MultiLine, Name, SingleLine
from jisr.core.models import Entity, PublicMeta, not_a_number, partial_model
from jisr.core.pagination import Page
from jisr.events.models import check_timezone
from jisr.needs.models import NeedPublic, Priority

# --- campaigns ---------------------------------------------------------------------------


class CampaignBase(SQLModel):
    title: Name = Field(min_length=1, max_length=300, description="In French; the other languages fall back to it.")
    description: MultiLine = Field(default="", max_length=5000, description="In French.")
    title_en: Name = Field(default="", max_length=300, description="In English; empty: the French title.")
    title_ar: Name = Field(default="", max_length=300, description="In Arabic; empty: the French title.")
    description_en: MultiLine = Field(default="", max_length=5000)
    description_ar: MultiLine = Field(default="", max_length=5000)
    timezone: str = Field(
        default="Asia/Beirut",
        max_length=64,
        description="IANA time zone in which e-mails and the form state the closing time.",
    )
    languages: list[Language] = Field(
        default_factory=lambda: [Language.ar, Language.fr, Language.en],
        min_length=1,
        max_length=3,
        sa_type=JSON,
        description="Languages the form is offered in; the first is the form's default.",
    )
    closes_at: datetime = Field(
        sa_type=UTCDateTime, description="After this instant the links stop working (with an offset, e.g. `Z`)."
    )

    _iso_closes_at = field_validator("closes_at", mode="before")(not_a_number)

    @field_validator("closes_at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("give an offset (Z or +02:00)")
        return value

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        return check_timezone(value)

    @field_validator("languages")
    @classmethod
    def _unique(cls, value: list[Language]) -> list[Language]:
        return list(dict.fromkeys(value))


class CensusCampaign(Entity, CampaignBase, table=True):
    __tablename__ = "census_campaigns"
    languages: list[str] = Field(default_factory=list, sa_type=JSON)  # type: ignore[assignment]


class CampaignCreate(CampaignBase):
    pass


CampaignUpdate = partial_model("CampaignUpdate", CampaignBase)


class CampaignPublic(PublicMeta, CampaignBase):
    is_open: bool = Field(description="The links work until closes_at.")


class CampaignList(Page[CampaignPublic]):
    pass


class ProgressRow(SQLModel):
    governorate: str | None = Field(description="ISO code (LB-JA); null for collectivities without one.")
    name_fr: str | None = None
    name_en: str | None = None
    name_ar: str | None = None
    invited: int = 0
    opened: int = 0
    submitted: int = 0
    validated: int = 0


class CampaignProgress(SQLModel):
    campaign_id: uuid.UUID
    total: ProgressRow
    by_governorate: list[ProgressRow]


# --- invitations -------------------------------------------------------------------------


class CensusInvitation(Entity, table=True):
    __tablename__ = "census_invitations"
    __table_args__ = (UniqueConstraint("campaign_id", "collectivity_id"),)

    campaign_id: uuid.UUID = Field(foreign_key="census_campaigns.id", index=True)
    collectivity_id: uuid.UUID = Field(foreign_key="collectivities.id", index=True)
    governorate: str | None = Field(default=None, max_length=8, description="The collectivity's, when invited.")
    token_hash: str = Field(max_length=64, unique=True)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    opened_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    submitted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class InvitationsCreate(SQLModel):
    collectivity_ids: list[uuid.UUID] = Field(default_factory=list, max_length=2000)
    governorates: list[Annotated[str, StringConstraints(pattern=r"^LB-[A-Z]{2}$")]] = Field(
        default_factory=list, max_length=10, description="Invite every municipality of these governorates."
    )


class MailStatus(StrEnum):
    mailed = "mailed"
    queued = "queued"
    failed = "failed"
    no_address = "no_address"


class InvitationMail(SQLModel):
    """What became of the e-mails carrying the invitation's current link."""

    status: MailStatus = Field(
        description="`mailed`: at least one e-mail went out; `queued`: waiting to be sent; `failed`: every "
        "e-mail was refused for good; `no_address`: the collectivity had no reachable contact with an e-mail."
    )
    sent: int = 0
    pending: int = 0
    failed: int = 0


class InvitationPublic(PublicMeta):
    campaign_id: uuid.UUID
    collectivity_id: uuid.UUID
    governorate: str | None
    revoked_at: datetime | None
    opened_at: datetime | None
    submitted_at: datetime | None
    mail: InvitationMail = Field(description="The e-mails of the current link (a new link is mailed anew).")


class InvitationIssued(InvitationPublic):
    token: str = Field(description="Shown once: only its hash is kept.")
    url: str = Field(description="The private link to send to the collectivity.")


class InvitationsCreated(SQLModel):
    created: int
    items: list[InvitationIssued]
    already_invited: list[uuid.UUID] = Field(description="Collectivities this campaign had invited before.")


class InvitationList(Page[InvitationPublic]):
    pass


# --- the public form ---------------------------------------------------------------------

Forbid = SQLModelConfig(extra="forbid")


class ContactAnswer(SQLModel):
    model_config = Forbid
    full_name: Name = Field(min_length=1, max_length=200)
    role: SingleLine = Field(default="", max_length=100)
    email: EmailStr | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=40, schema_extra={"pattern": r"^\+?[0-9 ().-]{4,40}$"})
    consent: bool = Field(
        default=False,
        description="The person agrees to be kept as a contact of the collectivity; a coordinator may then "
        "add them to the directory when validating the answer.",
    )


class NeedAnswer(SQLModel):
    model_config = Forbid
    id: uuid.UUID | None = Field(default=None, description="Of a need sent before: update it rather than add one.")
    title: Name = Field(min_length=1, max_length=300)
    description: MultiLine = Field(default="", max_length=3000)
    tag_ids: list[uuid.UUID] = Field(default_factory=list, max_length=10)
    priority: Priority = Priority.medium
    estimated_budget_eur: int | None = Field(default=None, ge=0, le=1_000_000_000)


class FormerPartner(SQLModel):
    model_config = Forbid
    name: Name = Field(
        min_length=1, max_length=200, description="The French local authority, as the respondent names it."
    )
    since_year: int | None = Field(default=None, ge=1950, le=2100)
    until_year: int | None = Field(default=None, ge=1950, le=2100)

    @model_validator(mode="after")
    def _years(self) -> "FormerPartner":
        if self.since_year and self.until_year and self.until_year < self.since_year:
            raise ValueError("until_year is earlier than since_year")
        return self


class CensusAnswer(SQLModel):
    """What the form takes, and nothing else (unknown fields are refused)."""

    model_config = Forbid
    language: Language = Language.fr
    contact: ContactAnswer
    priorities: list[uuid.UUID] = Field(
        default_factory=list, max_length=10, description="Theme ids, most important first."
    )
    needs: list[NeedAnswer] = Field(default_factory=list, max_length=15)
    former_partners: list[FormerPartner] = Field(default_factory=list, max_length=5)


class ThemeOption(SQLModel):
    id: uuid.UUID
    slug: str
    parent_id: uuid.UUID | None
    label: str


class Option(SQLModel):
    value: str
    label: str


class FormCampaign(SQLModel):
    title: str = Field(description="In the form's language when the campaign has it, else in French.")
    description: str
    text_language: Language = Field(description="The language of `title` and `description`.")
    closes_at: datetime
    timezone: str
    languages: list[Language]


class FormCollectivity(SQLModel):
    name: str
    name_ar: str | None
    governorate: str | None


class CensusForm(SQLModel):
    campaign: FormCampaign
    collectivity: FormCollectivity
    language: Language
    direction: str = Field(description="`rtl` for Arabic, else `ltr`.")
    labels: dict[str, str]
    themes: list[ThemeOption]
    priorities: list[Option]
    status: str = Field(description="`not_submitted`, `submitted`, `validated` or `rejected`.")
    editable: bool = Field(description="False once the programme team has reviewed the answer.")
    submitted_at: datetime | None
    answer: CensusAnswer | None


class CensusSubmission(SQLModel):
    status: str
    submitted_at: datetime
    answer: CensusAnswer


# --- responses (coordinators) ------------------------------------------------------------


class ResponseStatus(StrEnum):
    submitted = "submitted"
    validated = "validated"
    rejected = "rejected"


class CensusResponse(Entity, table=True):
    __tablename__ = "census_responses"

    invitation_id: uuid.UUID = Field(foreign_key="census_invitations.id", unique=True)
    campaign_id: uuid.UUID = Field(foreign_key="census_campaigns.id", index=True)
    collectivity_id: uuid.UUID = Field(foreign_key="collectivities.id", index=True)
    status: str = Field(default=ResponseStatus.submitted, sa_type=String(10), index=True)
    language: str = Field(default=Language.fr, sa_type=String(2))
    contact: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    priorities: list[str] = Field(default_factory=list, sa_type=JSON)
    former_partners: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    submitted_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    submissions: int = 1
    reviewed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    reviewed_by: str | None = Field(default=None, max_length=254)
    rejection_reason: str | None = Field(default=None, max_length=2000)
    partnership_ids: list[str] = Field(default_factory=list, sa_type=JSON)
    unresolved_partners: list[str] = Field(default_factory=list, sa_type=JSON)
    contact_id: uuid.UUID | None = Field(default=None, foreign_key="contacts.id", ondelete="SET NULL")


class CensusResponseNeed(SQLModel, table=True):
    """The needs a response brought in, in the respondent's order."""

    __tablename__ = "census_response_needs"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    response_id: uuid.UUID = Field(foreign_key="census_responses.id", index=True, ondelete="CASCADE")
    need_id: uuid.UUID = Field(foreign_key="needs.id", unique=True, ondelete="CASCADE")
    position: int = 0


class ReviewedPartner(SQLModel):
    name: Name = Field(min_length=1, max_length=200)
    since_year: int | None = Field(default=None, ge=1950, le=2100)
    until_year: int | None = Field(default=None, ge=1950, le=2100)
    french_collectivity_id: uuid.UUID | None = Field(
        default=None, description="Set by a coordinator; else the name is looked up among French collectivities."
    )


class ResponseUpdate(SQLModel):
    contact: ContactAnswer | None = None
    priorities: list[uuid.UUID] | None = Field(default=None, max_length=10)
    former_partners: list[ReviewedPartner] | None = Field(default=None, max_length=5)


class ResponseValidate(SQLModel):
    add_contact: bool = Field(
        default=False,
        description="Add the respondent to the collectivity's contacts (only if they agreed on the form; "
        "an existing contact with the same e-mail is kept instead).",
    )


class ResponseReject(SQLModel):
    reason: MultiLine = Field(default="", max_length=2000)


class ResponsePublic(PublicMeta):
    invitation_id: uuid.UUID
    campaign_id: uuid.UUID
    collectivity_id: uuid.UUID
    status: ResponseStatus
    language: Language
    contact: ContactAnswer
    priorities: list[uuid.UUID]
    former_partners: list[ReviewedPartner]
    need_ids: list[uuid.UUID]
    submitted_at: datetime
    submissions: int = Field(description="How many times the form was sent (1 + resubmissions).")
    reviewed_at: datetime | None
    reviewed_by: str | None
    rejection_reason: str | None
    partnership_ids: list[uuid.UUID] = Field(description="Dormant partnerships created at validation.")
    unresolved_partners: list[str] = Field(description="Former partners not found among French collectivities.")
    contact_id: uuid.UUID | None = Field(description="The contact made of (or found for) the respondent at validation.")


class ResponseDetail(ResponsePublic):
    needs: list[NeedPublic]


class ResponseList(Page[ResponsePublic]):
    pass


class RateHit(SQLModel, table=True):
    """One request to a public form endpoint, for the rate limit (shared by every process)."""

    __tablename__ = "census_rate_hits"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    key: str = Field(max_length=200, index=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
