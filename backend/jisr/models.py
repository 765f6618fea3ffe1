"""Every table model, imported once so that the metadata is complete (migrations, tests)."""

from sqlmodel import SQLModel

from jisr.audit.models import AuditEntry
from jisr.auth.models import ApiClient, LoginFailure, User
from jisr.census.models import CensusCampaign, CensusInvitation, CensusResponse, CensusResponseNeed, RateHit
from jisr.collectivities.models import Collectivity
from jisr.contacts.models import Contact
from jisr.core.extrefs import ExternalRef
from jisr.events.models import Event, EventQuestion, EventRegistration
from jisr.imports.models import ImportJob, ImportPayload
from jisr.matching.models import (
    MatchProposal,
    MatchRun,
    MatchRunEntry,
    MatchTransition,
    Meeting,
    MeetingAvailability,
)
from jisr.needs.models import Need
from jisr.notifications.models import ReminderOptOut
from jisr.outbox.models import OutboxItem
from jisr.partnerships.models import Partnership
from jisr.sync.models import Tombstone
from jisr.tags.models import TagLink, ThematicTag
from jisr.webhooks.models import WebhookSubscription

metadata = SQLModel.metadata

__all__ = [
    "ApiClient",
    "AuditEntry",
    "CensusCampaign",
    "CensusInvitation",
    "CensusResponse",
    "CensusResponseNeed",
    "Collectivity",
    "Contact",
    "Event",
    "EventQuestion",
    "EventRegistration",
    "ExternalRef",
    "LoginFailure",
    "MatchProposal",
    "MatchRun",
    "MatchRunEntry",
    "MatchTransition",
    "Meeting",
    "MeetingAvailability",
    "Need",
    "Partnership",
    "RateHit",
    "ReminderOptOut",
    "TagLink",
    "ThematicTag",
    "User",
    "ImportJob",
    "ImportPayload",
    "OutboxItem",
    "Tombstone",
    "WebhookSubscription",
    "metadata",
]
