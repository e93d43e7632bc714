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
_REGION_RE = re.compile(r"^R?(\d{2})$")
_ALL_REGIONS = ("fr", "france", "toutes", "all")
REGION_EXPECTED = "un code INSEE de région (84 ou R84), ou FR / « toutes » pour la France entière"


def parse_region(value: object) -> str:
    """The one reading of a region (settings, sources.toml, the CLI): ``84``, ``"84"``, ``"R84"`` → ``"R84"``;
    ``FR``, ``France``, ``toutes`` → ``"FR"`` (a national instance). Anything else: ValueError in French."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 100:
        value = f"{value:02d}"           # a TOML integer (region = 84)
    text = value.strip() if isinstance(value, str) else None
    if text is not None and text.lower() in _ALL_REGIONS:
        return FRANCE
    m = _REGION_RE.match(text.upper()) if text is not None else None
    if m is None:
        raise ValueError(f"région {str(value)[:40]!r} invalide : attendu {REGION_EXPECTED}")
    return "R" + m.group(1)


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
