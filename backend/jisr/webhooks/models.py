"""Webhook subscriptions: an admin registers a URL, the events it wants, and a signing secret."""

from enum import StrEnum

from sqlalchemy import JSON
from sqlmodel import Field, SQLModel

from jisr.core.models import Entity, PublicMeta, partial_model
from jisr.core.pagination import Page
from jisr.outbox.models import OutboxItemPublic


class WebhookEvent(StrEnum):
    need_created = "need.created"
    need_updated = "need.updated"
    match_status_changed = "match.status_changed"
    partnership_formed = "partnership.formed"
    import_finished = "import.finished"


class WebhookBase(SQLModel):
    url: str = Field(
        max_length=500, schema_extra={"pattern": r"^https?://[^\s/]+\S*$"}, description="Where events are POSTed."
    )
    events: list[WebhookEvent] = Field(sa_type=JSON, min_length=1, max_length=20)
    description: str = Field(default="", max_length=500)
    active: bool = True


class WebhookSubscription(Entity, WebhookBase, table=True):
    __tablename__ = "webhook_subscriptions"
    secret: str = Field(max_length=200)


class _Secret(SQLModel):
    secret: str | None = Field(
        default=None,
        min_length=16,
        max_length=200,
        description="The HMAC key (16+ characters). Left out on create: Jisr generates one and returns it once.",
    )


class WebhookCreate(WebhookBase, _Secret):
    pass


WebhookUpdate = partial_model("WebhookUpdate", WebhookBase, _Secret)


class WebhookPublic(PublicMeta, WebhookBase):
    pass


class WebhookWithSecret(WebhookPublic):
    secret: str = Field(description="Shown once, at creation (or when you set a new one). Store it now.")


class WebhookList(Page[WebhookPublic]):
    pass


class DeliveryList(Page[OutboxItemPublic]):
    pass
