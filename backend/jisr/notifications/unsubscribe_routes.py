"""The unsubscribe link of reminders: a page that asks, a POST that records (public, no account).

``GET`` only shows a confirmation page (mail scanners and link previews fetch links: a GET that opted
out would unsubscribe people who never clicked). ``POST`` on the same URL opts out; it is also the
one-click request of RFC 8058 that mail clients send (body ``List-Unsubscribe=One-Click``, ignored).
The token is the credential: see ``jisr.notifications.unsubscribe``.
"""

from html import escape
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse
from sqlmodel import Session

from jisr.core.db import SessionDep
from jisr.core.errors import NotFound, responses
from jisr.notifications import unsubscribe
from jisr.notifications.models import ReminderOptOut

router = APIRouter(prefix="/api/v1/unsubscribe", tags=["unsubscribe"])

Lang = Annotated[Literal["fr", "en", "ar"], Query(description="Language of the page.")]
HTML: dict[int | str, dict[str, Any]] = {
    200: {"description": "An HTML page", "content": {"text/html": {"schema": {"type": "string"}}}}
}
# The page's own policy: no script at all, its inline style, and a form that posts back to this origin.
PAGE_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)

TEXT = {
    "fr": {
        "title": "Rappels de Jisr",
        "ask": "Ne plus recevoir les rappels et les récapitulatifs de Jisr à l'adresse {email} ?",
        "keep": "Les messages liés à vos démarches (invitations, accusés de réception, confirmations "
        "d'inscription, nouvelles propositions de partenariat) continueront d'arriver.",
        "safe": "Rien ne change tant que vous n'avez pas confirmé.",
        "button": "Confirmer : ne plus recevoir de rappels",
        "done": "C'est fait : {email} ne recevra plus de rappels ni de récapitulatifs de Jisr.",
        "already": "{email} ne reçoit plus de rappels de Jisr depuis le {since}.",
    },
    "en": {
        "title": "Jisr reminders",
        "ask": "Stop receiving Jisr's reminders and digests at {email}?",
        "keep": "Messages about your own steps (invitations, receipts, registration confirmations, "
        "new partnership proposals) will still arrive.",
        "safe": "Nothing changes until you confirm.",
        "button": "Confirm: stop reminders",
        "done": "Done: {email} will no longer receive Jisr's reminders or digests.",
        "already": "{email} has not received Jisr's reminders since {since}.",
    },
    "ar": {
        "title": "تذكيرات منصة جسر",
        "ask": "هل تريدون التوقف عن تلقي تذكيرات منصة جسر وملخصاتها على العنوان {email}؟",
        "keep": "ستستمر الرسائل المتعلقة بإجراءاتكم (الدعوات، إشعارات الاستلام، تأكيدات التسجيل، "
        "اقتراحات الشراكة الجديدة) بالوصول.",
        "safe": "لن يتغير شيء قبل أن تؤكدوا.",
        "button": "تأكيد: إيقاف التذكيرات",
        "done": "تم: لن يتلقى {email} بعد الآن تذكيرات منصة جسر ولا ملخصاتها.",
        "already": "توقف {email} عن تلقي تذكيرات منصة جسر منذ {since}.",
    },
}
LANG_NAMES = {"fr": "Français", "en": "English", "ar": "العربية"}


def _email(token: str) -> str:
    email = unsubscribe.read_token(token)
    if email is None:
        raise NotFound("This unsubscribe link is not valid: use the link of a Jisr reminder as it was sent.")
    return email


def _page(lang: str, token: str, paragraphs: list[str], *, form: bool) -> HTMLResponse:
    t = TEXT[lang]
    direction = "rtl" if lang == "ar" else "ltr"
    body = "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    if form:
        body += (
            '<form method="post"><input type="hidden" name="List-Unsubscribe" value="One-Click">'
            f'<button type="submit">{escape(t["button"])}</button></form>'
        )
    others = " · ".join(
        f'<a href="{escape(token, quote=True)}?lang={code}" hreflang="{code}">{name}</a>'
        for code, name in LANG_NAMES.items()
        if code != lang
    )
    html = (
        f'<!DOCTYPE html>\n<html lang="{lang}" dir="{direction}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="robots" content="noindex">'
        f"<title>{escape(t['title'])}</title>"
        "<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:2rem auto;padding:0 1rem;"
        "line-height:1.5}button{font-size:1rem;padding:.5rem 1rem}nav{margin-top:2rem;font-size:smaller}"
        "</style></head>"
        f'<body dir="{direction}"><h1>{escape(t["title"])}</h1>{body}<nav>{others}</nav></body></html>\n'
    )
    headers = {"Content-Security-Policy": PAGE_POLICY, "Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
    return HTMLResponse(html, headers=headers)


def _already(session: Session, email: str, lang: str) -> str | None:
    row = session.get(ReminderOptOut, email)
    return TEXT[lang]["already"].format(email=email, since=f"{row.opted_out_at:%Y-%m-%d}") if row else None


@router.get(
    "/{token}",
    operation_id="unsubscribe-page",
    summary="Page asking to confirm the end of reminders",
    description="Public: the personal link of every reminder and digest. Shows a page with a confirm button; "
    "changes nothing (mail scanners fetch links).",
    response_class=HTMLResponse,
    responses={**HTML, **responses(404, 422)},
)
def page(session: SessionDep, token: str, lang: Lang = "fr") -> HTMLResponse:
    email = _email(token)
    t = TEXT[lang]
    already = _already(session, email, lang)
    if already:
        return _page(lang, token, [already, t["keep"]], form=False)
    return _page(lang, token, [t["ask"].format(email=email), t["keep"], t["safe"]], form=True)


@router.post(
    "/{token}",
    operation_id="unsubscribe-confirm",
    summary="Stop reminders and digests to this address",
    description="Public, idempotent. Also the one-click unsubscribe of RFC 8058 (`List-Unsubscribe-Post`); "
    "the request body is ignored. Transactional e-mails (invitations, receipts, confirmations) still go.",
    response_class=HTMLResponse,
    responses={**HTML, **responses(404, 422)},
)
def confirm(session: SessionDep, token: str, lang: Lang = "fr") -> HTMLResponse:
    email = _email(token)
    unsubscribe.opt_out(session, email)
    session.commit()
    t = TEXT[lang]
    return _page(lang, token, [t["done"].format(email=email), t["keep"]], form=False)
