"""Personal data detection and redaction (e-mail, phone, IBAN, names attached to contact data).

Used before retrieval, before any external model call, and before anything is logged or stored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.U)
IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){3,7}(?:[ ]?[A-Z0-9]{1,3})?\b", re.I)
# Phone numbers: +49 / 0049 / 0 prefixes, spaces, slashes, dashes, brackets; at least 7 digits.
PHONE = re.compile(r"(?<![\w.(])\(?(?:\+|00)?\d[\d\s/().-]{5,}\d(?!\w|\.\d)")
_NAME = r"[A-ZÄÖÜ][a-zäöüß]+(?:-[A-ZÄÖÜ][a-zäöüß]+)?"
PERSON = re.compile(rf"\b(?:Herr|Herrn|Frau|Hr\.|Fr\.|Mr\.?|Mrs\.?|Ms\.?|Dr\.)\s+(?:{_NAME}\s+)?{_NAME}")
# "Kontakt: Anna Schmidt," / "contact Anna Schmidt (" — a full name right next to contact data.
NAME_NEAR_CONTACT = re.compile(
    rf"\b{_NAME}\s+{_NAME}(?=\s*[(,:]\s*(?:[\w.+-]+@|\+?\d|\[(?:E-Mail|Telefon|IBAN|Adresse|Geburtsdatum)))"
)
STREET = re.compile(
    # German: "Lindenallee 12, 50968 Köln"
    r"\b[A-ZÄÖÜ][\wäöüß-]*(?:straße|strasse|str\.|weg|allee|platz|gasse|ring|damm|ufer)\s+\d+[a-z]?"
    r"(?:,\s*\d{5}\s+[A-ZÄÖÜ][\wäöüß-]+)?"
    # English: "8 Queen Street, Edinburgh EH2 1JE", "27 Oak Lane, Manchester M14 5RT"
    r"|\b\d{1,4}[a-z]?\s+(?:[A-Z][a-z]+\s+){1,3}(?:Street|St\.?|Lane|Road|Rd\.?|Avenue|Ave\.?|Way|Drive|"
    r"Close|Court|Place|Square|Crescent|Terrace|Boulevard|Blvd\.?)\b"
    r"(?:,\s*[A-Z][a-z]+(?:\s+[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2})?)?"
    # French: "14 Rue de la Paix, 75002 Paris"
    r"|\b\d{1,4}(?:\s*bis)?,?\s+(?i:rue|avenue|boulevard|place|chemin|allée)\s+[\w' -]{2,40}?"
    r"(?:,\s*\d{5}\s+[A-Z][\w-]+)",
    re.U,
)
# A UK postcode or a 5-digit postal code followed by a city, on its own.
POSTCODE = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b|(?<=,)\s*\d{5}\s+[A-ZÄÖÜ][a-zäöüß]{2,}\b")
# "Name Ralf Engel", "Sarah Jenkins' reviews" — named people, redacted only alongside contact data.
NAMED = re.compile(rf"\b(?:Name|name|namens|named)[:\s]+{_NAME}\s+{_NAME}|\b{_NAME}\s+{_NAME}(?=['’]s?\s)")

BIRTH_DATE = re.compile(
    r"\b(?:geb\.|geboren(?:\s+am)?|born(?:\s+on)?|DOB|date\s+of\s+birth|Geburtsdatum)[:\s]*"
    r"\d{1,2}[./-]\d{1,2}[./-]\d{2,4}",
    re.I,
)

PLACEHOLDERS = {
    "email": "[E-Mail entfernt]",
    "phone": "[Telefon entfernt]",
    "iban": "[IBAN entfernt]",
    "person": "[Name entfernt]",
    "address": "[Adresse entfernt]",
    "birth_date": "[Geburtsdatum entfernt]",
}


@dataclass
class Redaction:
    text: str
    found: list[str] = field(default_factory=list)  # kinds, in order of discovery

    @property
    def changed(self) -> bool:
        return bool(self.found)


def _digits(s: str) -> int:
    return sum(ch.isdigit() for ch in s)


def redact(text: str) -> Redaction:
    """Replace personal data with placeholders; names only when contact data is present too."""
    found: list[str] = []

    def sub(pattern: re.Pattern[str], kind: str, s: str, check=None) -> str:
        def repl(m: re.Match[str]) -> str:
            if check and not check(m.group(0)):
                return m.group(0)
            found.append(kind)
            return PLACEHOLDERS[kind]

        return pattern.sub(repl, s)

    out = sub(EMAIL, "email", text)
    out = sub(BIRTH_DATE, "birth_date", out)
    out = sub(IBAN, "iban", out, lambda s: _digits(s) >= 12)
    out = sub(PHONE, "phone", out, _looks_like_phone)
    out = sub(STREET, "address", out)
    out = sub(POSTCODE, "address", out)
    if found:  # a name is personal data here because it comes with contact data
        out = sub(NAME_NEAR_CONTACT, "person", out)
        out = sub(PERSON, "person", out)
        out = sub(NAMED, "person", out)
    return Redaction(out, found)


def _looks_like_phone(s: str) -> bool:
    digits = _digits(s)
    if digits < 7 or digits > 15:
        return False
    if re.fullmatch(r"\d{1,2}\.\d{1,2}\.\d{2,4}", s.strip()):  # a date
        return False
    if re.fullmatch(r"(19|20)\d{2}\s*[-–/]\s*(19|20)\d{2}", s.strip()):  # a year range
        return False
    return bool(re.search(r"^(\+|00|0)", s.strip())) or " " in s.strip() or "/" in s or "-" in s


def contains_pii(text: str) -> bool:
    return redact(text).changed
