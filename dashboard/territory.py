"""Territory codes used everywhere (URLs, store, CLI).

``FR`` (pays), ``R84`` (région), ``D15`` (département), ``E200066389`` (EPCI, SIREN),
``C15014`` (commune, INSEE code; Lyon/Paris/Marseille arrondissements are communes too).
"""
from __future__ import annotations

import re

LEVELS = ("pays", "region", "departement", "epci", "commune")
LEVEL_LABELS = {
    "pays": "Pays",
    "region": "Région",
    "departement": "Département",
    "epci": "EPCI",
    "commune": "Commune",
}
PREFIX_LEVEL = {"R": "region", "D": "departement", "E": "epci", "C": "commune"}
LEVEL_PREFIX = {v: k for k, v in PREFIX_LEVEL.items()}

_CODE_RE = re.compile(
    r"^(?:FR|R\d{2}|D(?:\d{2}|2[AB]|97\d)|E\d{9}|C(?:\d{5}|2[AB]\d{3}))$"
)


FRANCE = "FR"           # the country's code; also « the region followed » of a national instance

def is_code(text: object) -> bool:
    return isinstance(text, str) and len(text) <= 12 and bool(_CODE_RE.match(text))


def level_of(code: str) -> str:
    if not is_code(code):
        raise ValueError(f"code de territoire invalide : {code!r} (attendu FR, R84, D15, E200066389 ou C15014)")
    return "pays" if code == FRANCE else PREFIX_LEVEL[code[0]]


def make(level: str, native: str) -> str:
    """Build a code from a level and the official code (``"departement", "15"`` -> ``"D15"``)."""
    if level == "pays":
        return "FR"
    code = LEVEL_PREFIX[level] + str(native)
    if not is_code(code):
        raise ValueError(f"code {native!r} invalide pour le niveau {level}")
    return code


def native(code: str) -> str:
    """Official code without the level prefix (``"C15014"`` -> ``"15014"``)."""
    return code if code == "FR" else code[1:]
