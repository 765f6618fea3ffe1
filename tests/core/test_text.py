from hypothesis import given
from hypothesis import strategies as st

from jisr.core.text import fold


def test_case_and_accents_fold_alike() -> None:
    assert fold("Saïda") == fold("SAIDA") == fold("saida") == "saida"
    assert fold("Œuvre Élan") == "oeuvre elan"


def test_arabic_variants_fold_alike() -> None:
    assert fold("صَيْدَا") == fold("صيدا")  # diacritics
    assert fold("أبو") == fold("ابو") == fold("إبو") == fold("آبو")  # alef forms
    assert fold("طرابلـــس") == fold("طرابلس")  # tatweel
    assert fold("مدرسة") == fold("مدرسه")  # taa marbuta
    assert fold("مصطفى") == fold("مصطفي")  # alef maqsura


def test_separators_become_single_spaces() -> None:
    assert fold("  Saint-Étienne   du  Rouvray ") == "saint etienne du rouvray"


@given(st.text())
def test_fold_is_idempotent(text: str) -> None:
    assert fold(fold(text)) == fold(text)
