"""The participants CSV of an event, for French Excel: UTF-8 with BOM, `;` separated. No database here.

A cell that a spreadsheet would run as a formula (starting with = + - @, a tab or a carriage return)
gets a leading apostrophe, so that it is shown as text and never evaluated.
"""

import csv
import io
from collections.abc import Iterable, Sequence

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

HEADERS = {
    "fr": [
        "Collectivité",
        "Nom en arabe",
        "Pays",
        "Gouvernorat",
        "Contact",
        "Fonction",
        "E-mail",
        "Téléphone",
        "Statut",
        "Inscrite le (UTC)",
    ],
    "en": [
        "Collectivity",
        "Arabic name",
        "Country",
        "Governorate",
        "Contact",
        "Role",
        "E-mail",
        "Phone",
        "Status",
        "Registered at (UTC)",
    ],
    "ar": [
        "السلطة المحلية",
        "الاسم بالعربية",
        "البلد",
        "المحافظة",
        "الشخص المسؤول",
        "الصفة",
        "البريد الإلكتروني",
        "الهاتف",
        "الحالة",
        "تاريخ التسجيل (UTC)",
    ],
}

STATUS_LABELS = {
    "fr": {"registered": "inscrite", "attended": "présente", "absent": "absente", "cancelled": "annulée"},
    "en": {"registered": "registered", "attended": "attended", "absent": "absent", "cancelled": "cancelled"},
    "ar": {"registered": "مسجّلة", "attended": "حاضرة", "absent": "غائبة", "cancelled": "ملغاة"},
}


def neutralise(value: object) -> str:
    """The cell as text, with a leading apostrophe when a spreadsheet would read it as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def to_csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow([neutralise(h) for h in header])
    for row in rows:
        writer.writerow([neutralise(cell) for cell in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
