"""Sign-in, token checks, users and API clients."""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, delete, func, inspect
from sqlmodel import Session, col, select

from jisr.auth.models import (
    ApiClient,
    ApiClientCreate,
    Language,
    LoginFailure,
    Role,
    User,
    UserCreate,
)
from jisr.core import security
from jisr.core.config import get_settings
from jisr.core.crud import get_or_404, save_changes
from jisr.core.db import utcnow
from jisr.core.errors import Conflict, Invalid, TooManyRequests, Unauthorized
from jisr.core.pagination import ListParams, paginate

USER_SORTABLE = {"email": User.email, "created_at": User.created_at, "updated_at": User.updated_at, "role": User.role}
CLIENT_SORTABLE = {"name": ApiClient.name, "created_at": ApiClient.created_at, "updated_at": ApiClient.updated_at}


@dataclass(frozen=True)
class Principal:
    """Who is calling: a user or an API client, with one role."""

    kind: str  # "user" | "api_client"
    id: uuid.UUID
    role: Role
    collectivity_id: uuid.UUID | None
    label: str
    full_name: str | None = None
    language: Language = Language.fr

    @property
    def is_staff(self) -> bool:
        return self.role in (Role.admin, Role.coordinator)


# The token check of every request: one prebuilt Core statement (no ORM objects, no statement to build).
_USER_ROW = select(
    *(User.__table__.c[n] for n in ("id", "role", "collectivity_id", "email", "full_name", "language", "is_active"))  # type: ignore[attr-defined]
).where(User.__table__.c.id == bindparam("id"))  # type: ignore[attr-defined]
_CLIENT_ROW = select(
    *(ApiClient.__table__.c[n] for n in ("id", "role", "collectivity_id", "client_id", "name", "is_active"))  # type: ignore[attr-defined]
).where(ApiClient.__table__.c.id == bindparam("id"))  # type: ignore[attr-defined]


def _user_principal(user: Any) -> Principal:  # a User or a row of _USER_ROW
    return Principal(
        "user", user.id, Role(user.role), user.collectivity_id, user.email, user.full_name, Language(user.language)
    )


def _client_principal(client: Any) -> Principal:  # an ApiClient or a row of _CLIENT_ROW
    return Principal("api_client", client.id, Role(client.role), client.collectivity_id, client.client_id, client.name)


# --- sign-in -----------------------------------------------------------------------------

BAD_LOGIN = "Wrong e-mail or password."


def _failures(session: Session, key: str, since: datetime) -> tuple[int, datetime | None]:
    """How many failures under ``key`` since ``since``, and when the last one was."""
    count, last = session.exec(
        select(func.count(), func.max(LoginFailure.at)).where(LoginFailure.key == key, LoginFailure.at >= since)
    ).one()
    return int(count), last


