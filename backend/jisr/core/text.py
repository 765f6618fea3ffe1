"""Text folding for search: one function, used everywhere text is compared."""

import re
import unicodedata

_ARABIC = str.maketrans(
    {
        "\u0640": "",  # tatweel
        "\u0623": "\u0627",  # alef with hamza above -> alef
        "\u0625": "\u0627",  # alef with hamza below
        "\u0622": "\u0627",  # alef with madda
        "\u0671": "\u0627",  # alef wasla
        "\u0629": "\u0647",  # taa marbuta -> haa
        "\u0649": "\u064a",  # alef maqsura -> yaa
        "\u0624": "\u0648",  # waw with hamza
        "\u0626": "\u064a",  # yaa with hamza
        "\u0153": "oe",
        "\u00e6": "ae",
        "\u00df": "ss",
    }
)
_SEPARATORS = re.compile(r"[\s\-'’_.,;:/()]+")


def fold(text: str | None) -> str:
    """Lower-case, strip accents and Arabic diacritics, unify Arabic letter variants.

    "Saïda", "SAIDA" and "saida" fold alike; so do "صيدا" and "صَيْدا", "أ" and "ا".
    """
    if not text:
        return ""
    # Case folding and compatibility decomposition can feed each other ("𝕊" -> "S" -> "s"):
    # repeat until nothing changes, so that folding twice is folding once.
    for _ in range(4):
        decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_ARABIC))
        folded = "".join(c for c in decomposed if not unicodedata.combining(c)).translate(_ARABIC)
        folded = _SEPARATORS.sub(" ", folded).strip()
        if folded == text:
            break
        text = folded
    return text


def search_blob(*parts: str | None | list[str]) -> str:
    """The folded text a row is searched by: its parts joined by a separator."""
    flat: list[str] = []
    for part in parts:
        if isinstance(part, list):
            flat.extend(part)
        elif part:
            flat.append(part)
    return " | ".join(fold(p) for p in flat if p)
