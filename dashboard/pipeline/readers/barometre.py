"""« Baromètre des résultats de l'action publique »: the State's own follow-up of the plan.

Three formats of the same series:

- DITP CSV (current): ``indic_id,enforce_zone_id,metric_enforce_date,maille,indic_vi,indic_va,indic_vc,indic_ta``;
  zones ``FRANCE``, ``R84``, ``D01``; ``indic_va`` is the value, ``indic_vc`` the target (own row,
  dated at the target date), ``indic_vi`` the baseline.
- Etalab CSV (2017–2022): regional edition
  ``mesure,indicateur,id_indicateur,code_region,libelle_region,date,valeur,unite``; national edition
  ``mesure,indicateur,id_indicateur,maille_geographique,date,valeur,unite`` (no territory column: France).
- Etalab département xlsx: one sheet per département ("01", "2A", "971"), same columns with
  ``code_departement`` / ``libelle_departement``.

CSV files are read as published (``,``) or as re-saved by a French Excel (``;``, decimal comma, BOM,
dates ``01/12/2023``); placeholder rows of the official files (a zone, no date, no value) are skipped and
counted. The dataset's metadata files (``meta_indicateurs.csv``, ``meta_chantiers.csv``…) are
recognised and set aside with a note.

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
from . import _common, csvutil

DITP_COLUMNS = ["indic_id", "enforce_zone_id", "metric_enforce_date", "maille", "indic_vi", "indic_va",
                "indic_vc", "indic_ta"]
ETALAB_COLUMNS = ["mesure", "indicateur", "id_indicateur", "code_region", "libelle_region", "date", "valeur", "unite"]
ETALAB_REQUIRED = ["id_indicateur", "date", "valeur"]
ETALAB_CODE_COLUMNS = {"code_region": "region", "code_departement": "departement", "code_dept": "departement",
                       "departement": "departement"}
NATIONAL_MAILLES = ("nation", "france", "pays", "fr")
# Metadata of the dataset (meta_indicateurs.csv, meta_chantiers.csv, meta_engagement.csv…): an id
# column of the baromètre and none of the value columns of a data file.
META_ID_COLUMNS = {"indic_id", "indic_parent_ch", "chantier_id", "ch_id", "engagement_id", "perimetre_id"}
DATA_COLUMNS = {"indic_va", "indic_vi", "indic_vc", "metric_enforce_date", "valeur", "date"}
MAPPING_COLUMNS = ["source_id", "indicator", "label"]
DEPT_SHEET_RE = re.compile(r"^(?:\d{2}|2[AB]|97\d)$")

# Where each value was read, and the column of its date (see plausibility).
LOCATION = ["_file", "_row", "_column", "_period_column"]
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
    table = csvutil.read_table(path)
    if not any(table.header):
        raise InputError(path, "table de correspondance vide", 1, "source_id")
    header = table.header
    for col in MAPPING_COLUMNS:
        if col not in header:
            raise InputError(path, f"colonne « {col} » absente de la table de correspondance ; colonnes trouvées : "
                                   f"{', '.join(header)}", 1, col)
    idx = {c: header.index(c) for c in MAPPING_COLUMNS}
    mapping: dict[str, tuple[str, str]] = {}
    for line, fields in table.rows:
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


# The DITP files say a zone's level twice (FRANCE/R84/D01 and NAT/REG/DEPT): both must agree.
MAILLE_OF = {"pays": "NAT", "region": "REG", "departement": "DEPT"}
REGIONS_BEFORE_2016 = Path(__file__).with_name("regions_avant_2016.csv")


def check_maille(path: Path, zone: str, maille: str, line: int) -> None:
    """A row whose ``maille`` contradicts its zone (``D15`` at ``REG``) is a file assembled wrongly."""
    expected = MAILLE_OF["pays" if zone == "FR" else ("region" if zone.startswith("R") else "departement")]
    if maille.strip() and maille.strip().upper() != expected:
        raise InputError(path, f"maille « {maille.strip()} » contredite par la zone « {zone if zone != 'FR' else 'FRANCE'} » "
                               f"(attendu {expected}) : ligne d'un autre niveau ou colonnes décalées", line, "maille")


def old_regions() -> dict[str, tuple[str, str]]:
    """INSEE codes of the regions merged on 1 January 2016 -> (their name, the new region's code)."""
    table = csvutil.read_table(REGIONS_BEFORE_2016)
    cols = {c: i for i, c in enumerate(table.header)}
    return {f[cols["ancien_code"]]: (f[cols["ancien_nom"]], f[cols["nouveau_code"]]) for _line, f in table.rows}


def _zone_region(path: Path, value: str, line: int, column: str) -> str:
    v = value.strip()
    if re.fullmatch(r"\d{1,2}", v):
        merged = old_regions().get(v.zfill(2))
        if merged:   # a part of a region is not the region: its value cannot stand for the merged one
            raise InputError(path, f"code région « {v} » d'avant la réforme de 2016 ({merged[0]}, fusionnée dans la "
                                   f"région {merged[1]}) : la valeur d'une ancienne région n'est pas celle de la "
                                   f"nouvelle ; utiliser l'édition du fichier aux régions de 2016", line, column)
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
    if not text:
        raise InputError(path, "date manquante alors que la ligne porte une valeur (attendu AAAA-MM-JJ, "
                               "ex. 2023-12-01)", line, column)
    try:
        return csvutil.parse_date(text)
    except ValueError:
        raise InputError(path, f"date impossible « {text} » (attendu AAAA-MM-JJ ou JJ/MM/AAAA, ex. 2023-12-01)",
                         line, column) from None


def _value(path: Path, value: object, line: int, column: str, decimal_comma: bool = True) -> float | None:
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    try:
        return csvutil.parse_number(str(value), decimal_comma)
    except ValueError:
        hint = "" if decimal_comma or "," not in str(value) else \
            " ; dans un fichier séparé par des virgules, la virgule décimale est ambiguë : écrire 175.5"
        raise InputError(path, f"valeur non numérique « {value} » (attendu un nombre, ex. 383.0){hint}", line,
                         column) from None


def _header(path: Path, header: list[str], rows: list, expected: list[str], required: list[str],
            fmt: str) -> dict[str, int]:
    if not any(header):
        raise InputError(path, f"fichier vide : en-tête {fmt} attendu ligne 1 ({','.join(expected)})", 1, expected[0])
    present = [c for c in required if c in header]
    if not present:
        for line, fields in rows[:SNIFF_LINES]:
            if set(required) <= {f.strip() for f in fields}:
                raise InputError(path, f"en-tête trouvé ligne {line} au lieu de la ligne 1 : supprimer les lignes "
                                       f"qui le précèdent", 1, expected[0])
    for col in required:
        if col not in header:
            raise InputError(path, f"colonne « {col} » absente de l'en-tête {fmt} ; colonnes trouvées : "
                                   f"{', '.join(header)}", 1, col)
    return {c: header.index(c) for c in header}


def _sniff_header(path: Path, columns: list[str], must: str, minimum: int = 3) -> bool:
    try:
        with open(path, "rb") as fh:
            head = fh.read(8192)
        lines = head.decode("utf-8", errors="replace").lstrip("\ufeff").splitlines()[:SNIFF_LINES]
        for line in lines:
            names = {n.strip().strip('"') for n in re.split(r"[,;\t]", line)}
            if must in names and len(names & set(columns)) >= minimum:
                return True
        return False
    except Exception:
        return False


# --- records -> contribution -------------------------------------------------------------------

class _Collector:
    """Accumulates (indicator, zone, date) values of one file, checks duplicates, builds frames.

    Every value keeps where it was read (``_file``, ``_row``, ``_column``) so that the build's
    plausibility check names the cell of an implausible value.
    """

    def __init__(self, path: Path, mapping: dict, label: str, date_column: str):
        self.path, self.mapping, self.label, self.date_column = path, mapping, label, date_column
        self.seen: dict[tuple, int] = {}
        self.obs: list[dict] = []
        self.targets: list[dict] = []
        self.baselines: list[dict] = []
        self.unknown: dict[str, int] = {}
        self.rows = 0
        self.empty = 0          # dated rows with no value
        self.placeholders = 0   # rows with neither date nor value (the official files hold dozens)

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

    def _record(self, source_id: str, zone: str, date: dt.date, value: float, where: tuple) -> dict:
        file, line, column = where
        return {"indicator": self.mapping[source_id][0], "territory": zone, "period": periods.from_date(date),
                "value": value, "source": f"{self.label}, {source_id}", "_date": date, "date": date.isoformat(),
                "_file": str(file), "_row": line, "_column": column, "_period_column": self.date_column}

    def add(self, source_id: str, zone: str, date: dt.date, value: float, where: tuple, note: str = "") -> None:
        self.obs.append({**self._record(source_id, zone, date, value, where), "status": "observed", "note": note})

    def target(self, source_id: str, zone: str, date: dt.date, value: float, where: tuple) -> None:
        self.targets.append(self._record(source_id, zone, date, value, where))

    def baseline(self, source_id: str, zone: str, date: dt.date, value: float, where: tuple) -> None:
        """The series' own baseline (``indic_vi``, dated by its row): the State's taux d'avancement starts there."""
        self.baselines.append(self._record(source_id, zone, date, value, where))

    def contribution(self, source: str, priority: int, mapping_path: Path) -> Contribution:
        c = Contribution(source=source, file=str(self.path), rows=self.rows, priority=priority)
        c.observations = self._latest(self.obs, "observations")
        c.targets = self._latest(self.targets, "targets")
        c.baselines = _one_baseline(self.baselines)
        dates = [r["_date"] for r in self.obs]
        c.millesime = max(dates).isoformat() if dates else ""
        skipped = [f"{self.empty} ligne(s) sans valeur ignorée(s)" if self.empty else "",
                   f"{self.placeholders} ligne(s) sans date ni valeur (lignes d'attente du jeu de données) "
                   f"ignorée(s)" if self.placeholders else ""]
        c.report.append(f"{source} : {len(c.observations)} valeurs, {len(c.targets)} cibles"
                        + "".join(f", {s}" for s in skipped if s))
        for sid, n in sorted(self.unknown.items()):
            c.report.append(f"avertissement : indicateur « {sid} » absent de la table de correspondance "
                            f"{mapping_path} : {n} ligne(s) ignorée(s)")
        c.facts["barometre_unmapped_ids"] = sorted(self.unknown)
        c.facts.setdefault("barometre_skipped_rows", {})[str(self.path)] = {
            "placeholders": self.placeholders, "no_value": self.empty}
        return c

    @staticmethod
    def _latest(records: list[dict], table: str) -> pd.DataFrame:
        # Monthly series (e.g. IND-587) give several dates in one quarter: the quarter's value is the
        # latest situation, and the note says which date it is.
        columns = list(_common.frame(table, []).columns) + LOCATION
        if not records:
            return pd.DataFrame(columns=columns)
        df = pd.DataFrame(records).sort_values("_date")
        df = df.drop_duplicates(["indicator", "territory", "period"], keep="last")
        if table == "observations":
            situation = "situation au " + df["_date"].map(lambda d: d.isoformat())
            df["note"] = df["note"].where(df["note"] == "", df["note"] + " ; ") + situation
        return df[columns].reset_index(drop=True)


def _one_baseline(records: list[dict]) -> pd.DataFrame:
    """One baseline per series: the latest-dated ``indic_vi`` (the State states one per series; a re-based
    series would restate it later)."""
    columns = list(_common.frame("baselines", []).columns) + LOCATION
    if not records:
        return pd.DataFrame(columns=columns)
    df = pd.DataFrame(records).sort_values("_date")
    return df.drop_duplicates(["indicator", "territory"], keep="last")[columns].reset_index(drop=True)


# --- DITP CSV --------------------------------------------------------------------------------

def sniff_ditp(path: Path) -> bool:
    return _sniff_header(path, DITP_COLUMNS, "indic_id") and not sniff_meta(path)


def read_ditp(path: Path, options: dict | None = None) -> Contribution:
    path = Path(path)
    mapping_path = find_mapping(path, options)
    mapping = load_mapping(mapping_path)
    table = csvutil.read_table(path)
    idx = _header(path, table.header, table.rows, DITP_COLUMNS, DITP_COLUMNS[:3] + ["indic_vi", "indic_va", "indic_vc"],
                  "DITP")
    out = _Collector(path, mapping, "Baromètre des résultats de l'action publique (DITP)", "metric_enforce_date")
    for line, fields in table.rows:
        if len(fields) != len(idx):
            raise InputError(path, f"{len(idx)} valeurs attendues, {len(fields)} trouvées", line,
                             list(idx)[min(len(fields), len(idx) - 1)])
        get = {c: fields[i] for c, i in idx.items()}
        values = {c: _value(path, get[c], line, c, table.decimal_comma) for c in ("indic_vi", "indic_va", "indic_vc")}
        if all(v is None for v in values.values()) and not get["metric_enforce_date"].strip():
            out.placeholders += 1   # a zone, no date, no value: a placeholder of the dataset, it carries nothing
            continue
        sid = get["indic_id"].strip()
        if not sid:
            raise InputError(path, "identifiant d'indicateur vide", line, "indic_id")
        zone = _zone_ditp(path, get["enforce_zone_id"], line)
        check_maille(path, zone, get["maille"], line)
        date = _date(path, get["metric_enforce_date"], line, "metric_enforce_date")
        if all(v is None for v in values.values()):
            out.empty += 1  # a row with no value at all is a placeholder of the dataset, not an error
            continue
        out.rows += 1
        if not out.key(sid, zone, date, line, "indic_id"):
            continue
        if values["indic_va"] is not None:
            out.add(sid, zone, date, values["indic_va"], (path, line, "indic_va"))
        elif values["indic_vi"] is not None:
            out.add(sid, zone, date, values["indic_vi"], (path, line, "indic_vi"), "valeur de référence (indic_vi)")
        if values["indic_vc"] is not None:
            out.target(sid, zone, date, values["indic_vc"], (path, line, "indic_vc"))
        if values["indic_vi"] is not None:
            out.baseline(sid, zone, date, values["indic_vi"], (path, line, "indic_vi"))
    return out.contribution("Baromètre DITP", PRIORITY_DITP, mapping_path)


# --- Etalab CSV (regional or national edition) ---------------------------------------------------

def sniff_etalab_csv(path: Path) -> bool:
    return _sniff_header(path, ETALAB_COLUMNS + ["maille_geographique"], "id_indicateur")


def _etalab_rows(where: Path, out: _Collector, records, zone_of, decimal_comma: bool = True) -> None:
    for line, get in records:
        if not any(str(v).strip() for v in get.values() if v is not None):
            out.empty += 1
            continue
        value = _value(where, get.get("valeur"), line, "valeur", decimal_comma)
        if value is None and not str(get.get("date") or "").strip():
            out.placeholders += 1
            continue
        sid = str(get.get("id_indicateur") or "").strip()
        if not sid:
            raise InputError(where, "identifiant d'indicateur vide", line, "id_indicateur")
        zone = zone_of(get, line)
        date = _date(where, get.get("date"), line, "date")
        if value is None:
            out.empty += 1
            continue
        out.rows += 1
        if out.key(sid, zone, date, line, "id_indicateur"):
            out.add(sid, zone, date, value, (where, line, "valeur"))


def _etalab_zone(path: Path, idx: dict[str, int]):
    """How a row of an Etalab CSV names its territory: a region or département code column, or
    none at all in the national edition (every row is France; its ``maille_geographique`` says so)."""
    code_col = next((c for c in ETALAB_CODE_COLUMNS if c in idx), None)
    if code_col and ETALAB_CODE_COLUMNS[code_col] == "region":
        return lambda get, line: _zone_region(path, get[code_col], line, code_col)
    if code_col:
        return lambda get, line: _zone_departement(path, get[code_col], line, code_col)

    def national(get, line):
        maille = _norm_text(get.get("maille_geographique") or "")
        if maille and not any(m in maille for m in NATIONAL_MAILLES):
            raise InputError(path, f"maille « {get['maille_geographique']} » sans colonne de code territorial "
                                   f"(code_region ou code_departement) : seule la maille nationale se lit sans code",
                             line, "maille_geographique")
        return "FR"
    return national


def _norm_text(text: str) -> str:
    import unicodedata
    return "".join(c for c in unicodedata.normalize("NFD", str(text).strip().lower()) if not unicodedata.combining(c))


def read_etalab_csv(path: Path, options: dict | None = None) -> Contribution:
    path = Path(path)
    mapping_path = find_mapping(path, options)
    mapping = load_mapping(mapping_path)
    table = csvutil.read_table(path)
    idx = _header(path, table.header, table.rows, ETALAB_COLUMNS, ETALAB_REQUIRED, "Etalab")
    out = _Collector(path, mapping, "Baromètre de l'action publique (Etalab)", "date")

    def records():
        names = list(idx)
        for line, fields in table.rows:
            if len(fields) != len(idx):
                raise InputError(path, f"{len(idx)} valeurs attendues, {len(fields)} trouvées", line,
                                 names[min(len(fields), len(names) - 1)])
            yield line, {c: fields[i] for c, i in idx.items()}

    _etalab_rows(path, out, records(), _etalab_zone(path, idx), table.decimal_comma)
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
    out = _Collector(path, mapping, "Baromètre de l'action publique (Etalab)", "date")
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
            idx = _header(Path(where), [h.strip() for h in rows[0][1]], rows[1:], ETALAB_COLUMNS, ETALAB_REQUIRED,
                          "Etalab (département)")
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

def _header_names(path: Path) -> set[str]:
    return {n.strip().strip('"').lower() for n in re.split(r"[,;\t]", _common.first_line(path))}


def sniff_meta(path: Path) -> bool:
    """The dataset's metadata (``meta_indicateurs.csv``, ``meta_chantiers.csv``…): a baromètre id
    column and none of the date or value columns of a data file."""
    names = _header_names(path)
    return bool(names & META_ID_COLUMNS) and not names & DATA_COLUMNS


def read_meta(path: Path, options: dict | None = None) -> Contribution:
    c = Contribution(source="Baromètre (métadonnées)", file=str(path), priority=PRIORITY_DITP)
    c.report.append(f"métadonnées du baromètre reconnues et mises de côté ({Path(path).name}) : non utilisées, "
                    f"les libellés et définitions viennent du catalogue des indicateurs")
    return c


def sniff_mapping(path: Path) -> bool:
    # Lenient (first column only) so that a mapping file missing a column is read and reported.
    return re.split(r"[,;\t]", _common.first_line(path).replace(" ", ""))[0] == "source_id"


def read_mapping(path: Path, options: dict | None = None) -> Contribution:
    mapping = load_mapping(Path(path))
    c = Contribution(source="Correspondance du baromètre", file=str(path), rows=len(mapping))
    c.report.append(f"table de correspondance du baromètre : {len(mapping)} identifiant(s) source reconnu(s)")
    return c
