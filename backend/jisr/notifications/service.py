"""E-mails through the outbox: queued in the transaction of the change, sent over SMTP by the worker.

Each e-mail is rendered when it is queued (an invitation's private link exists only then) and stored
in the outbox payload; its idempotency key names the recipient and the event, so the same event never
queues a second e-mail to the same address. The Message-ID is derived from that key: a message sent
again after a worker died between the SMTP acceptance and the "sent" mark carries the same Message-ID.
With no ``JISR_SMTP_HOST``, e-mails stay ``pending`` and nothing fails.
"""

import base64
import hashlib
import smtplib
import ssl
from datetime import datetime
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlsplit

from sqlmodel import Session, col, select

from jisr.census.models import CensusCampaign, CensusInvitation, CensusSubmission
from jisr.collectivities.models import Collectivity
from jisr.contacts.models import Contact
from jisr.core.config import get_settings
from jisr.events.models import Event, EventRegistration
from jisr.notifications.templates import pick_language, render
from jisr.outbox import service as outbox
from jisr.outbox.models import OutboxItem

KIND = "email"

PROGRAMME_TEAM = {
    "fr": "l'équipe du programme",
    "en": "the programme team",
    "ar": "فريق البرنامج",
}


def _when(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC")


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
) -> None:
    """Render ``template`` for one recipient and put it in the outbox (once per ``key``).

    ``attachments``: ``(filename, content type, bytes)``.
    """
    lang = pick_language(lang)
    values = {"sender": PROGRAMME_TEAM[lang], **values}
    subject, text, html = render(template, lang, values, link=link)
    payload = {
        "to": to,
        "lang": lang,
        "template": template,
        "subject": subject,
        "text": text,
        "html": html,
        "attachments": [
            {"filename": name, "content_type": ctype, "data": base64.b64encode(data).decode()}
            for name, ctype, data in attachments or []
        ],
    }
    outbox.enqueue(session, kind=KIND, key=f"email:{key}:{to.lower()}", payload=payload, target=to)


def _contacts(session: Session, collectivity_id: Any) -> list[Contact]:
    rows = session.exec(
        select(Contact)
        .where(Contact.collectivity_id == collectivity_id, col(Contact.active).is_(True))
        .where(col(Contact.email).is_not(None))
        .order_by(col(Contact.created_at))
    )
    return [c for c in rows if c.email]


def _first(values: list[Any] | None) -> str | None:
    return str(values[0]) if values else None


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
                values={"campaign": campaign.title, "collectivity": name, "closes_at": _when(campaign.closes_at)},
                # A reissued link is a new token: a new e-mail.
                key=f"census-invitation:{inv.id}:{inv.token_hash[:16]}",
                link=form_url(token),
            )
            queued += 1
    return queued


def census_receipt(session: Session, *, token: str, submission: CensusSubmission) -> int:
    """A receipt to the address given in the answer (if any), in the answer's language."""
    from jisr.census.service import by_token

    email = submission.answer.contact.email
    if not email:
        return 0
    inv, campaign = by_token(session, token)
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
            "campaign": campaign.title,
            "collectivity": name,
            "name": submission.answer.contact.full_name,
            "needs": len(submission.answer.needs),
            "submitted_at": _when(submission.submitted_at),
            "closes_at": _when(campaign.closes_at),
        },
        key=f"census-receipt:{inv.id}:{submission.submitted_at.isoformat()}",
    )
    return 1


# --- events ------------------------------------------------------------------------------


def event_registration(session: Session, *, registration: EventRegistration) -> int:
    """The confirmation, with the event as an .ics attachment, to the contact named in the registration."""
    from zoneinfo import ZoneInfo

    from jisr.events import ical

    if registration.contact_id is None or registration.status == "cancelled":
        return 0
    contact = session.get(Contact, registration.contact_id)
    event = session.get(Event, registration.event_id)
    collectivity = session.get(Collectivity, registration.collectivity_id)
    if contact is None or not contact.email or event is None or collectivity is None:
        return 0
    lang = pick_language(_first(contact.languages), _first(collectivity.languages))
    name = collectivity.name_ar if lang == "ar" and collectivity.name_ar else collectivity.name
    start = event.starts_at.astimezone(ZoneInfo(event.timezone))
    public_url = get_settings().public_url
    ics = ical.calendar([event], public_url=public_url, name=event.title)
    queue(
        session,
        to=contact.email,
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
    p = item.payload
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = p["to"]
    msg["Subject"] = p["subject"]
    domain = urlsplit(get_settings().public_url).hostname or "jisr.invalid"
    msg["Message-ID"] = f"<{hashlib.sha256(item.idempotency_key.encode()).hexdigest()[:40]}@{domain}>"
    msg["Content-Language"] = p["lang"]
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(p["text"])
    msg.add_alternative(p["html"], subtype="html")
    for a in p.get("attachments") or []:
        maintype, _, subtype = a["content_type"].partition("/")
        msg.add_attachment(base64.b64decode(a["data"]), maintype=maintype, subtype=subtype, filename=a["filename"])
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
