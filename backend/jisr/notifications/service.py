"""E-mails through the outbox: queued in the transaction of the change, sent over SMTP by the worker.

Each e-mail is rendered when it is queued (an invitation's private link exists only then) and stored
in the outbox payload; its idempotency key names the recipient and the event, so the same event never
queues a second e-mail to the same address. The Message-ID is derived from that key: a message sent
again after a worker died between the SMTP acceptance and the "sent" mark carries the same Message-ID.
With no ``JISR_SMTP_HOST``, e-mails stay ``pending`` and nothing fails.

E-mails that carry a census form's private link keep their bodies and link sealed (Fernet, key derived
from JISR_SECRET_KEY) in the payload: the database, its backups and /personal-data show no link; the
sender and the census reminder open them (``opened``). Changing JISR_SECRET_KEY makes the pending ones
dead letters (reissue the links).
"""

import base64
import hashlib
import smtplib
import ssl
import uuid
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlsplit

from sqlmodel import Session, col, select

from jisr.census.models import CensusCampaign, CensusInvitation, CensusSubmission, InvitationMail, MailStatus
from jisr.collectivities.models import Collectivity
from jisr.contacts.models import Contact
from jisr.core import security
from jisr.core.config import get_settings
from jisr.core.db import utcnow
from jisr.core.hygiene import for_text, one_line
from jisr.events.models import Event, EventQuestion, EventRegistration
from jisr.notifications import unsubscribe
from jisr.notifications.templates import pick_language, render
from jisr.outbox import service as outbox
from jisr.outbox.models import OutboxItem

KIND = "email"

PROGRAMME_TEAM = {
    "fr": "l'équipe du programme",
    "en": "the programme team",
    "ar": "فريق البرنامج",
}


def _when(value: datetime, timezone: str | None = None) -> str:
    """An instant as read on a clock: in ``timezone`` (named after it) when given, else in UTC."""
    if timezone is None:
        return value.strftime("%Y-%m-%d %H:%M UTC")
    from zoneinfo import ZoneInfo

    return f"{value.astimezone(ZoneInfo(timezone)):%Y-%m-%d %H:%M} ({timezone})"


def _campaign_values(campaign: CensusCampaign, lang: str) -> dict[str, str]:
    """The campaign's title in the e-mail's language (or French) and its closing time in its time zone."""
    from jisr.census.service import campaign_text

    return {
        "campaign": campaign_text(campaign, lang)[0],
        "closes_at": _when(campaign.closes_at, campaign.timezone),
    }


