"""Clean text: what the API lets in (the text types of every model), and what each writer can hold.

At the door (``SingleLine``, ``MultiLine``, ``Name``, ``Code``): C0 and C1 control characters, NUL
and unpaired surrogates are refused everywhere (tab and line breaks are allowed in multi-line text
only); names, titles and codes are NFC-normalised and trimmed, and refuse the bidirectional
overrides and isolates (U+202A–U+202E, U+2066–U+2069), zero-width and every other invisible format
character (category Cf, the soft hyphen, tag characters…), which make two different names look the
same or reorder what a reader sees. The line and paragraph separators (U+2028, U+2029) count as line
breaks.

On the way out (``for_xml``, ``one_line``, ``for_json``): whatever was stored before these rules
existed, or comes from elsewhere, is made writable rather than breaking the file or the e-mail.
"""

import re
import unicodedata
from typing import Annotated, Any

from pydantic import BeforeValidator, GetJsonSchemaHandler, ValidationInfo
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

REPLACEMENT = "\ufffd"

# Character classes, as regular-expression ranges (also published as JSON Schema patterns).
_C0 = "\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f"  # controls but tab, line feed, carriage return
_BREAKS = "\\u0009\\u000a\\u000d"
_C1 = "\\u007f-\\u009f"  # DEL and the C1 controls
_SURROGATES = "\\ud800-\\udfff"
_BIDI = "\\u202a-\\u202e\\u2066-\\u2069"  # embeddings, overrides, isolates
_ZERO_WIDTH = "\\u200b-\\u200f\\u2060\\ufeff"  # zero-width space/joiners, marks, word joiner, BOM
_SEPARATORS = "\\u2028\\u2029"  # line and paragraph separators (Zl, Zp): line breaks in all but name
# Every format character (Unicode category Cf, 14.0) and the combining grapheme joiner: invisible, they
# make two different names look the same. ZWJ and ZWNJ (U+200D, U+200C) included: Arabic names do not
# need them (the joining is the font's), and they were refused here (and cleaned by 0009) from the start.
_FORMAT = (
    "\\u00ad\\u034f\\u0600-\\u0605\\u061c\\u06dd\\u070f\\u0890-\\u0891\\u08e2\\u180e\\u200b-\\u200f"
    "\\u202a-\\u202e\\u2060-\\u2064\\u2066-\\u206f\\ufeff\\ufff9-\\ufffb"
)
_FORMAT_ASTRAL = (  # not in the published pattern: ECMA-262 without the u flag cannot write them
    "\\U000110bd\\U000110cd\\U00013430-\\U00013438\\U0001bca0-\\U0001bca3\\U0001d173-\\U0001d17a"
    "\\U000e0001\\U000e0020-\\U000e007f"
)

_MULTI_BAD = re.compile(f"[{_C0}{_C1}{_SURROGATES}]")
_SINGLE_BAD = re.compile(f"[{_C0}{_BREAKS}{_SEPARATORS}{_C1}{_SURROGATES}]")
_NAME_BAD = re.compile(f"[{_C0}{_BREAKS}{_SEPARATORS}{_C1}{_SURROGATES}{_FORMAT}{_FORMAT_ASTRAL}]")

# JSON Schema patterns (ECMA-262 syntax; surrogates cannot be written there and are left out).
SINGLE_LINE_PATTERN = f"^[^{_C0}{_BREAKS}{_SEPARATORS}{_C1}]*$"
MULTI_LINE_PATTERN = f"^[^{_C0}{_C1}]*$"
NAME_PATTERN = f"^[^{_C0}{_BREAKS}{_SEPARATORS}{_C1}{_FORMAT}]*$"


def _describe(char: str) -> str:
    code = f"U+{ord(char):04X}"
    if char in "\n\r\u2028\u2029":
        return f"a line break ({code})"
    if char == "\t":
        return f"a tab ({code})"
    if char == "\x00":
        return f"a NUL character ({code})"
    if 0xD800 <= ord(char) <= 0xDFFF:
        return f"an unpaired surrogate ({code})"
    if re.fullmatch(f"[{_BIDI}]", char):
        return f"an invisible text-direction control ({code})"
    if re.fullmatch(f"[{_ZERO_WIDTH}]", char):
        return f"an invisible zero-width character ({code})"
    if re.fullmatch(f"[{_FORMAT}{_FORMAT_ASTRAL}]", char):
        return f"an invisible formatting character ({code})"
    return f"a control character ({code})"


def _check(value: str, bad: re.Pattern[str], what: str) -> str:
    found = bad.search(value)
    if found:
        raise ValueError(
            f"{what} contains {_describe(found.group())} at position {found.start() + 1}: remove it and send again"
        )
    return value