def _refuse(seconds: int) -> TooManyRequests:
    minutes = max(1, (seconds + 59) // 60)
    return TooManyRequests(
        f"Too many failed sign-ins from your address. Try again in {minutes} minute(s).",
        headers={"Retry-After": str(max(1, seconds))},
    )


def _check_throttle(session: Session, *, pair_key: str, address_key: str) -> None:
    """Refuse a try that comes too soon after failures of the same account from the same address.

    The first ``login_max_failures`` failures are free; after that each failure doubles the wait before
    the next try from that address (1, 2, 4… minutes, at most the window). An address that fails for many
    accounts is refused for the window. The account itself is never locked: its owner, from an address
    that did not fail, signs in (issue 14: five requests must not keep an admin out).
    """
    settings = get_settings()
    window = timedelta(minutes=settings.login_lockout_minutes)
    now = utcnow()
    count, last = _failures(session, address_key, now - window)
    if count >= settings.login_max_failures_per_address:
        raise _refuse(int(window.total_seconds()))
    count, last = _failures(session, pair_key, now - window)
    if count >= settings.login_max_failures and last is not None:
        wait = min(timedelta(minutes=2 ** (count - settings.login_max_failures)), window)
        remaining = (last + wait - now).total_seconds()
        if remaining > 0:
            raise _refuse(int(remaining) + 1)


def _record_failure(session: Session, keys: list[str]) -> None:
    settings = get_settings()
    session.execute(
        delete(LoginFailure).where(col(LoginFailure.at) < utcnow() - timedelta(minutes=settings.login_lockout_minutes))
    )
    for key in keys:
        session.add(LoginFailure(key=key))
    session.flush()


def _keys(account: str, address: str) -> tuple[str, str, str]:
    """(account from this address, account from anywhere, address for any account)."""
    address = security.throttle_address(address)
    return f"pair:{account}|{address}", f"account:{account}", f"address:{address}"


def login_password(session: Session, *, email: str, password: str, address: str) -> Principal:
    """Check a password. Failures are recorded (the caller commits them) and throttled."""
    pair_key, account_key, address_key = _keys(email.strip().lower(), address)
    _check_throttle(session, pair_key=pair_key, address_key=address_key)
    user = session.exec(select(User).where(User.email == email.strip().lower())).first()
    if user is None:
        security.burn_password_time(password)
    if user is None or not security.verify_password(password, user.password_hash) or not user.is_active:
        _record_failure(session, [pair_key, account_key, address_key])
        raise Unauthorized(BAD_LOGIN)
    session.execute(delete(LoginFailure).where(col(LoginFailure.key) == pair_key))
    return _user_principal(user)


@dataclass
class Attack:
    """Failed sign-ins on one existing account, over the window, from how many addresses."""

    user_id: uuid.UUID
    email: str
    failures: int
    addresses: int
    window_minutes: int


def attack_on(session: Session, *, email: str) -> Attack | None:
    """The account's failures when they reach ``login_max_failures`` within the window (else None)."""
    settings = get_settings()
    account = email.strip().lower()
    user = session.exec(select(User).where(User.email == account)).first()
    if user is None:
        return None
    since = utcnow() - timedelta(minutes=settings.login_lockout_minutes)
    count, _ = _failures(session, f"account:{account}", since)
    if count < settings.login_max_failures:
        return None
    addresses = session.exec(
        select(func.count(func.distinct(LoginFailure.key))).where(
            col(LoginFailure.key).startswith(f"pair:{account}|", autoescape=True), LoginFailure.at >= since
        )
    ).one()
    return Attack(user.id, account, count, int(addresses), settings.login_lockout_minutes)


def login_client(session: Session, *, client_id: str, client_secret: str, address: str) -> Principal:
    pair_key, account_key, address_key = _keys(f"client:{client_id}", address)
    _check_throttle(session, pair_key=pair_key, address_key=address_key)
    client = session.exec(select(ApiClient).where(ApiClient.client_id == client_id)).first()
    if client is None or not client.is_active or not security.secrets_match(client_secret, client.secret_hash):
        _record_failure(session, [pair_key, account_key, address_key])
        raise Unauthorized("Wrong client id or secret.")
    return _client_principal(client)


def issue_token(principal: Principal) -> tuple[str, int]:
    prefix = "user" if principal.kind == "user" else "client"
    return security.create_token(f"{prefix}:{principal.id}", principal.role.value)


def principal_from_token(db: Session | Connection, token: str) -> Principal:
    """The caller behind a token; 401 when the account is gone, inactive or its role changed."""
    claims: dict[str, Any] = security.decode_token(token)
    kind, _, raw_id = str(claims["sub"]).partition(":")
    try:
        ident = uuid.UUID(raw_id)
    except ValueError as exc:
        raise Unauthorized("The token is invalid or expired.", headers=security.BEARER) from exc
    principal: Principal | None = None
    if kind == "user":  # a Session or a Connection
        user = db.execute(_USER_ROW, {"id": ident}).first()
        principal = _user_principal(user) if user and user.is_active else None
    elif kind == "client":
        client = db.execute(_CLIENT_ROW, {"id": ident}).first()
        principal = _client_principal(client) if client and client.is_active else None
    if principal is None or principal.role.value != claims["role"]:
        raise Unauthorized("The token is invalid or expired.", headers=security.BEARER)
    return principal


# --- users -------------------------------------------------------------------------------


def _check_member_binding(session: Session, role: Role, collectivity_id: uuid.UUID | None) -> None:
    if role == Role.member and collectivity_id is None:
        raise Invalid(
            "A member must be bound to a collectivity.",
            errors=[{"loc": ["body", "collectivity_id"], "msg": "required for role member"}],
        )
    if collectivity_id is not None:
        # auth sits below collectivities: look the row up through the foreign key, not that domain's service.
        target = next(iter(inspect(User).columns["collectivity_id"].foreign_keys)).column
        if session.execute(select(target).where(target == collectivity_id)).first() is None:
            raise Invalid(
                f"No collectivity with id {collectivity_id}.",
                errors=[{"loc": ["body", "collectivity_id"], "msg": "unknown collectivity"}],
            )


def create_user(session: Session, *, data: UserCreate) -> User:
    email = data.email.strip().lower()
    _check_member_binding(session, data.role, data.collectivity_id)
    if session.exec(select(User).where(User.email == email)).first():
        raise Conflict(f"A user with e-mail {email} already exists.")
    user = User(
        **data.model_dump(exclude={"password", "email"}),
        email=email,
        password_hash=security.hash_password(data.password),
    )
    session.add(user)
    session.flush()
    return user


def list_users(session: Session, *, params: ListParams, role: Role | None, q: str | None) -> tuple[list[User], int]:
    stmt = select(User)
    if role:
        stmt = stmt.where(User.role == role)
    if q:
        stmt = stmt.where(
            func.lower(User.email).contains(q.lower(), autoescape=True)
            | func.lower(User.full_name).contains(q.lower(), autoescape=True)
        )
    return paginate(
        session,
        stmt,
        params,
        model=User,
        default="email",
        sortable=USER_SORTABLE,
    )


def _admins_left_without(session: Session, user: User) -> int:
    return session.exec(
        select(func.count()).select_from(User).where(User.role == Role.admin, User.is_active, User.id != user.id)
    ).one()


def update_user(session: Session, user: User, *, changes: dict[str, Any], if_match: str | None) -> User:
    if "email" in changes:
        changes["email"] = changes["email"].strip().lower()
        other = session.exec(select(User).where(User.email == changes["email"], User.id != user.id)).first()
        if other:
            raise Conflict(f"A user with e-mail {changes['email']} already exists.")
    if "password" in changes:
        changes["password_hash"] = security.hash_password(changes.pop("password"))
    demoted = changes.get("role", Role.admin) != Role.admin or changes.get("is_active") is False
    if user.role == Role.admin and demoted and _admins_left_without(session, user) == 0:
        raise Conflict("This is the last active admin: name another admin first.")
    _check_member_binding(
        session, Role(changes.get("role", user.role)), changes.get("collectivity_id", user.collectivity_id)
    )
    return save_changes(session, user, changes, if_match=if_match)


def delete_user(session: Session, user: User, *, by: Principal) -> None:
    if by.kind == "user" and by.id == user.id:
        raise Conflict("You cannot delete your own account; another admin can.")
    if user.role == Role.admin and _admins_left_without(session, user) == 0:
        raise Conflict("This is the last active admin: name another admin first.")
    session.delete(user)
    session.flush()


def ensure_admin(session: Session, *, email: str, password: str) -> User | None:
    """Create the first admin when no admin exists yet (start-up, `jisr users create`)."""
    if session.exec(select(User).where(User.role == Role.admin)).first():
        return None
    return create_user(
        session, data=UserCreate(email=email, password=password, role=Role.admin, full_name="Administrator")
    )


# --- API clients -------------------------------------------------------------------------


def create_client(session: Session, *, data: ApiClientCreate) -> tuple[ApiClient, str]:
    _check_member_binding(session, data.role, data.collectivity_id)
    secret = security.new_secret()
    client = ApiClient(
        **data.model_dump(), client_id=f"jisr_{security.new_secret(12)}", secret_hash=security.hash_secret(secret)
    )
    session.add(client)
    session.flush()
    return client, secret


def update_client(session: Session, client: ApiClient, *, changes: dict[str, Any], if_match: str | None) -> ApiClient:
    _check_member_binding(
        session, Role(changes.get("role", client.role)), changes.get("collectivity_id", client.collectivity_id)
    )
    return save_changes(session, client, changes, if_match=if_match)


def rotate_client_secret(session: Session, client: ApiClient) -> str:
    secret = security.new_secret()
    save_changes(session, client, {"secret_hash": security.hash_secret(secret)})
    return secret


def list_clients(session: Session, *, params: ListParams) -> tuple[list[ApiClient], int]:
    return paginate(
        session,
        select(ApiClient),
        params,
        model=ApiClient,
        default="name",
        sortable=CLIENT_SORTABLE,
    )


def get_user(session: Session, id: uuid.UUID) -> User:
    return get_or_404(session, User, id, "user")


def get_client(session: Session, id: uuid.UUID) -> ApiClient:
    return get_or_404(session, ApiClient, id, "API client")