def queue(
    session: Session,
    *,
    to: str,
    lang: str,
    template: str,
    values: dict[str, Any],
    key: str,
    link: str | None = None,
    attachments: list[tuple[str, str, bytes]] | None = None,
    reminder: bool = False,
    extra: dict[str, Any] | None = None,
    private_link: bool = False,
) -> bool:
    """Render ``template`` for one recipient and put it in the outbox (once per ``key``).

    ``attachments``: ``(filename, content type, bytes)``. ``reminder``: a message the recipient did not
    ask for (reminder, follow-up, digest): not queued for an address that opted out (returns False),
    else it carries the personal unsubscribe link, in its footer and as ``List-Unsubscribe`` (RFC 8058).
    ``extra``: more fields kept in the outbox payload (what the message told, for later passes).
    ``private_link``: the link is a secret (a census form's token): the bodies and the link are kept
    sealed in the payload (``sealed``, see ``opened``), never in clear in the database or its backups.
    """
    lang = pick_language(lang)
    values = {"sender": PROGRAMME_TEAM[lang], **values}
    headers: dict[str, str] = {}
    stop: str | None = None
    if reminder:
        if unsubscribe.opted_out(session, [to]):
            return False
        stop = unsubscribe.url(to, lang)
        headers = {"List-Unsubscribe": f"<{stop}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
    subject, text, html = render(template, lang, values, link=link, unsubscribe=stop)
    payload = {
        "to": to,
        "lang": lang,
        "template": template,
        "subject": subject,
        "text": text,
        "html": html,
        "link": link,
        "headers": headers,
        "attachments": [
            {"filename": name, "content_type": ctype, "data": base64.b64encode(data).decode()}
            for name, ctype, data in attachments or []
        ],
        **(extra or {}),
    }
    if private_link:
        secret = {name: payload.pop(name) for name in SEALED}
        payload["sealed"] = security.seal(secret)
    outbox.enqueue(session, kind=KIND, key=f"email:{key}:{to.lower()}", payload=payload, target=to)
    return True


SEALED = ("text", "html", "link")


def opened(payload: dict[str, Any]) -> dict[str, Any]:
    """The payload with its sealed part (if any) decrypted; raises ``security.Unsealable``."""
    if "sealed" not in payload:
        return payload
    return {**{k: v for k, v in payload.items() if k != "sealed"}, **security.unseal(payload["sealed"])}


def _contacts(session: Session, collectivity_id: Any) -> list[Contact]:
    """Active contacts with an e-mail who agreed to be listed (no consent date: no e-mail)."""
    rows = session.exec(
        select(Contact)
        .where(Contact.collectivity_id == collectivity_id, col(Contact.active).is_(True))
        .where(col(Contact.email).is_not(None), col(Contact.consent_at).is_not(None))
        .order_by(col(Contact.created_at))
    )
    return [c for c in rows if c.email]


def _reachable(contact: Contact) -> bool:
    return bool(contact.email) and contact.active and contact.consent_at is not None


def _sent(session: Session, prefix: str) -> bool:
    """Whether a message whose idempotency key starts with ``prefix`` was already queued."""
    found = session.exec(
        select(OutboxItem.id).where(col(OutboxItem.idempotency_key).startswith(prefix, autoescape=True)).limit(1)
    ).first()
    return found is not None


def _first(values: list[Any] | None) -> str | None:
    return str(values[0]) if values else None


# --- security ----------------------------------------------------------------------------


def login_alert(session: Session, *, attack: Any) -> int:
    """Tell every active admin that an account is failing sign-ins (once per account and window), and
    leave an audit row. The account is not locked: only the addresses that failed wait."""
    from jisr.audit.models import AuditEntry
    from jisr.audit.service import record_event
    from jisr.auth.models import Role, User

    window = attack.window_minutes * 60
    bucket = int(utcnow().timestamp()) // window
    key = f"login-alert:{attack.user_id}:{bucket}"
    start = datetime.fromtimestamp(bucket * window, tz=UTC)
    reported = session.exec(
        select(AuditEntry.id)
        .where(AuditEntry.action == "alert", AuditEntry.resource_id == attack.user_id, AuditEntry.at >= start)
        .limit(1)
    ).first()
    if reported is not None:
        return 0
    details = {"email": attack.email, "failures": attack.failures, "addresses": attack.addresses}
    record_event(session, "alert", "users", attack.user_id, {"alert": "failed_sign_ins", **details})
    admins = session.exec(select(User).where(User.role == Role.admin, col(User.is_active).is_(True)))
    queued = 0
    for admin in admins:
        values = {**details, "minutes": attack.window_minutes}
        queue(session, to=admin.email, lang="fr", template="login_alert", values=values, key=key)
        queued += 1
    return queued


# --- census ------------------------------------------------------------------------------


def census_invitations(
    session: Session, *, campaign: CensusCampaign, issued: list[tuple[CensusInvitation, str]]
) -> int:
    """The private link, to every active contact with an e-mail of each invited collectivity. Call it in
    the transaction that created the invitations (the token exists only there)."""
    from jisr.census.service import form_url

    queued = 0
    for inv, token in issued:
        collectivity = session.get(Collectivity, inv.collectivity_id)
        if collectivity is None:
            continue
        for contact in _contacts(session, collectivity.id):
            lang = pick_language(_first(contact.languages), _first(collectivity.languages), _first(campaign.languages))
            name = collectivity.name_ar if lang == "ar" and collectivity.name_ar else collectivity.name
            queue(
                session,
                to=str(contact.email),
                lang=lang,
                template="census_invitation",
                values={**_campaign_values(campaign, lang), "collectivity": name},
                # A reissued link is a new token: a new e-mail.
                key=f"census-invitation:{inv.id}:{inv.token_hash[:16]}",
                link=form_url(token),
                private_link=True,
            )
            queued += 1
    return queued


def census_invitation_mail(session: Session, invitations: list[CensusInvitation]) -> dict[uuid.UUID, InvitationMail]:
    """Per invitation, what became of the e-mails of its current link (keys name the invitation and its
    token's hash: a reissued link counts anew). One read of the census invitation e-mails."""
    wanted = {(str(inv.id), inv.token_hash[:16]): inv.id for inv in invitations}
    counts: dict[uuid.UUID, dict[str, int]] = {inv.id: {"sent": 0, "pending": 0, "dead": 0} for inv in invitations}
    if not wanted:
        return {}
    rows = session.exec(
        select(OutboxItem.idempotency_key, OutboxItem.status).where(
            OutboxItem.kind == KIND,
            col(OutboxItem.idempotency_key).startswith("email:census-invitation:", autoescape=True),
        )
    )
    for key, status in rows:
        parts = key.split(":", 4)
        inv_id = wanted.get((parts[2], parts[3])) if len(parts) == 5 else None
        if inv_id is not None and status in counts[inv_id]:
            counts[inv_id][status] += 1
    out = {}
    for inv_id, c in counts.items():
        if c["sent"]:
            status = MailStatus.mailed
        elif c["pending"]:
            status = MailStatus.queued
        elif c["dead"]:
            status = MailStatus.failed
        else:
            status = MailStatus.no_address
        out[inv_id] = InvitationMail(status=status, sent=c["sent"], pending=c["pending"], failed=c["dead"])
    return out


RECEIPT_ADDRESSES_PER_DAY = 3


def census_receipt(session: Session, *, token: str, submission: CensusSubmission) -> int:
    """A receipt to the address given in the answer (if any), in the answer's language.

    Whoever holds a link may type any address (issue 14): at most one receipt per answer and address a
    day, to at most ``RECEIPT_ADDRESSES_PER_DAY`` addresses per answer a day; and the receipt repeats no
    text the respondent typed (not the name: the greeting is plain), only the programme's own words."""
    from jisr.census.service import by_token, form_url

    email = submission.answer.contact.email
    if not email:
        return 0
    inv, campaign = by_token(session, token)
    day = submission.submitted_at.date().isoformat()
    prefix = f"email:census-receipt:{inv.id}:{day}"
    today = list(
        session.exec(
            select(OutboxItem.target).where(col(OutboxItem.idempotency_key).startswith(prefix, autoescape=True))
        )
    )
    if str(email).lower() in {t.lower() for t in today} or len(today) >= RECEIPT_ADDRESSES_PER_DAY:
        return 0
    collectivity = session.get(Collectivity, inv.collectivity_id)
    lang = pick_language(submission.answer.language.value)
    name = collectivity.name if collectivity else ""
    if collectivity is not None and lang == "ar" and collectivity.name_ar:
        name = collectivity.name_ar
    queue(
        session,
        to=str(email),
        lang=lang,
        template="census_receipt",
        values={
            **_campaign_values(campaign, lang),
            "collectivity": name,
            "needs": len(submission.answer.needs),
            "submitted_at": _when(submission.submitted_at, campaign.timezone),
        },
        key=f"census-receipt:{inv.id}:{day}",
        # The receipt says the answer can be changed "with the same link": it carries it.
        link=form_url(token),
        private_link=True,
    )
    return 1


def census_reminders(session: Session, *, now: datetime) -> int:
    """One reminder per invitation not answered, ``census_reminder_days_before`` days before closing.

    Sent to the addresses that received the invitation's current link (the token exists only in that
    e-mail: the reminder carries it again) and are still reachable contacts; addresses that opted out of
    reminders are skipped. Returns the number of e-mails queued."""
    days = get_settings().census_reminder_days_before
    campaigns = session.exec(
        select(CensusCampaign).where(
            col(CensusCampaign.closes_at) > now, col(CensusCampaign.closes_at) <= now + timedelta(days=days)
        )
    )
    queued = 0
    for campaign in list(campaigns):
        invitations = session.exec(
            select(CensusInvitation).where(
                CensusInvitation.campaign_id == campaign.id,
                col(CensusInvitation.revoked_at).is_(None),
                col(CensusInvitation.submitted_at).is_(None),
            )
        )
        for inv in list(invitations):
            if _sent(session, f"email:census-reminder:{inv.id}:"):
                continue
            collectivity = session.get(Collectivity, inv.collectivity_id)
            if collectivity is None:
                continue
            current = {str(c.email).lower() for c in _contacts(session, collectivity.id)}
            prefix = f"email:census-invitation:{inv.id}:{inv.token_hash[:16]}:"
            invited = session.exec(
                select(OutboxItem)
                .where(col(OutboxItem.idempotency_key).startswith(prefix, autoescape=True))
                .order_by(col(OutboxItem.created_at))
            )
            for item in list(invited):
                if item.target.lower() not in current:
                    continue
                try:
                    link = opened(item.payload).get("link")
                except security.Unsealable:
                    continue  # sealed under another secret key: the link cannot be sent again
                lang = pick_language(item.payload.get("lang"))
                name = collectivity.name_ar if lang == "ar" and collectivity.name_ar else collectivity.name
                queued += queue(
                    session,
                    to=item.target,
                    lang=lang,
                    template="census_reminder",
                    values={**_campaign_values(campaign, lang), "collectivity": name},
                    key=f"census-reminder:{inv.id}",
                    link=link,
                    reminder=True,
                    private_link=True,
                )
    return queued


# --- events ------------------------------------------------------------------------------


def _registration_contact(
    session: Session, registration: EventRegistration
) -> tuple[Contact, Event, Collectivity, str] | None:
    """The registration's contact, its event and collectivity, and the contact's language."""
    if registration.contact_id is None or registration.status == "cancelled":
        return None
    contact = session.get(Contact, registration.contact_id)
    event = session.get(Event, registration.event_id)
    collectivity = session.get(Collectivity, registration.collectivity_id)
    if contact is None or not _reachable(contact) or event is None or collectivity is None:
        return None
    return contact, event, collectivity, pick_language(_first(contact.languages), _first(collectivity.languages))


def _event_values(event: Event, collectivity: Collectivity, lang: str) -> dict[str, Any]:
    from zoneinfo import ZoneInfo

    start = event.starts_at.astimezone(ZoneInfo(event.timezone))
    return {
        "event": event.title,
        "collectivity": collectivity.name_ar if lang == "ar" and collectivity.name_ar else collectivity.name,
        "starts_at": f"{start:%Y-%m-%d %H:%M} ({event.timezone})",
        "location": event.location or event.online_url or "—",
    }


def event_reminders(session: Session, *, now: datetime) -> int:
    """The day before (``event_reminder_hours_before``): one reminder per registration still registered,
    to its contact. A rescheduled event is reminded again (the start is in the key)."""
    from jisr.events import ical

    hours = get_settings().event_reminder_hours_before
    events = session.exec(
        select(Event).where(
            col(Event.starts_at) > now,
            col(Event.starts_at) <= now + timedelta(hours=hours),
            col(Event.status).not_in(["cancelled", "done"]),
        )
    )
    public_url = get_settings().public_url
    queued = 0
    for event in list(events):
        regs = session.exec(
            select(EventRegistration).where(
                EventRegistration.event_id == event.id, EventRegistration.status == "registered"
            )
        )
        for reg in list(regs):
            key = f"event-reminder:{reg.id}:{event.starts_at.isoformat()}"
            if _sent(session, f"email:{key}:"):
                continue
            found = _registration_contact(session, reg)
            if found is None:
                continue
            contact, _, collectivity, lang = found
            queued += queue(
                session,
                to=str(contact.email),
                lang=lang,
                template="event_reminder",
                values=_event_values(event, collectivity, lang),
                key=key,
                link=ical.event_url(public_url, event),
                reminder=True,
            )
    return queued


def event_faq(session: Session, *, question: EventQuestion) -> int:
    """A question answered and published: the Q&A to the contacts of every registration that holds a
    seat. Once per question (a corrected answer is not sent again); call it in the transaction that
    published it. Opted-out addresses are skipped (a follow-up, not a transactional e-mail)."""
    from jisr.events import ical

    if not question.answer or not question.published:
        return 0
    event = session.get(Event, question.event_id)
    if event is None or event.status == "cancelled":
        return 0
    regs = session.exec(
        select(EventRegistration).where(EventRegistration.event_id == event.id, EventRegistration.status != "cancelled")
    )
    public_url = get_settings().public_url
    queued = 0
    for reg in list(regs):
        found = _registration_contact(session, reg)
        if found is None:
            continue
        contact, _, collectivity, lang = found
        values = {**_event_values(event, collectivity, lang), "question": question.question, "answer": question.answer}
        queued += queue(
            session,
            to=str(contact.email),
            lang=lang,
            template="event_faq",
            values=values,
            key=f"event-faq:{question.id}",
            link=ical.event_url(public_url, event),
            reminder=True,
        )
    return queued


def event_registration(session: Session, *, registration: EventRegistration) -> int:
    """The confirmation, with the event as an .ics attachment, to the contact named in the registration."""
    from zoneinfo import ZoneInfo

    from jisr.events import ical

    if registration.contact_id is None or registration.status == "cancelled":
        return 0
    contact = session.get(Contact, registration.contact_id)
    event = session.get(Event, registration.event_id)
    collectivity = session.get(Collectivity, registration.collectivity_id)
    if contact is None or not _reachable(contact) or event is None or collectivity is None:
        return 0
    lang = pick_language(_first(contact.languages), _first(collectivity.languages))
    name = collectivity.name_ar if lang == "ar" and collectivity.name_ar else collectivity.name
    start = event.starts_at.astimezone(ZoneInfo(event.timezone))
    public_url = get_settings().public_url
    ics = ical.calendar([event], public_url=public_url, name=event.title)
    queue(
        session,
        to=str(contact.email),
        lang=lang,
        template="event_registration",
        values={
            "event": event.title,
            "collectivity": name,
            "starts_at": f"{start:%Y-%m-%d %H:%M} ({event.timezone})",
            "location": event.location or event.online_url or "—",
        },
        # A registration taken up again after a cancellation is confirmed again.
        key=f"event-registration:{registration.id}:{registration.version}",
        link=ical.event_url(public_url, event),
        attachments=[("event.ics", "text/calendar", ics)],
    )
    return 1


# --- sending -----------------------------------------------------------------------------


def build_message(item: OutboxItem, *, sender: str) -> EmailMessage:
    try:
        p = opened(item.payload)
    except security.Unsealable as exc:
        raise outbox.PermanentFailure(str(exc)) from exc
    # The one place e-mail headers are written: every value is made one line (a CR/LF in a stored
    # title would make the message unsendable, and must never start a header of its own), and the
    # bodies lose what no mail can carry. Payloads queued before this rule are sent the same way.
    msg = EmailMessage()
    msg["From"] = one_line(sender)
    msg["To"] = one_line(p["to"])
    msg["Subject"] = one_line(p["subject"])
    domain = urlsplit(get_settings().public_url).hostname or "jisr.invalid"
    msg["Message-ID"] = f"<{hashlib.sha256(item.idempotency_key.encode()).hexdigest()[:40]}@{domain}>"
    msg["Content-Language"] = one_line(p["lang"])
    msg["Auto-Submitted"] = "auto-generated"
    for name, value in (p.get("headers") or {}).items():
        msg[one_line(name)] = one_line(value)
    msg.set_content(for_text(p["text"]))
    msg.add_alternative(for_text(p["html"]), subtype="html")
    for a in p.get("attachments") or []:
        maintype, _, subtype = a["content_type"].partition("/")
        data = base64.b64decode(a["data"])
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=one_line(a["filename"]))
    return msg


