"""Sentences the server writes for people (issue 21, item 13): stored as a key and its parameters, shown in the
reader's language.

A partnership made from a census answer or from a proposal, and a proposal's status change made by the server
(a relaunch, an expiry, a meeting placed by the scheduler), carry a `system_note`: ``key`` (one of `NoteKey`),
``params`` (names, titles, ids, numbers: never a sentence) and ``text``, the sentence in the request's
``Accept-Language`` (fr, en or ar; French otherwise) for integrators. The web app ignores ``text`` and says
the key in its own dictionaries (``frontend/src/i18n``, keys ``note.<key>``), with the same parameters.
Free notes written by people stay plain text (``description``, a transition's ``note``).
"""

from datetime import datetime
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field

from jisr.core.http import LANGUAGES, request_language


class NoteKey(StrEnum):
    partnership_census = "partnership_census"  # campaign, campaign_en, campaign_ar, campaign_id
    partnership_matched = "partnership_matched"  # need, need_id, proposal_id
    relaunch = "relaunch"  # status (dormant | ended), start, end
    expired = "expired"  # days
    expired_replaced = "expired_replaced"  # days, french, french_ar, french_id, proposal_id
    meeting_scheduled = "meeting_scheduled"  # event, event_id, starts_at (UTC), timezone, table
    meeting_unscheduled = "meeting_unscheduled"  # event, event_id


NoteParams = dict[str, str | int | None]

TEMPLATES: dict[str, dict[str, str]] = {
    "partnership_census": {
        "fr": "Déclaré lors de la campagne de recensement « {campaign} ».",
        "en": "Declared in the census campaign “{campaign}”.",
        "ar": "شراكة مُعلنة في حملة الإحصاء «{campaign}».",
    },
    "partnership_matched": {
        "fr": "Issu d'une mise en relation Jisr : « {need} ».",
        "en": "From a Jisr match: “{need}”.",
        "ar": "ناتجة عن اقتراح شراكة في جسر: «{need}».",
    },
    "relaunch.dormant": {
        "fr": "Relance du partenariat en sommeil ({start}–{end}) depuis la liste des partenariats.",
        "en": "Relaunch of the dormant partnership ({start}–{end}) from the partnerships list.",
        "ar": "إعادة إطلاق الشراكة المتوقفة ({start}–{end}) من قائمة الشراكات.",
    },
    "relaunch.ended": {
        "fr": "Relance du partenariat terminé ({start}–{end}) depuis la liste des partenariats.",
        "en": "Relaunch of the ended partnership ({start}–{end}) from the partnerships list.",
        "ar": "إعادة إطلاق الشراكة المنتهية ({start}–{end}) من قائمة الشراكات.",
    },
    "expired": {
        "fr": "Sans réponse en {days} jours malgré une relance : expirée automatiquement.",
        "en": "Not answered within {days} days, reminded once: expired automatically.",
        "ar": "لم يصل ردّ خلال {days} يوماً رغم التذكير: انتهت صلاحية الاقتراح تلقائياً.",
    },
    "expired_replaced": {
        "fr": "Sans réponse en {days} jours malgré une relance : expirée automatiquement. Sa place est proposée à "
        "{french}.",
        "en": "Not answered within {days} days, reminded once: expired automatically. Its place is proposed to "
        "{french}.",
        "ar": "لم يصل ردّ خلال {days} يوماً رغم التذكير: انتهت صلاحية الاقتراح تلقائياً. اقتُرح مكانه على {french}.",
    },
    "meeting_scheduled": {
        "fr": "{event} : rendez-vous le {when} ({timezone}), {table}.",
        "en": "{event}: meeting on {when} ({timezone}), {table}.",
        "ar": "{event}: موعد في {when} ({timezone})، {table}.",
    },
    "meeting_unscheduled": {
        "fr": "{event} : le rendez-vous n'est plus au programme.",
        "en": "{event}: no longer scheduled.",
        "ar": "{event}: لم يعد الموعد مُدرجاً في البرنامج.",
    },
}


def _localised(params: NoteParams, name: str, lang: str) -> str:
    """``name`` in ``lang`` when the params carry it (``campaign_ar``), else as given."""
    value = params.get(f"{name}_{lang}") if lang != "fr" else None
    return str(value or params.get(name) or "")


def render(key: str, params: NoteParams, lang: str = "fr") -> str:
    """The sentence of a stored note in ``lang``; an unknown key is returned as it is."""
    lang = lang if lang in LANGUAGES else "fr"
    values: dict[str, Any] = {k: "" if v is None else v for k, v in params.items()}
    name = key
    if key == NoteKey.relaunch:
        name = "relaunch.ended" if params.get("status") == "ended" else "relaunch.dormant"
        values["start"] = params.get("start") or "?"
        values["end"] = params.get("end") or "?"
    elif key == NoteKey.partnership_census:
        values["campaign"] = _localised(params, "campaign", lang)
    elif key == NoteKey.expired_replaced:
        values["french"] = _localised(params, "french", lang)
    elif key == NoteKey.meeting_scheduled:
        try:
            start = datetime.fromisoformat(str(params.get("starts_at")))
            values["when"] = start.astimezone(ZoneInfo(str(params.get("timezone")))).strftime("%Y-%m-%d %H:%M")
        except (ValueError, KeyError):
            values["when"] = str(params.get("starts_at") or "")
    texts = TEMPLATES.get(name)
    if texts is None:
        return key
    try:
        return texts[lang].format(**values)
    except (KeyError, IndexError):
        return texts[lang]


class SystemNote(BaseModel):
    """A sentence the server wrote, as a key and parameters; ``text`` is it in the request's language."""

    key: NoteKey
    params: NoteParams
    text: str = Field(description="The sentence in the request's Accept-Language (fr, en or ar; French otherwise).")


def note(key: str | None, params: NoteParams | None) -> SystemNote | None:
    """The public form of a stored key and its parameters (None when there is none)."""
    if not key:
        return None
    params = params or {}
    return SystemNote(key=NoteKey(key), params=params, text=render(key, params, request_language()))
