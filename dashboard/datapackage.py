"""The store as a Frictionless Data Package (https://specs.frictionlessdata.io/data-package/): CSV files written by
:func:`dashboard.exports.to_csv` (« ; », decimal comma, UTF-8 with a BOM) and a ``datapackage.json`` naming each
file's Table Schema, the licence (Etalab 2.0), the sources and their releases (millésimes).

Pure over a Store: on the public instance the Store is already filtered (public indicators, observed values), so
the package holds no more than the kiosk shows. ``python -m dashboard.pipeline export --out DIR`` and the download
on « Indicateurs » (``/export/donnees.zip``) both call :func:`write` / :func:`zipped`.
"""
from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pandas as pd

from . import exports, store
from .territory import LEVEL_LABELS

LICENCE = {"name": "etalab-2.0", "title": "Licence Ouverte / Open Licence version 2.0",
           "path": "https://www.etalab.gouv.fr/licence-ouverte-open-licence/"}
DIALECT = {"delimiter": ";", "header": True}
NUMBER = {"type": "number", "decimalChar": ",", "groupChar": ""}

# resource -> [(column, Table Schema type or field dict, description)]
FIELDS: dict[str, list[tuple[str, object, str]]] = {
    "valeurs": [(c, NUMBER if c == "valeur" else "string", d) for c, d in exports.COLUMNS],
    "indicateurs": [("id", "string", "identifiant"), ("libelle", "string", "libellé"),
                    ("libelle_court", "string", "libellé court"), ("unite", "string", "unité"),
                    ("polarite", "string", "higher : plus c'est haut, mieux c'est ; lower : l'inverse ; none"),
                    ("niveaux", "string", "niveaux territoriaux, séparés par « | »"),
                    ("frequence", "string", "fréquence de la source"), ("definition", "string", "définition"),
                    ("source", "string", "source"), ("public", "boolean", "montré au public (kiosque)"),
                    ("plan", "boolean", "indicateur du plan")],
    "territoires": [("code", "string", "code (FR, R84, D15, E…, C…)"), ("nom", "string", "nom"),
                    ("niveau", "string", "niveau"), ("region", "string", "région"),
                    ("departement", "string", "département"), ("epci", "string", "EPCI"),
                    ("population", "integer", "population")],
    "cibles": [("indicateur", "string", "identifiant de l'indicateur"), ("territoire", "string", "code du territoire"),
               ("periode", "string", "trimestre de la cible (2026Q4)"), ("valeur", NUMBER, "valeur cible"),
               ("source", "string", "source de la cible")],
}
TITLES = {"valeurs": "Valeurs par indicateur, territoire et trimestre", "indicateurs": "Catalogue des indicateurs",
          "territoires": "Territoires", "cibles": "Cibles du plan"}
PRIMARY_KEYS = {"valeurs": ["indicateur", "territoire", "periode"], "indicateurs": ["id"], "territoires": ["code"]}


def tables(data: store.Store) -> dict[str, pd.DataFrame]:
    """One frame per resource, columns as in :data:`FIELDS`, in a stable order."""
    ind = data.indicators.sort_values("order", kind="stable").reset_index(drop=True)
    ter = data.territories.reset_index(drop=True).sort_values("code", kind="stable")
    tgt = data.targets.sort_values(["indicator", "territory", "period"], kind="stable")
    frames = {
        "valeurs": exports.all_values(data),
        "indicateurs": pd.DataFrame({
            "id": ind["id"], "libelle": ind["label"], "libelle_court": ind["short_label"].fillna(""),
            "unite": ind["unit"], "polarite": ind["polarity"].fillna("none"), "niveaux": ind["levels"],
            "frequence": ind["frequency"].fillna(""), "definition": ind["definition"].fillna(""),
            "source": ind["source"].fillna(""), "public": ind["public"].map(_bool), "plan": ind["plan"].map(_bool)}),
        "territoires": pd.DataFrame({
            "code": ter["code"], "nom": ter["name"], "niveau": ter["level"].map(lambda lv: LEVEL_LABELS.get(lv, lv)),
            "region": ter["region"], "departement": ter["departement"], "epci": ter["epci"],
            "population": pd.to_numeric(ter["population"], errors="coerce").round().astype("Int64")}),
        "cibles": pd.DataFrame({"indicateur": tgt["indicator"], "territoire": tgt["territory"],
                                "periode": tgt["period"], "valeur": tgt["value"], "source": tgt["source"].fillna("")}),
    }
    return {name: frame.reset_index(drop=True)[[c for c, _, _ in FIELDS[name]]] for name, frame in frames.items()}


def _bool(value) -> str:
    return "true" if str(value).strip().lower() in ("1", "true", "yes", "oui") else "false"


def descriptor(data: store.Store, names: list[str]) -> dict:
    """``datapackage.json``: resources with their Table Schema, licence, sources and releases."""
    resources = []
    for name in names:
        fields = [{"name": c, **(t if isinstance(t, dict) else {"type": t}), "description": d}
                  for c, t, d in FIELDS[name]]
        schema = {"fields": fields, "missingValues": [""]}
        if name in PRIMARY_KEYS:
            schema["primaryKey"] = PRIMARY_KEYS[name]
        resources.append({"name": name, "title": TITLES[name], "path": f"{name}.csv", "format": "csv",
                          "mediatype": "text/csv", "encoding": "utf-8-sig", "dialect": DIALECT, "schema": schema})
    return {
        "name": "acces-soins", "title": "Accès aux soins – suivi du plan : indicateurs, territoires, valeurs",
        "description": "Valeurs trimestrielles des indicateurs du plan d'accès aux soins, chacune observée (source "
                       "nommée), estimée (méthode nommée) ou de démonstration (colonne statut).",
        "version": data.version, "created": data.built_at, "licenses": [LICENCE],
        "sources": sources(data), "resources": resources,
    }


def sources(data: store.Store) -> list[dict]:
    """The inputs of the build with their release (millésime) when the manifest keeps them (not on the public
    instance), then every source named by a value."""
    out, seen = [], set()
    for item in data.manifest.get("inputs") or []:
        title = item.get("source") or ""
        key = (title, item.get("millesime") or "")
        if title and key not in seen:
            seen.add(key)
            out.append({"title": title + (f" (millésime {key[1]})" if key[1] else "")})
    named = {s["title"].split(" (millésime")[0] for s in out}
    for title in sorted(set(data.observations["source"].dropna()) - named - {""}):
        out.append({"title": title})
    return out


def write(data: store.Store, out: Path) -> Path:
    """Write the package into ``out`` (created); returns the path of datapackage.json."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    frames = tables(data)
    for name, frame in frames.items():
        (out / f"{name}.csv").write_text(exports.to_csv(frame), encoding="utf-8")
    path = out / "datapackage.json"
    path.write_text(json.dumps(descriptor(data, list(frames)), ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def zipped(data: store.Store) -> bytes:
    """The package as one ZIP (the download of « Indicateurs »)."""
    frames = tables(data)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, frame in frames.items():
            z.writestr(f"{name}.csv", exports.to_csv(frame))
        z.writestr("datapackage.json", json.dumps(descriptor(data, list(frames)), ensure_ascii=False, indent=2))
    return buf.getvalue()


def filename(data: store.Store) -> str:
    return f"acces-soins-donnees-{data.version}.zip"
