"""Exports for people: column headers and values in French, English or Arabic (`?lang=`).

French and English headers are words the imports accept (``imports/columns.py`` aliases: a test maps each one
back to its column), and the values are words the imports read back (statuses, kinds, governorates by name,
themes by label): a French export imports back unchanged. Ids go to the last columns.
"""

from typing import Any

from jisr.collectivities.geography import lebanon

Langs = dict[str, str]

HEADERS: dict[str, Langs] = {
    # collectivities
    "country": {"fr": "Pays", "en": "Country", "ar": "البلد"},
    "kind": {"fr": "Type", "en": "Kind", "ar": "النوع"},
    "name": {"fr": "Nom", "en": "Name", "ar": "الاسم"},
    "name_ar": {"fr": "Nom arabe", "en": "Arabic name", "ar": "الاسم بالعربية"},
    "name_alt": {"fr": "Autres noms", "en": "Other names", "ar": "أسماء أخرى"},
    "code": {"fr": "Code officiel", "en": "Official code", "ar": "الرمز الرسمي"},
    "governorate": {"fr": "Gouvernorat", "en": "Governorate", "ar": "محافظة"},
    "district": {"fr": "Caza", "en": "District", "ar": "قضاء"},
    "region": {"fr": "Code région", "en": "Region", "ar": "المنطقة"},
    "departement": {"fr": "Code département", "en": "Department", "ar": "المقاطعة"},
    "parent_name": {"fr": "Nom parent", "en": "Parent name", "ar": "الجهة الأم"},
    "population": {"fr": "Habitants", "en": "Inhabitants", "ar": "عدد السكان"},
    "latitude": {"fr": "Latitude", "en": "Latitude", "ar": "خط العرض"},
    "longitude": {"fr": "Longitude", "en": "Longitude", "ar": "خط الطول"},
    "website": {"fr": "Site web", "en": "Website", "ar": "الموقع الإلكتروني"},
    "languages": {"fr": "Langues", "en": "Languages", "ar": "اللغات"},
    "description": {"fr": "Description", "en": "Description", "ar": "الوصف"},
    "system_note": {"fr": "Note de Jisr", "en": "Jisr note", "ar": "ملاحظة جسر"},
    "capacity": {"fr": "Capacité", "en": "Capacity", "ar": "القدرة"},
    "preferred_governorates": {
        "fr": "Gouvernorats préférés",
        "en": "Preferred governorates",
        "ar": "المحافظات المفضلة",
    },
    "expertise_tag_ids": {"fr": "Expertises", "en": "Expertise", "ar": "مجالات الخبرة"},
    "interest_tag_ids": {"fr": "Centres d'intérêt", "en": "Interests", "ar": "مجالات الاهتمام"},
    "created_at": {"fr": "Créé le", "en": "Created at", "ar": "تاريخ الإنشاء"},
    "updated_at": {"fr": "Modifié le", "en": "Updated at", "ar": "تاريخ التعديل"},
    # needs
    "collectivity_name": {"fr": "Nom collectivité", "en": "Collectivity name", "ar": "السلطة المحلية"},
    "direction": {"fr": "Sens", "en": "Direction", "ar": "الاتجاه"},
    "title": {"fr": "Titre", "en": "Title", "ar": "العنوان"},
    "tag_ids": {"fr": "Thèmes", "en": "Themes", "ar": "المواضيع"},
    "priority": {"fr": "Priorité", "en": "Priority", "ar": "الأولوية"},
    "status": {"fr": "Statut", "en": "Status", "ar": "الحالة"},
    "source": {"fr": "Origine", "en": "Source", "ar": "المصدر"},
    "estimated_budget_eur": {"fr": "Budget estimé", "en": "Estimated budget", "ar": "الميزانية التقديرية"},
}

