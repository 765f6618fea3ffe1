"""Who asked for no more reminders: one row per e-mail address (lower-cased)."""

from datetime import datetime

from sqlmodel import Field, SQLModel

from jisr.core.db import UTCDateTime, utcnow


class ReminderOptOut(SQLModel, table=True):
    """An address that gets no reminder, follow-up or digest any more (transactional e-mails still go).

    Keyed by the address itself, not by a contact or a user: the same person may be both, or neither
    any more, and the unsubscribe link carries only the address."""

    __tablename__ = "reminder_optouts"
    email: str = Field(primary_key=True, max_length=254)
    opted_out_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