def send(session: Session, item: OutboxItem) -> None:
    """Deliver one e-mail over SMTP. 5xx answers are final (dead letter); anything else is retried."""
    settings = get_settings()
    if not settings.smtp_host:
        raise outbox.Deferred()
    msg = build_message(item, sender=settings.mail_from)
    try:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout_seconds) as smtp:
            if settings.smtp_starttls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.smtp_user:
                smtp.login(settings.smtp_user, settings.smtp_password)
            smtp.send_message(msg)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        detail = "; ".join(f"{r}: {c} {m.decode(errors='replace')}" for r, (c, m) in exc.recipients.items())
        if all(500 <= c < 600 for c in codes):
            raise outbox.PermanentFailure(f"recipient refused: {detail}") from exc
        raise RuntimeError(f"recipient refused for now: {detail}") from exc
    except smtplib.SMTPResponseException as exc:
        message = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else exc.smtp_error
        if 500 <= exc.smtp_code < 600:
            raise outbox.PermanentFailure(f"SMTP {exc.smtp_code}: {message}") from exc
        raise RuntimeError(f"SMTP {exc.smtp_code}: {message}") from exc
    except (OSError, smtplib.SMTPException) as exc:
        raise RuntimeError(f"{type(exc).__name__}: {exc}") from exc


outbox.register_sender(KIND, send)
