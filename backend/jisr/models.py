"""Every table model, imported once so that the metadata is complete (migrations, tests)."""

from sqlmodel import SQLModel

from jisr.auth.models import ApiClient, LoginFailure, User
from jisr.collectivities.models import Collectivity
from jisr.contacts.models import Contact
from jisr.core.extrefs import ExternalRef
from jisr.needs.models import Need
from jisr.partnerships.models import Partnership
from jisr.tags.models import TagLink, ThematicTag

metadata = SQLModel.metadata

__all__ = [
    "ApiClient",
    "Collectivity",
    "Contact",
    "ExternalRef",
    "LoginFailure",
    "Need",
    "Partnership",
    "TagLink",
    "ThematicTag",
    "User",
    "metadata",
]
