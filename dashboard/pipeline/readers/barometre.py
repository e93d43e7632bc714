"""« Baromètre des résultats de l'action publique »: the State's own follow-up of the plan.

Three formats of the same series:

- DITP CSV (current): ``indic_id,enforce_zone_id,metric_enforce_date,maille,indic_vi,indic_va,indic_vc,indic_ta``;
  zones ``FRANCE``, ``R84``, ``D01``; ``indic_va`` is the value, ``indic_vc`` the target (own row,
  dated at the target date), ``indic_vi`` the baseline.
- Etalab regional CSV (2017–2022): ``mesure,indicateur,id_indicateur,code_region,libelle_region,date,valeur,unite``.
- Etalab département xlsx: one sheet per département ("01", "2A", "971"), same columns with
  ``code_departement`` / ``libelle_departement``.

Source indicator ids are tied to catalogue ids by a mapping file (data, not code):
``data/raw/mappings/barometre.csv`` with columns ``source_id,indicator,label``.
"""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import openpyxl
import pandas as pd

from ... import periods
from ..contribution import Contribution
from ..errors import InputError
from . import _common

DITP_COLUMNS = ["indic_id", "enforce_zone_id", "metric_enforce_date", "maille", "indic_vi", "indic_va",
                "indic_vc", "indic_ta"]
ETALAB_COLUMNS = ["mesure", "indicateur", "id_indicateur", "code_region", "libelle_region", "date", "valeur", "unite"]
ETALAB_DEPT_REQUIRED = ["id_indicateur", "date", "valeur"]
META_START = "indic_id,indic_parent_ch"
MAPPING_COLUMNS = ["source_id", "indicator", "label"]
DEPT_SHEET_RE = re.compile(r"^(?:\d{2}|2[AB]|97\d)$")

PRIORITY_DITP = 10
PRIORITY_ETALAB = 20
SNIFF_LINES = 10  # a header a few lines down is still recognised, so read() can say where it should be

DEFAULT_MAPPING = Path(__file__).resolve().parents[3] / "data" / "raw" / "mappings" / "barometre.csv"


# --- mapping ---------------------------------------------------------------------------------

def find_mapping(path: Path, options: dict | None) -> Path:
    """options["mapping"], else ``mappings/barometre.csv`` in the raw folder (searched upward from
    the file, so a user's raw folder can carry its own), else the repository's default."""
    if options and options.get("mapping"):
        return Path(options["mapping"])
    for folder in list(Path(path).resolve().parents)[:3]:
        candidate = folder / "mappings" / "barometre.csv"
        if candidate.is_file():
            return candidate
    return DEFAULT_MAPPING


