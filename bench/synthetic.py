"""Synthetic national inputs for benchmarks (no real data needed).

``make_apl_workbook`` writes a DREES-layout APL workbook: a ``Paramètres`` sheet, then the
sheet ``APL 2022`` with title/notes in rows 1–8, the header in row 9, units in row 10 and
one row per commune from row 11 (codes as text, Corsica 2A/2B, overseas 97x, Lyon/Paris/
Marseille arrondissements).
"""
from __future__ import annotations

import random
from pathlib import Path

import openpyxl

HEADER = ["Code commune INSEE", "Commune", "APL aux médecins généralistes",
          "APL aux médecins généralistes de moins de 65 ans",
          "Population standardisée 2020 pour la médecine générale", "Population totale 2020"]
UNITS = [None, None, "En nombre de consultations/visites accessibles par habitant standardisé",
         "En nombre de consultations/visites accessibles par habitant standardisé",
         "En nombre d'habitants standardisés", "En nombre d'habitants"]
NOTES = [
    "Indicateur d'accessibilité potentielle localisée (APL) 2022 aux médecins généralistes", None,
    "Millésime : 2022", "Sources : synthétiques (banc d'essai), aucune donnée réelle.", "Champ : France hors Mayotte.",
    "Lecture : …",
    "Note : Pour calculer un APL moyen, l'APL communal doit être pondéré par la population standardisée.", None,
]
DEPARTEMENTS = [f"{d:02d}" for d in range(1, 96) if d != 20] + ["2A", "2B", "971", "972", "973", "974"]
ARRONDISSEMENTS = ([f"6938{i}" for i in range(1, 10)] + [f"751{i:02d}" for i in range(1, 21)]
                   + [f"132{i:02d}" for i in range(1, 17)])


def commune_codes(n: int) -> list[str]:
    """n distinct INSEE-like codes spread over every département (arrondissements included)."""
    codes = list(ARRONDISSEMENTS)[:n]
    taken = set(codes)
    i = 1
    while len(codes) < n and i < 1000:
        for dep in DEPARTEMENTS:
            width = 5 - len(dep)
            code = dep + str(i).zfill(width)
            if i < 10 ** width and code not in taken and len(codes) < n:
                codes.append(code)
                taken.add(code)
        i += 1
    return sorted(codes)


def make_apl_workbook(path: str | Path, n_communes: int = 35000, seed: int = 0,
                      codes: list[str] | None = None) -> Path:
    """``codes``: real INSEE codes to use (e.g. the reference's communes), else synthetic ones."""
    rng = random.Random(seed)
    wb = openpyxl.Workbook(write_only=True)
    params = wb.create_sheet("Paramètres")
    params.append(["Paramètres de l'indicateur d'APL aux médecins généralistes (synthétique)"])
    ws = wb.create_sheet("APL 2022")
    for note in NOTES:
        ws.append([note])
    ws.append(HEADER)
    ws.append(UNITS)
    for code in (codes or commune_codes(n_communes)):
        pop = max(0, int(rng.lognormvariate(6.3, 1.3)))
        std = round(pop * rng.uniform(0.85, 1.15), 3)
        value = round(max(0.0, rng.gauss(3.5, 1.2)), 3)
        ws.append([code, f"Commune {code}", value, round(value * rng.uniform(0.7, 1.0), 3), std, pop])
    wb.save(path)
    return Path(path)


if __name__ == "__main__":  # python -m bench.synthetic /tmp/apl.xlsx
    import sys

    print(make_apl_workbook(sys.argv[1] if len(sys.argv) > 1 else "apl_synthetique.xlsx"))
