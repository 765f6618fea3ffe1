"""E-mail texts in French, English and Arabic: a subject, paragraphs, an optional link, and a footer
saying who sent the message and why. Values are filled with ``str.format`` (HTML-escaped in the HTML part)."""

from html import escape
from typing import Any

LANGUAGES = ("fr", "en", "ar")

SENDER = {
    "fr": "Envoyé par {sender} via Jisr, la plateforme de partenariats du programme de coopération franco-libanais.",
    "en": "Sent by {sender} through Jisr, the partnership platform of the French–Lebanese cooperation programme.",
    "ar": "أرسلها {sender} عبر منصة جسر للشراكات في برنامج التعاون الفرنسي اللبناني.",
}

TEMPLATES: dict[str, dict[str, dict[str, Any]]] = {
    "census_invitation": {
        "fr": {
            "subject": "Recensement « {campaign} » : votre lien personnel",
            "body": [
                "Bonjour,",
                "{collectivity} est invitée à répondre au recensement « {campaign} » avant le {closes_at}.",
                "Ce lien est personnel à votre collectivité : "
                "ne le transmettez qu'aux personnes qui répondent pour elle.",
            ],
            "action": "Répondre au recensement",
            "why": "Vous recevez ce message parce que votre adresse est celle d'un contact de {collectivity}.",
        },
        "en": {
            "subject": "Census “{campaign}”: your private link",
            "body": [
                "Hello,",
                "{collectivity} is invited to answer the census “{campaign}” before {closes_at}.",
                "This link is private to your collectivity: share it only with those who answer on its behalf.",
            ],
            "action": "Answer the census",
            "why": "You receive this message because your address is that of a contact of {collectivity}.",
        },
        "ar": {
            "subject": "استبيان «{campaign}»: رابطكم الخاص",
            "body": [
                "مرحباً،",
                "{collectivity} مدعوة للإجابة على استبيان «{campaign}» قبل {closes_at}.",
                "هذا الرابط خاص ببلديتكم: لا تشاركوه إلا مع من يجيب باسمها.",
            ],
            "action": "الإجابة على الاستبيان",
            "why": "تصلكم هذه الرسالة لأن عنوانكم هو عنوان أحد جهات الاتصال في {collectivity}.",
        },
    },
    "census_receipt": {
        "fr": {
            "subject": "Recensement « {campaign} » : réponse reçue",
            "body": [
                "Bonjour {name},",
                "Nous avons bien reçu la réponse de {collectivity} le {submitted_at} ({needs} besoin(s)).",
                "Vous pouvez la modifier avec le même lien jusqu'au {closes_at}.",
            ],
            "action": "",
            "why": "Vous recevez cet accusé de réception parce que vous avez répondu au recensement "
            "pour {collectivity}.",
        },
        "en": {
            "subject": "Census “{campaign}”: answer received",
            "body": [
                "Hello {name},",
                "We received the answer of {collectivity} on {submitted_at} ({needs} need(s)).",
                "You can change it with the same link until {closes_at}.",
            ],
            "action": "",
            "why": "You receive this receipt because you answered the census for {collectivity}.",
        },
        "ar": {
            "subject": "استبيان «{campaign}»: تم استلام الإجابة",
            "body": [
                "مرحباً {name}،",
                "استلمنا إجابة {collectivity} بتاريخ {submitted_at} (عدد الاحتياجات: {needs}).",
                "يمكنكم تعديلها بالرابط نفسه حتى {closes_at}.",
            ],
            "action": "",
            "why": "يصلكم هذا الإشعار لأنكم أجبتم على الاستبيان باسم {collectivity}.",
        },
    },
    "event_registration": {
        "fr": {
            "subject": "Inscription confirmée : {event}",
            "body": [
                "Bonjour,",
                "{collectivity} est inscrite à « {event} », le {starts_at} ({location}).",
                "L'événement est joint à ce message (fichier .ics) pour votre agenda.",
            ],
            "action": "Voir l'événement",
            "why": "Vous recevez ce message parce que vous êtes le contact de {collectivity} pour cet événement.",
        },
        "en": {
            "subject": "Registration confirmed: {event}",
            "body": [
                "Hello,",
                "{collectivity} is registered for “{event}” on {starts_at} ({location}).",
                "The event is attached (.ics file) for your calendar.",
            ],
            "action": "See the event",
            "why": "You receive this message because you are the contact of {collectivity} for this event.",
        },
        "ar": {
            "subject": "تأكيد التسجيل: {event}",
            "body": [
                "مرحباً،",
                "تم تسجيل {collectivity} في «{event}» بتاريخ {starts_at} ({location}).",
                "الحدث مرفق بهذه الرسالة (ملف ‎.ics) لإضافته إلى تقويمكم.",
            ],
            "action": "عرض الحدث",
            "why": "تصلكم هذه الرسالة لأنكم جهة اتصال {collectivity} لهذا الحدث.",
        },
    },
    "proposal_new": {
        "fr": {
            "subject": "Proposition de partenariat : {other}",
            "body": [
                "Bonjour,",
                "Jisr propose à {collectivity} de travailler avec {other} sur le besoin « {need} ».",
                "Pourquoi : {reasons}",
                "Merci de répondre (accepter ou décliner) d'ici le {deadline}.",
            ],
            "action": "Répondre à la proposition",
            "why": "Vous recevez ce message car cette proposition concerne {collectivity}, dont vous êtes un contact.",
        },
        "en": {
            "subject": "Partnership proposal: {other}",
            "body": [
                "Hello,",
                "Jisr proposes that {collectivity} works with {other} on the need “{need}”.",
                "Why: {reasons}",
                "Please answer (accept or decline) by {deadline}.",
            ],
            "action": "Answer the proposal",
            "why": "You receive this message because this proposal concerns {collectivity} (you are its contact).",
        },
        "ar": {
            "subject": "اقتراح شراكة: {other}",
            "body": [
                "مرحباً،",
                "تقترح منصة جسر على {collectivity} العمل مع {other} على الحاجة «{need}».",
                "الأسباب: {reasons}",
                "يرجى الرد (القبول أو الرفض) قبل {deadline}.",
            ],
            "action": "الرد على الاقتراح",
            "why": "تصلكم هذه الرسالة لأن هذا الاقتراح يخص {collectivity} وأنتم من جهات الاتصال فيها.",
        },
    },
    "proposal_reminder": {
        "fr": {
            "subject": "Rappel : proposition de partenariat avec {other} sans réponse",
            "body": [
                "Bonjour,",
                "La proposition de travailler avec {other} (besoin « {need} ») attend la réponse de {collectivity}.",
                "Sans réponse d'ici le {deadline}, elle expirera et la place sera proposée à une autre collectivité.",
            ],
            "action": "Répondre à la proposition",
            "why": "Vous recevez ce rappel unique parce que cette proposition concerne {collectivity}.",
        },
        "en": {
            "subject": "Reminder: partnership proposal with {other} not answered",
            "body": [
                "Hello,",
                "The proposal to work with {other} on the need “{need}” awaits the answer of {collectivity}.",
                "Without an answer by {deadline}, it will expire and its place will go to another collectivity.",
            ],
            "action": "Answer the proposal",
            "why": "You receive this single reminder because this proposal concerns {collectivity}.",
        },
        "ar": {
            "subject": "تذكير: اقتراح الشراكة مع {other} بلا رد",
            "body": [
                "مرحباً،",
                "اقتراح العمل مع {other} على الحاجة «{need}» ينتظر رد {collectivity}.",
                "إن لم يصل الرد قبل {deadline}، ينتهي الاقتراح ويُعرض المكان على جهة أخرى.",
            ],
            "action": "الرد على الاقتراح",
            "why": "يصلكم هذا التذكير الوحيد لأن هذا الاقتراح يخص {collectivity}.",
        },
    },
}


