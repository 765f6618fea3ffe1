"""Lebanon's governorates and districts (cazas), from the reference CSV shipped with the package."""

import csv
from functools import lru_cache
from importlib.resources import files

from pydantic import BaseModel


class District(BaseModel):
    name_fr: str
    name_en: str
    name_ar: str


class Governorate(BaseModel):
    code: str
    name_fr: str
    name_en: str
    name_ar: str
    districts: list[District]


@lru_cache
def lebanon() -> dict[str, Governorate]:
    """Governorates by ISO 3166-2 code, each with its districts, in file order."""
    out: dict[str, Governorate] = {}
    with files("jisr.data").joinpath("lebanon-admin.csv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            gov = out.setdefault(
                row["governorate_code"],
                Governorate(
                    code=row["governorate_code"],
                    name_fr=row["governorate_fr"],
                    name_en=row["governorate_en"],
                    name_ar=row["governorate_ar"],
                    districts=[],
                ),
            )
            gov.districts.append(
                District(name_fr=row["district_fr"], name_en=row["district_en"], name_ar=row["district_ar"])
            )
    return out
