"""Column headers and status labels of an event's participants CSV, in fr/en/ar.

The file itself is written by jisr.core.spreadsheet.excel_csv (BOM, `;`, formulas neutralised).
"""

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