def pick_language(*candidates: str | None) -> str:
    """The first supported language among the candidates (recipient first); French otherwise."""
    for lang in candidates:
        if lang in LANGUAGES:
            return str(lang)
    return "fr"


def render(name: str, lang: str, values: dict[str, Any], *, link: str | None = None) -> tuple[str, str, str]:
    """``(subject, text, html)`` of template ``name`` in ``lang``."""
    lang = pick_language(lang)
    t = TEMPLATES[name][lang]
    sender = values.get("sender") or "Jisr"
    safe = {k: escape(str(v)) for k, v in values.items()}
    subject = t["subject"].format(**values)
    paragraphs = [p.format(**values) for p in t["body"]]
    footer = [t["why"].format(**values), SENDER[lang].format(sender=sender)]
    text_parts = list(paragraphs)
    if link:
        text_parts.append(f"{t['action']}: {link}" if t["action"] else link)
    text = "\n\n".join(text_parts) + "\n\n-- \n" + "\n".join(footer) + "\n"

    direction = "rtl" if lang == "ar" else "ltr"
    html_parts = [f"<p>{p.format(**safe)}</p>" for p in t["body"]]
    if link:
        label = escape(t["action"] or link)
        html_parts.append(f'<p><a href="{escape(link, quote=True)}">{label}</a></p>')
    html_footer = "".join(
        f'<p style="color:#666;font-size:smaller">{escape(line)}</p>'
        for line in (t["why"].format(**values), SENDER[lang].format(sender=sender))
    )
    html = (
        f'<!DOCTYPE html>\n<html lang="{lang}" dir="{direction}"><head><meta charset="utf-8">'
        f"<title>{escape(subject)}</title></head>"
        f'<body dir="{direction}">{"".join(html_parts)}<hr>{html_footer}</body></html>\n'
    )
    return subject, text, html