def load_mapping(path: Path) -> dict[str, tuple[str, str]]:
    """source_id -> (catalogue indicator id, label)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "table de correspondance du baromètre introuvable (colonnes attendues : "
                               "source_id,indicator,label)", 1, "source_id")
    text = _common.decode_utf8(path, _common.read_bytes(path))
    rows = list(_common.csv_rows(text))
    if not rows or not any(f.strip() for f in rows[0][1]):
        raise InputError(path, "table de correspondance vide", 1, "source_id")
    header = [h.strip() for h in rows[0][1]]
    for col in MAPPING_COLUMNS:
        if col not in header:
            raise InputError(path, f"colonne « {col} » absente de la table de correspondance ; colonnes trouvées : "
                                   f"{', '.join(header)}", 1, col)
    idx = {c: header.index(c) for c in MAPPING_COLUMNS}
    mapping: dict[str, tuple[str, str]] = {}
    for line, fields in rows[1:]:
        if not any(f.strip() for f in fields):
            continue
        if len(fields) < len(header):
            raise InputError(path, f"{len(header)} valeurs attendues, {len(fields)} trouvées", line, len(fields) + 1)
        sid, ind = fields[idx["source_id"]].strip(), fields[idx["indicator"]].strip()
        if not sid or not re.fullmatch(r"[a-z][a-z0-9_]*", ind):
            raise InputError(path, f"correspondance invalide « {sid} » -> « {ind} » (identifiant d'indicateur "
                                   f"attendu en minuscules, ex. msp_count)", line, "indicator")
        if sid in mapping:
            raise InputError(path, f"identifiant source « {sid} » en double", line, "source_id")
        mapping[sid] = (ind, fields[idx["label"]].strip())
    return mapping


# --- parsing helpers -------------------------------------------------------------------------

def _zone_ditp(path: Path, value: str, line: int) -> str:
    v = value.strip()
    if v == "FRANCE":
        return "FR"
    if re.fullmatch(r"R\d{2}|D(?:\d{2}|2[AB]|97\d)", v):
        return v
    if re.fullmatch(r"[RD]\d", v):
        raise InputError(path, f"zone « {v} » : le zéro initial a été perdu (attendu « {v[0]}0{v[1]} »)", line,
                         "enforce_zone_id")
    raise InputError(path, f"zone inconnue « {value} » (attendu FRANCE, R84 ou D01, D2A, D971…)", line,
                     "enforce_zone_id")


def _zone_region(path: Path, value: str, line: int, column: str) -> str:
    v = value.strip()
    if re.fullmatch(r"\d{1,2}", v):
        return "R" + v.zfill(2)
    raise InputError(path, f"code région inconnu « {value} » (attendu un code INSEE de région, ex. 84)", line, column)


def _zone_departement(path: Path, value: str, line: int, column: str) -> str:
    v = value.strip()
    if re.fullmatch(r"\d{2}|2[AB]|97\d", v):
        return "D" + v
    if re.fullmatch(r"\d", v):
        raise InputError(path, f"code département « {v} » : le zéro initial a été perdu (attendu « 0{v} »)",
                         line, column)
    raise InputError(path, f"code département inconnu « {value} » (attendu 01…95, 2A, 2B, 971…)", line, column)


def _date(path: Path, value: object, line: int, column: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value if value is not None else "").strip()
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}(?:[ T]00:00(?::00)?)?", text):
            raise ValueError
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        raise InputError(path, f"date impossible « {text} » (attendu AAAA-MM-JJ, ex. 2023-12-01)", line,
                         column) from None


def _value(path: Path, value: object, line: int, column: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    try:
        return _common.parse_number(str(value))
    except ValueError:
        raise InputError(path, f"valeur non numérique « {value} » (attendu un nombre, ex. 383.0)", line,
                         column) from None


def _header(path: Path, rows: list, expected: list[str], required: list[str], fmt: str) -> dict[str, int]:
    if not rows or not any(f.strip() for f in rows[0][1]):
        raise InputError(path, f"fichier vide : en-tête {fmt} attendu ligne 1 ({','.join(expected)})", 1, expected[0])
    header = [h.strip().lstrip("\ufeff") for h in rows[0][1]]
    if len(header) == 1 and header[0].count(";") >= 2:
        raise InputError(path, f"séparateur « ; » trouvé : le fichier {fmt} doit être séparé par des virgules", 1,
                         expected[0])
    present = [c for c in required if c in header]
    if not present:
        for line, fields in rows[1:SNIFF_LINES]:
            if set(required) <= {f.strip() for f in fields}:
                raise InputError(path, f"en-tête trouvé ligne {line} au lieu de la ligne 1 : supprimer les lignes "
                                       f"qui le précèdent", 1, expected[0])
    for col in required:
        if col not in header:
            raise InputError(path, f"colonne « {col} » absente de l'en-tête {fmt} ; colonnes trouvées : "
                                   f"{', '.join(header)}", 1, col)
    return {c: header.index(c) for c in header}


def _read_csv(path: Path) -> list:
    data = _common.read_bytes(path)
    first = data.split(b"\n", 1)[0].decode("utf-8", errors="replace")
    header = [h.strip().lstrip("\ufeff") for h in first.split(",")]
    return list(_common.csv_rows(_common.decode_utf8(path, data, ",", header)))


def _sniff_header(path: Path, columns: list[str], must: str, minimum: int = 3) -> bool:
    try:
        with open(path, "rb") as fh:
            head = fh.read(8192)
        lines = head.decode("utf-8", errors="replace").lstrip("\ufeff").splitlines()[:SNIFF_LINES]
        for line in lines:
            names = {n.strip().strip('"') for n in re.split(r"[,;]", line)}
            if must in names and len(names & set(columns)) >= minimum:
                return True
        return False
    except Exception:
        return False


# --- records -> contribution -------------------------------------------------------------------

class _Collector:
    """Accumulates (indicator, zone, date) values of one file, checks duplicates, builds frames."""

    def __init__(self, path: Path, mapping: dict, label: str):
        self.path, self.mapping, self.label = path, mapping, label
        self.seen: dict[tuple, int] = {}
        self.obs: list[dict] = []
        self.targets: list[dict] = []
        self.unknown: dict[str, int] = {}
        self.rows = 0
        self.empty = 0

    def key(self, source_id: str, zone: str, date: dt.date, line: int, column: str) -> bool:
        """Register a row; False if its indicator is not mapped (the row is then ignored)."""
        k = (source_id, zone, date)
        if k in self.seen:
            raise InputError(self.path, f"ligne en double : {source_id}, zone {zone}, date {date.isoformat()} "
                                        f"(déjà ligne {self.seen[k]})", line, column)
        self.seen[k] = line
        if source_id not in self.mapping:
            self.unknown[source_id] = self.unknown.get(source_id, 0) + 1
            return False
        return True

    def add(self, source_id: str, zone: str, date: dt.date, value: float, note: str = "") -> None:
        self.obs.append({"indicator": self.mapping[source_id][0], "territory": zone,
                         "period": periods.from_date(date), "value": value, "status": "observed",
                         "source": f"{self.label}, {source_id}", "note": note, "_date": date})

    def target(self, source_id: str, zone: str, date: dt.date, value: float) -> None:
        self.targets.append({"indicator": self.mapping[source_id][0], "territory": zone,
                             "period": periods.from_date(date), "value": value,
                             "source": f"{self.label}, {source_id}", "_date": date})

    def contribution(self, source: str, priority: int, mapping_path: Path) -> Contribution:
        c = Contribution(source=source, file=str(self.path), rows=self.rows, priority=priority)
        c.observations = self._latest(self.obs, "observations")
        c.targets = self._latest(self.targets, "targets")
        dates = [r["_date"] for r in self.obs]
        c.millesime = max(dates).isoformat() if dates else ""
        c.report.append(f"{source} : {len(c.observations)} valeurs, {len(c.targets)} cibles"
                        + (f", {self.empty} ligne(s) vide(s) ignorée(s)" if self.empty else ""))
        for sid, n in sorted(self.unknown.items()):
            c.report.append(f"avertissement : indicateur « {sid} » absent de la table de correspondance "
                            f"{mapping_path} : {n} ligne(s) ignorée(s)")
        c.facts["barometre_unmapped_ids"] = sorted(self.unknown)
        return c

    @staticmethod
    def _latest(records: list[dict], table: str) -> pd.DataFrame:
        # Monthly series (e.g. IND-587) give several dates in one quarter: the quarter's value is the
        # latest situation, and the note says which date it is.
        if not records:
            return _common.frame(table, [])
        df = pd.DataFrame(records).sort_values("_date")
        df = df.drop_duplicates(["indicator", "territory", "period"], keep="last")
        if table == "observations":
            situation = "situation au " + df["_date"].map(lambda d: d.isoformat())
            df["note"] = df["note"].where(df["note"] == "", df["note"] + " ; ") + situation
        return df.drop(columns="_date")[_common.frame(table, []).columns].reset_index(drop=True)


# --- DITP CSV --------------------------------------------------------------------------------

def sniff_ditp(path: Path) -> bool:
    return _sniff_header(path, DITP_COLUMNS, "indic_id") and not _common.first_line(path).startswith(META_START)


def read_ditp(path: Path, options: dict | None = None) -> Contribution:
    path = Path(path)
    mapping_path = find_mapping(path, options)
    mapping = load_mapping(mapping_path)
    rows = _read_csv(path)
    idx = _header(path, rows, DITP_COLUMNS, DITP_COLUMNS[:3] + ["indic_vi", "indic_va", "indic_vc"], "DITP")
    col = DITP_COLUMNS
    out = _Collector(path, mapping, "Baromètre des résultats de l'action publique (DITP)")
    for line, fields in rows[1:]:
        if not any(f.strip() for f in fields):
            out.empty += 1
            continue
        if len(fields) != len(idx):
            raise InputError(path, f"{len(idx)} valeurs attendues, {len(fields)} trouvées", line,
                             col[min(len(fields), len(col) - 1)])
        get = {c: fields[i] for c, i in idx.items()}
        values = {c: _value(path, get[c], line, c) for c in ("indic_vi", "indic_va", "indic_vc")}
        sid = get["indic_id"].strip()
        if not sid:
            raise InputError(path, "identifiant d'indicateur vide", line, "indic_id")
        zone = _zone_ditp(path, get["enforce_zone_id"], line)
        date = _date(path, get["metric_enforce_date"], line, "metric_enforce_date")
        if all(v is None for v in values.values()):
            out.empty += 1  # a row with no value at all is a placeholder of the dataset, not an error
            continue
        out.rows += 1
        if not out.key(sid, zone, date, line, "indic_id"):
            continue
        if values["indic_va"] is not None:
            out.add(sid, zone, date, values["indic_va"])
        elif values["indic_vi"] is not None:
            out.add(sid, zone, date, values["indic_vi"], "valeur de référence (indic_vi)")
        if values["indic_vc"] is not None:
            out.target(sid, zone, date, values["indic_vc"])
    return out.contribution("Baromètre DITP", PRIORITY_DITP, mapping_path)


# --- Etalab regional CSV ---------------------------------------------------------------------

def sniff_etalab_csv(path: Path) -> bool:
    return _sniff_header(path, ETALAB_COLUMNS, "id_indicateur")


def _etalab_rows(path: Path, out: _Collector, records, zone_of) -> None:
    for line, get in records:
        if not any(str(v).strip() for v in get.values() if v is not None):
            out.empty += 1
            continue
        sid = str(get.get("id_indicateur") or "").strip()
        if not sid:
            raise InputError(path, "identifiant d'indicateur vide", line, "id_indicateur")
        zone = zone_of(get, line)
        date = _date(path, get.get("date"), line, "date")
        value = _value(path, get.get("valeur"), line, "valeur")
        if value is None:
            out.empty += 1
            continue
        out.rows += 1
        if out.key(sid, zone, date, line, "id_indicateur"):
            out.add(sid, zone, date, value)


def read_etalab_csv(path: Path, options: dict | None = None) -> Contribution:
    path = Path(path)
    mapping_path = find_mapping(path, options)
    mapping = load_mapping(mapping_path)
    rows = _read_csv(path)
    idx = _header(path, rows, ETALAB_COLUMNS, ["id_indicateur", "code_region", "date", "valeur"], "Etalab")
    out = _Collector(path, mapping, "Baromètre de l'action publique (Etalab)")

    def records():
        for line, fields in rows[1:]:
            if not any(f.strip() for f in fields):
                out.empty += 1
                continue
            if len(fields) != len(idx):
                names = list(idx)
                raise InputError(path, f"{len(idx)} valeurs attendues, {len(fields)} trouvées", line,
                                 names[min(len(fields), len(names) - 1)])
            yield line, {c: fields[i] for c, i in idx.items()}

    _etalab_rows(path, out, records(), lambda get, line: _zone_region(path, get["code_region"], line, "code_region"))
    return out.contribution("Baromètre Etalab", PRIORITY_ETALAB, mapping_path)


# --- Etalab département xlsx -------------------------------------------------------------------

def sniff_etalab_xlsx(path: Path) -> bool:
    """An xlsx whose sheets are named by département code and whose first sheet has ``id_indicateur``."""
    try:
        if not _common.is_zip(path):
            return False
        wb = openpyxl.load_workbook(path, read_only=True)
        try:
            names = [n.strip() for n in wb.sheetnames]
            if not names or not any(DEPT_SHEET_RE.match(n) for n in names):
                return False
            for row in wb[wb.sheetnames[0]].iter_rows(max_row=SNIFF_LINES, values_only=True):
                if any(str(c).strip() == "id_indicateur" for c in row if c is not None):
                    return True
            return False
        finally:
            wb.close()
    except Exception:
        return False


def _text(value: object) -> str:
    # dtype=str semantics: the workbook's cells as text, dates as ISO dates
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def read_etalab_xlsx(path: Path, options: dict | None = None) -> Contribution:
    path = Path(path)
    mapping_path = find_mapping(path, options)
    mapping = load_mapping(mapping_path)
    if not _common.is_zip(path):
        raise InputError(path, "classeur Excel (.xlsx) illisible : fichier vide, tronqué ou d'un autre format", 1, "A")
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:
        raise InputError(path, f"classeur Excel illisible ou tronqué ({type(exc).__name__})", 1, "A") from None
    out = _Collector(path, mapping, "Baromètre de l'action publique (Etalab)")
    try:
        sheets = [n for n in wb.sheetnames if DEPT_SHEET_RE.match(n.strip())]
        if not sheets:
            raise InputError(path, f"aucune feuille nommée par un code département (01, 2A, 971…) ; feuilles : "
                                   f"{', '.join(wb.sheetnames)}", 1, "A")
        for name in sheets:
            sheet = name.strip()
            where = f"{path} [feuille {sheet}]"
            raw = list(wb[name].iter_rows(values_only=True))
            rows = [(i + 1, [_text(c) for c in r]) for i, r in enumerate(raw) if r is not None]
            rows = rows or [(1, [])]
            idx = _header(Path(where), rows, ETALAB_COLUMNS, ETALAB_DEPT_REQUIRED, "Etalab (département)")
            code_col = next((c for c in ("code_departement", "code_dept", "departement") if c in idx), None)

            def zone_of(get, line, sheet=sheet, code_col=code_col, where=where):
                if code_col is None:
                    return "D" + sheet
                zone = _zone_departement(Path(where), get[code_col], line, code_col)
                if zone != "D" + sheet:
                    raise InputError(where, f"code département « {get[code_col]} » différent du nom de la "
                                            f"feuille « {sheet} »", line, code_col)
                return zone

            def records(rows=rows, idx=idx):
                for line, fields in rows[1:]:
                    yield line, {c: (fields[i] if i < len(fields) else "") for c, i in idx.items()}

            _etalab_rows(Path(where), out, records(), zone_of)
    finally:
        wb.close()
    return out.contribution("Baromètre Etalab (départements)", PRIORITY_ETALAB, mapping_path)


# --- files recognised but not used -------------------------------------------------------------

def sniff_meta(path: Path) -> bool:
    return _common.first_line(path).startswith(META_START)


def read_meta(path: Path, options: dict | None = None) -> Contribution:
    c = Contribution(source="Baromètre (métadonnées)", file=str(path), priority=PRIORITY_DITP)
    c.report.append("métadonnées des indicateurs du baromètre reconnues, non utilisées")
    return c


def sniff_mapping(path: Path) -> bool:
    # Lenient (first column only) so that a mapping file missing a column is read and reported.
    return _common.first_line(path).replace(" ", "").startswith("source_id,")


def read_mapping(path: Path, options: dict | None = None) -> Contribution:
    mapping = load_mapping(Path(path))
    c = Contribution(source="Correspondance du baromètre", file=str(path), rows=len(mapping))
    c.report.append(f"table de correspondance du baromètre : {len(mapping)} identifiant(s) source reconnu(s)")
    return c
