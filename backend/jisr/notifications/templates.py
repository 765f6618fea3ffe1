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
                "Bonjour,",
                "Nous avons bien reçu la réponse de {collectivity} le {submitted_at} ({needs} besoin(s)).",
                "Vous pouvez la modifier avec le même lien jusqu'au {closes_at}.",
            ],
            "action": "Modifier la réponse",
            "why": "Vous recevez cet accusé de réception parce que vous avez répondu au recensement "
            "pour {collectivity}.",
        },
        "en": {
            "subject": "Census “{campaign}”: answer received",
            "body": [
                "Hello,",
                "We received the answer of {collectivity} on {submitted_at} ({needs} need(s)).",
                "You can change it with the same link until {closes_at}.",
            ],
            "action": "Change the answer",
            "why": "You receive this receipt because you answered the census for {collectivity}.",
        },
        "ar": {
            "subject": "استبيان «{campaign}»: تم استلام الإجابة",
            "body": [
                "مرحباً،",
                "استلمنا إجابة {collectivity} بتاريخ {submitted_at} (عدد الاحتياجات: {needs}).",
                "يمكنكم تعديلها بالرابط نفسه حتى {closes_at}.",
            ],
            "action": "تعديل الإجابة",
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
    "proposals_new": {
        # One e-mail per recipient and matching run, listing every proposal that concerns it (issue 21).
        "fr": {
            "subject": "{count} propositions de partenariat pour {collectivity}",
            "body": [
                "Bonjour,",
                "Jisr propose à {collectivity} {count} partenariats. Pour chacun : avec qui, sur quel besoin, "
                "pourquoi, et le lien pour répondre (accepter ou décliner) d'ici le {deadline}.",
                {"list": "proposals", "empty": "—", "limit": 100},
            ],
            "action": "Répondre",
            "why": "Vous recevez ce message car ces propositions concernent {collectivity}, dont vous êtes un contact.",
        },
        "en": {
            "subject": "{count} partnership proposals for {collectivity}",
            "body": [
                "Hello,",
                "Jisr proposes {count} partnerships to {collectivity}. For each: with whom, on which need, why, "
                "and the link to answer (accept or decline) by {deadline}.",
                {"list": "proposals", "empty": "—", "limit": 100},
            ],
            "action": "Answer",
            "why": "You receive this message because these proposals concern {collectivity} (you are its contact).",
        },
        "ar": {
            "subject": "{count} اقتراحات شراكة لـ{collectivity}",
            "body": [
                "مرحباً،",
                "تقترح منصة جسر على {collectivity} {count} شراكات. لكل منها: مع من، وعلى أي حاجة، ولماذا، "
                "ورابط الرد (القبول أو الرفض) قبل {deadline}.",
                {"list": "proposals", "empty": "—", "limit": 100},
            ],
            "action": "الرد",
            "why": "تصلكم هذه الرسالة لأن هذه الاقتراحات تخص {collectivity} وأنتم من جهات الاتصال فيها.",
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
    "census_reminder": {
        "fr": {
            "subject": "Rappel : le recensement « {campaign} » se termine le {closes_at}",
            "body": [
                "Bonjour,",
                "{collectivity} n'a pas encore répondu au recensement « {campaign} », qui se termine le {closes_at}.",
                "Le lien personnel de votre collectivité est celui de l'invitation que vous avez reçue ; "
                "une réponse commencée peut être reprise avec ce même lien.",
            ],
            "action": "Répondre au recensement",
            "why": "Vous recevez ce rappel unique parce que vous avez reçu l'invitation de {collectivity} "
            "à ce recensement et qu'elle n'y a pas encore répondu.",
        },
        "en": {
            "subject": "Reminder: the census “{campaign}” closes on {closes_at}",
            "body": [
                "Hello,",
                "{collectivity} has not answered the census “{campaign}” yet; it closes on {closes_at}.",
                "Your collectivity's private link is the one of the invitation you received; "
                "an answer already started can be continued with the same link.",
            ],
            "action": "Answer the census",
            "why": "You receive this single reminder because you received the invitation of {collectivity} "
            "to this census and it has not answered yet.",
        },
        "ar": {
            "subject": "تذكير: استبيان «{campaign}» يُغلق في {closes_at}",
            "body": [
                "مرحباً،",
                "لم تُجب {collectivity} بعد على استبيان «{campaign}» الذي يُغلق في {closes_at}.",
                "الرابط الخاص ببلديتكم هو رابط الدعوة التي وصلتكم، ويمكن متابعة إجابة بدأتموها بالرابط نفسه.",
            ],
            "action": "الإجابة على الاستبيان",
            "why": "يصلكم هذا التذكير الوحيد لأنكم تلقيتم دعوة {collectivity} إلى هذا الاستبيان ولم تُجب عليه بعد.",
        },
    },
    "event_reminder": {
        "fr": {
            "subject": "Rappel : « {event} » commence le {starts_at}",
            "body": [
                "Bonjour,",
                "{collectivity} est inscrite à « {event} », qui commence le {starts_at} ({location}).",
                "Si vous ne pouvez plus y participer, annulez l'inscription pour libérer la place.",
            ],
            "action": "Voir l'événement",
            "why": "Vous recevez ce rappel unique parce que vous êtes le contact de {collectivity} pour cet événement.",
        },
        "en": {
            "subject": "Reminder: “{event}” starts on {starts_at}",
            "body": [
                "Hello,",
                "{collectivity} is registered for “{event}”, which starts on {starts_at} ({location}).",
                "If you can no longer attend, please cancel the registration to free the seat.",
            ],
            "action": "See the event",
            "why": "You receive this single reminder because you are the contact of {collectivity} for this event.",
        },
        "ar": {
            "subject": "تذكير: «{event}» يبدأ في {starts_at}",
            "body": [
                "مرحباً،",
                "{collectivity} مسجلة في «{event}» الذي يبدأ في {starts_at} ({location}).",
                "إن لم يعد بإمكانكم المشاركة، يرجى إلغاء التسجيل لإتاحة المقعد لغيركم.",
            ],
            "action": "عرض الحدث",
            "why": "يصلكم هذا التذكير الوحيد لأنكم جهة اتصال {collectivity} لهذا الحدث.",
        },
    },
    # Issue 14 (defect 5): failed sign-ins on an account, to the admins; the account is not locked.
    "login_alert": {
        "fr": {
            "subject": "Jisr : connexions refusées sur le compte {email}",
            "body": [
                "Bonjour,",
                "{failures} tentatives de connexion ont échoué sur le compte {email} en {minutes} minutes, "
                "depuis {addresses} adresse(s).",
                "Le compte n'est pas bloqué : seules les adresses en échec doivent attendre. Si ce n'est pas "
                "son titulaire, vérifiez que son mot de passe est robuste.",
            ],
            "action": "",
            "why": "Vous recevez cette alerte parce que vous administrez Jisr.",
        },
        "en": {
            "subject": "Jisr: failed sign-ins on the account {email}",
            "body": [
                "Hello,",
                "{failures} sign-ins failed on the account {email} within {minutes} minutes, "
                "from {addresses} address(es).",
                "The account is not locked: only the failing addresses have to wait. If this is not its owner, "
                "make sure its password is strong.",
            ],
            "action": "",
            "why": "You receive this alert because you administer Jisr.",
        },
        "ar": {
            "subject": "جسر: محاولات دخول فاشلة إلى الحساب {email}",
            "body": [
                "مرحباً،",
                "فشلت {failures} محاولات دخول إلى الحساب {email} خلال {minutes} دقيقة، من {addresses} عنوان.",
                "الحساب غير مقفل: العناوين التي فشلت وحدها عليها الانتظار. إن لم يكن صاحبه، تأكدوا من قوة كلمة مروره.",
            ],
            "action": "",
            "why": "تصلكم هذه التنبيهات لأنكم تديرون منصة جسر.",
        },
    },
    "event_faq": {
        "fr": {
            "subject": "« {event} » : une question a reçu sa réponse",
            "body": [
                "Bonjour,",
                "Une réponse vient d'être publiée dans la FAQ de « {event} » :",
                "Question : {question}",
                "Réponse : {answer}",
            ],
            "action": "Voir l'événement et sa FAQ",
            "why": "Vous recevez ce message parce que {collectivity}, dont vous êtes le contact, "
            "est inscrite à cet événement.",
        },
        "en": {
            "subject": "“{event}”: a question has been answered",
            "body": [
                "Hello,",
                "An answer has just been published in the FAQ of “{event}”:",
                "Question: {question}",
                "Answer: {answer}",
            ],
            "action": "See the event and its FAQ",
            "why": "You receive this message because {collectivity}, whose contact you are, "
            "is registered for this event.",
        },
        "ar": {
            "subject": "«{event}»: تمت الإجابة على سؤال",
            "body": [
                "مرحباً،",
                "نُشرت للتو إجابة في الأسئلة الشائعة لـ«{event}»:",
                "السؤال: {question}",
                "الإجابة: {answer}",
            ],
            "action": "عرض الحدث وأسئلته الشائعة",
            "why": "تصلكم هذه الرسالة لأن {collectivity}، وأنتم جهة الاتصال فيها، مسجلة في هذا الحدث.",
        },
    },
    "weekly_digest": {
        "fr": {
            "subject": "Jisr : récapitulatif de la semaine {week}",
            "body": [
                "Bonjour {name},",
                "Voici ce qui attend les coordinateurs dans Jisr cette semaine.",
                "Nouveaux besoins (7 derniers jours) : {new_needs_count}",
                {"list": "new_needs", "empty": "Rien de nouveau."},
                "Réponses attendues (propositions sans réponse) : {waiting_count}",
                {"list": "waiting", "empty": "Aucune proposition n'attend de réponse."},
                "Propositions qui expirent dans les {expiring_days} jours : {expiring_count}",
                {"list": "expiring", "empty": "Aucune."},
                "Partenariats en sommeil pas encore relancés : {dormant_count}",
                {"list": "dormant", "empty": "Aucun."},
            ],
            "action": "Ouvrir Jisr",
            "why": "Vous recevez ce récapitulatif hebdomadaire parce que vous êtes {role} dans Jisr.",
        },
        "en": {
            "subject": "Jisr: digest of week {week}",
            "body": [
                "Hello {name},",
                "Here is what awaits the coordinators in Jisr this week.",
                "New needs (past 7 days): {new_needs_count}",
                {"list": "new_needs", "empty": "Nothing new."},
                "Answers waiting (proposals not answered): {waiting_count}",
                {"list": "waiting", "empty": "No proposal awaits an answer."},
                "Proposals expiring within {expiring_days} days: {expiring_count}",
                {"list": "expiring", "empty": "None."},
                "Dormant partnerships not yet approached: {dormant_count}",
                {"list": "dormant", "empty": "None."},
            ],
            "action": "Open Jisr",
            "why": "You receive this weekly digest because you are {role} in Jisr.",
        },
        "ar": {
            "subject": "جسر: ملخص الأسبوع {week}",
            "body": [
                "مرحباً {name}،",
                "إليكم ما ينتظر المنسقين في منصة جسر هذا الأسبوع.",
                "احتياجات جديدة (آخر 7 أيام): {new_needs_count}",
                {"list": "new_needs", "empty": "لا جديد."},
                "ردود منتظرة (اقتراحات بلا رد): {waiting_count}",
                {"list": "waiting", "empty": "لا يوجد اقتراح ينتظر رداً."},
                "اقتراحات تنتهي خلال {expiring_days} أيام: {expiring_count}",
                {"list": "expiring", "empty": "لا شيء."},
                "شراكات خاملة لم تُستأنف بعد: {dormant_count}",
                {"list": "dormant", "empty": "لا شيء."},
            ],
            "action": "فتح منصة جسر",
            "why": "يصلكم هذا الملخص الأسبوعي لأنكم {role} في منصة جسر.",
        },
    },
}

UNSUBSCRIBE = {
    "fr": "Ce lien figure ici parce que ce message est un rappel automatique que vous n'avez pas demandé : "
    "vous pouvez refuser en un clic les rappels et récapitulatifs de Jisr (les messages liés à vos démarches, "
    "comme les accusés de réception, continueront d'arriver) :",
    "en": "This link is here because this message is an automatic reminder you did not ask for: you can "
    "stop Jisr's reminders and digests in one click (messages about your own steps, such as receipts, "
    "will still arrive):",
    "ar": "يظهر هذا الرابط لأن هذه الرسالة تذكير تلقائي لم تطلبوه: يمكنكم إيقاف تذكيرات منصة جسر وملخصاتها "
    "بنقرة واحدة (ستستمر الرسائل المتعلقة بإجراءاتكم، مثل إشعارات الاستلام، بالوصول):",
}
UNSUBSCRIBE_LABEL = {
    "fr": "Ne plus recevoir de rappels",
    "en": "Stop reminders",
    "ar": "إيقاف التذكيرات",
}
MORE = {"fr": "… et {n} de plus", "en": "… and {n} more", "ar": "… و{n} غيرها"}
LIST_LIMIT = 20


def pick_language(*candidates: str | None) -> str:
    """The first supported language among the candidates (recipient first); French otherwise."""
    for lang in candidates:
        if lang in LANGUAGES:
            return str(lang)
    return "fr"


def isolate(value: Any) -> str:
    """A value for the HTML part: escaped, in a ``<bdi dir="auto">`` (its own direction, isolated)."""
    return f'<bdi dir="auto">{escape(str(value))}</bdi>'


def _items(entry: dict[str, Any], values: dict[str, Any], lang: str) -> list[str | tuple[str, str]]:
    """The lines of a list paragraph: at most LIST_LIMIT, then "… and n more" (n from ``<list>_count``
    when given, the list holding only the first ones); none when the list is empty. A line given as
    ``(text, link)`` keeps its link (shown after the text with the template's action)."""
    items: list[str | tuple[str, str]] = [
        (str(i[0]), str(i[1])) if isinstance(i, tuple | list) else str(i) for i in values.get(entry["list"]) or []
    ]
    if not items:
        return []
    total = int(values.get(f"{entry['list']}_count", len(items)))
    shown = items[: int(entry.get("limit", LIST_LIMIT))]
    if total > len(shown):
        shown.append(MORE[lang].format(n=total - len(shown)))
    return shown


def _line(item: str | tuple[str, str], action: str) -> str:
    return item if isinstance(item, str) else f"{item[0]}\n    {action}: {item[1]}"


def _html_line(item: str | tuple[str, str], action: str) -> str:
    if isinstance(item, str):
        return escape(item)
    return f'{escape(item[0])}<br><a href="{escape(item[1], quote=True)}">{escape(action)}</a>'


def render(
    name: str, lang: str, values: dict[str, Any], *, link: str | None = None, unsubscribe: str | None = None
) -> tuple[str, str, str]:
    """``(subject, text, html)`` of template ``name`` in ``lang``. A body entry is a paragraph, or
    ``{"list": key, "empty": text}``: the lines of ``values[key]`` (a bulleted list), or ``text`` if none.
    ``unsubscribe``: the personal link that stops reminders, shown in the footer with why it is there."""
    lang = pick_language(lang)
    t = TEMPLATES[name][lang]
    sender = values.get("sender") or "Jisr"
    # Every value is data (a name, a title, a date): isolated, so that an Arabic name in a French e-mail (or a
    # French one in an Arabic e-mail) keeps its own direction and leaves the punctuation around it in place.
    safe = {k: isolate(v) for k, v in values.items()}
    subject = t["subject"].format(**values)
    text_parts: list[str] = []
    html_parts: list[str] = []
    for entry in t["body"]:
        if isinstance(entry, dict):
            items = _items(entry, values, lang)
            if items:
                text_parts.append("\n".join(f"  - {_line(i, t['action'])}" for i in items))
                lines = "".join(f'<li dir="auto">{_html_line(i, t["action"])}</li>' for i in items)
                html_parts.append(f"<ul>{lines}</ul>")
            else:
                text_parts.append(f"  {entry['empty']}")
                html_parts.append(f"<p><em>{escape(entry['empty'])}</em></p>")
        else:
            text_parts.append(entry.format(**values))
            html_parts.append(f"<p>{entry.format(**safe)}</p>")
    footer = [t["why"].format(**values), SENDER[lang].format(sender=sender)]
    if link:
        text_parts.append(f"{t['action']}: {link}" if t["action"] else link)
    text_footer = list(footer)
    if unsubscribe:
        text_footer.append(f"{UNSUBSCRIBE[lang]} {unsubscribe}")
    text = "\n\n".join(text_parts) + "\n\n-- \n" + "\n".join(text_footer) + "\n"

    direction = "rtl" if lang == "ar" else "ltr"
    if link:
        label = escape(t["action"] or link)
        html_parts.append(f'<p><a href="{escape(link, quote=True)}">{label}</a></p>')
    small = '<p style="color:#666;font-size:smaller">'
    html_footer = "".join(
        f"{small}{line}</p>"
        for line in (escape(t["why"]).format(**safe), escape(SENDER[lang]).format(sender=isolate(sender)))
    )
    if unsubscribe:
        html_footer += (
            f"{small}{escape(UNSUBSCRIBE[lang])} "
            f'<a href="{escape(unsubscribe, quote=True)}">{escape(UNSUBSCRIBE_LABEL[lang])}</a></p>'
        )
    html = (
        f'<!DOCTYPE html>\n<html lang="{lang}" dir="{direction}"><head><meta charset="utf-8">'
        f"<title>{escape(subject)}</title></head>"
        f'<body dir="{direction}">{"".join(html_parts)}<hr>{html_footer}</body></html>\n'
    )
    return subject, text, html