VALUES: dict[str, dict[str, Langs]] = {
    "country": {
        "FR": {"fr": "France", "en": "France", "ar": "فرنسا"},
        "LB": {"fr": "Liban", "en": "Lebanon", "ar": "لبنان"},
    },
    "kind": {
        "commune": {"fr": "Commune", "en": "Commune", "ar": "بلدية فرنسية"},
        "epci": {"fr": "EPCI", "en": "EPCI", "ar": "هيئة مشتركة بين البلديات"},
        "departement": {"fr": "Département", "en": "Department", "ar": "مقاطعة"},
        "region": {"fr": "Région", "en": "Region", "ar": "إقليم"},
        "municipality": {"fr": "Municipalité", "en": "Municipality", "ar": "بلدية"},
        "union_of_municipalities": {
            "fr": "Union de municipalités",
            "en": "Union of municipalities",
            "ar": "اتحاد بلديات",
        },
        "other": {"fr": "Autre", "en": "Other", "ar": "أخرى"},
    },
    "direction": {
        "request": {"fr": "Demande", "en": "Request", "ar": "طلب"},
        "offer": {"fr": "Offre", "en": "Offer", "ar": "عرض"},
    },
    "priority": {
        "high": {"fr": "Haute", "en": "High", "ar": "عالية"},
        "medium": {"fr": "Moyenne", "en": "Medium", "ar": "متوسطة"},
        "low": {"fr": "Basse", "en": "Low", "ar": "منخفضة"},
    },
    "status": {
        "draft": {"fr": "Brouillon", "en": "Draft", "ar": "مسودة"},
        "open": {"fr": "Ouvert", "en": "Open", "ar": "مفتوح"},
        "in_discussion": {"fr": "En discussion", "en": "In discussion", "ar": "قيد النقاش"},
        "matched": {"fr": "Mis en relation", "en": "Matched", "ar": "تم الربط"},
        "closed": {"fr": "Fermé", "en": "Closed", "ar": "مغلق"},
    },
    "source": {
        "webinar": {"fr": "Webinaire", "en": "Webinar", "ar": "ندوة عبر الإنترنت"},
        "census": {"fr": "Recensement", "en": "Census", "ar": "استبيان"},
        "field_mission": {"fr": "Mission de terrain", "en": "Field mission", "ar": "مهمة ميدانية"},
        "import": {"fr": "Import", "en": "Import", "ar": "استيراد"},
        "manual": {"fr": "Saisie", "en": "Manual", "ar": "إدخال يدوي"},
    },
    "capacity": {
        "low": {"fr": "Faible", "en": "Low", "ar": "منخفضة"},
        "medium": {"fr": "Moyenne", "en": "Medium", "ar": "متوسطة"},
        "high": {"fr": "Forte", "en": "High", "ar": "عالية"},
    },
    "languages": {
        "fr": {"fr": "Français", "en": "French", "ar": "فرنسية"},
        "en": {"fr": "Anglais", "en": "English", "ar": "انكليزية"},
        "ar": {"fr": "Arabe", "en": "Arabic", "ar": "عربية"},
    },
}
LIST_FIELDS = ("languages", "preferred_governorates")


def header(field: str, lang: str) -> str:
    return HEADERS.get(field, {}).get(lang, field)


def governorate_name(code: str, lang: str) -> str:
    g = lebanon().get(code)
    if g is None:
        return code
    return {"fr": g.name_fr, "en": g.name_en, "ar": g.name_ar}.get(lang) or g.name_fr


def value(field: str, raw: Any, lang: str) -> Any:
    """A cell in the language: enum words, governorates by name; anything else as it is."""
    if raw is None or raw == "":
        return raw
    if field in ("governorate", "preferred_governorates"):
        if isinstance(raw, list):
            return [governorate_name(str(v), lang) for v in raw]
        return governorate_name(str(raw), lang)
    words = VALUES.get(field)
    if words is None:
        return raw
    if isinstance(raw, list):
        return [words.get(str(v), {}).get(lang, str(v)) for v in raw]
    return words.get(str(raw), {}).get(lang, raw)


def is_id(field: str) -> bool:
    return field == "id" or field.endswith("_id")