def _is_output(info: ValidationInfo | None) -> bool:
    """Read models (``…Public``, the house naming) repair what an older row holds instead of refusing
    it: a row stored before these rules, or written around the door, must not turn a GET into a 500."""
    title = (info.config or {}).get("title", "") if info is not None else ""
    return bool(title) and str(title).endswith("Public")


def _repair(value: str, kind: str) -> str:
    bad = _NAME_BAD if kind == "name" else _SINGLE_BAD if kind == "single" else _MULTI_BAD
    if not bad.search(value) and unicodedata.is_normalized("NFC", value):
        return value  # the usual case, at the cost of one scan (read pages validate many values)
    return clean_stored(value, kind=kind) or (REPLACEMENT if value else value)


def check_single_line(value: Any, info: ValidationInfo | None) -> Any:
    if not isinstance(value, str):
        return value
    if _is_output(info):
        return _repair(value, "single")
    return _check(unicodedata.normalize("NFC", value).strip(), _SINGLE_BAD, "This one-line text")


def check_multi_line(value: Any, info: ValidationInfo | None) -> Any:
    if not isinstance(value, str):
        return value
    if _is_output(info):
        return _repair(value, "multi")
    value = unicodedata.normalize("NFC", value.replace("\r\n", "\n").replace("\r", "\n")).rstrip()
    return _check(value, _MULTI_BAD, "This text")


def check_name(value: Any, info: ValidationInfo | None) -> Any:
    if not isinstance(value, str):
        return value
    if _is_output(info):
        return _repair(value, "name")
    return _check(unicodedata.normalize("NFC", value).strip(), _NAME_BAD, "This name")


class _Pattern:
    """Publishes the refused characters in the OpenAPI schema (the validator does the work)."""

    def __init__(self, pattern: str):
        self.pattern = pattern

    def __get_pydantic_json_schema__(self, core_schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        schema = handler(core_schema)
        for branch in [schema, *schema.get("anyOf", [])]:  # str, or str | None
            if branch.get("type") == "string" and "pattern" not in branch:
                branch["pattern"] = self.pattern
        return schema

    def __hash__(self) -> int:
        return hash(self.pattern)


SingleLine = Annotated[
    str,
    BeforeValidator(check_single_line),
    _Pattern(SINGLE_LINE_PATTERN),
]
"""One line of text: no control characters (tab and line breaks included); NFC, trimmed."""

MultiLine = Annotated[
    str,
    BeforeValidator(check_multi_line),
    _Pattern(MULTI_LINE_PATTERN),
]
"""Free text: tab and line breaks allowed (CRLF/CR become LF), other controls refused; NFC."""

Name = Annotated[
    str,
    BeforeValidator(check_name),
    _Pattern(NAME_PATTERN),
]
"""A name, title, label or code: one line, no bidi overrides/isolates nor zero-width characters;
NFC, trimmed."""

Code = Name


def clean_stored(value: str, *, kind: str) -> str:
    """What a value stored before these rules becomes (the data migration): refused characters
    dropped (line breaks in one-line text become spaces), normalised like the door does."""
    if kind == "multi":
        value = value.replace("\r\n", "\n").replace("\r", "\n")
        value = _MULTI_BAD.sub("", value)
        return unicodedata.normalize("NFC", value).rstrip()
    value = re.sub(f"[{_BREAKS}{_SEPARATORS}]+", " ", value)
    value = (_NAME_BAD if kind == "name" else _SINGLE_BAD).sub("", value)
    return unicodedata.normalize("NFC", value).strip()


# --- writers -------------------------------------------------------------------------------------

_XML_BAD = re.compile(f"[{_C0}{_SURROGATES}\\ufffe\\uffff]")
_LINE_BREAKS = re.compile("[\\r\\n\\u0085\\u2028\\u2029]+")
_CONTROLS = re.compile(f"[{_C0}{_BREAKS}{_C1}{_SURROGATES}]")


def for_xml(value: str) -> str:
    """Text an XML 1.0 document can hold (XLSX cells): forbidden characters become U+FFFD."""
    return _XML_BAD.sub(REPLACEMENT, value)


def one_line(value: str) -> str:
    """One header line (e-mail subject, iCalendar name): line breaks become a space, other controls
    U+FFFD. Nothing a reader could take for a new header survives."""
    return _CONTROLS.sub(REPLACEMENT, _LINE_BREAKS.sub(" ", value)).strip()


def for_text(value: str) -> str:
    """Free text for a format that holds line breaks but no other controls (iCalendar TEXT):
    line breaks kept as LF, other controls and surrogates become U+FFFD."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return re.sub(f"[{_C0}{_C1}{_SURROGATES}]", REPLACEMENT, value)


def for_json(value: str) -> str:
    """Text UTF-8 JSON can carry: unpaired surrogates become U+FFFD (the rest is escaped by json)."""
    return re.sub(f"[{_SURROGATES}]", REPLACEMENT, value)
