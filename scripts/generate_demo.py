"""Generate the embedded *demo* values (data/raw/plan/demo.csv), seeded and reproducible.

Why: the real figures we may ship (data/raw/plan/suivi_plan.csv, from the source documents)
are regional and sparse. To exercise département breakdowns, quarterly charts and maps,
this script fills the gaps with values marked ``demo`` — never to be read as fact — and
keeps them consistent with the real figures:

* quarters between two real regional values: linear interpolation (counts rounded);
* départements at every regional quarter: the regional value split in proportion to
  population times a fixed random factor per département (seeded), integer counts by
  largest remainder so that départements add up exactly to the region; real
  département values (e.g. no Asalée team in Cantal in 2018, 66 MSU in Ain) are kept
  and only the remainder is split; percentages are spread around the regional value so
  that their population-weighted mean equals it;
* medical assistants and médicobus (plan 2023 levers) have no open figure at all: a
  small increasing demo series over 2023.

Run: ``.venv/bin/python scripts/generate_demo.py`` (rewrites demo.csv; same seed, same file).
"""
from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
import sys  # noqa: E402

sys.path.insert(0, str(ROOT))
from dashboard import periods  # noqa: E402

SEED = 20231231
REGION = "R84"
RAW = ROOT / "data" / "raw"
OUT = RAW / "plan" / "demo.csv"
COUNTS = ["msp_count", "cds_count", "cds_pluripro_count", "mcs_count", "asalee_teams", "asalee_doctors",
          "asalee_nurses", "msu_count", "contracts_count"]
PERCENTS = ["cpts_coverage_pct"]
NO_DATA_SERIES = {  # indicator -> regional demo values over 2023Q1..2023Q4
    "medical_assistants_count": [310, 352, 401, 447],
    "medicobus_count": [2, 3, 5, 6],
}


def largest_remainder(total: int, weights: np.ndarray) -> np.ndarray:
    if total <= 0 or weights.sum() == 0:
        return np.zeros(len(weights), dtype=int)
    raw = weights / weights.sum() * total
    floor = np.floor(raw).astype(int)
    rest = total - floor.sum()
    order = np.argsort(-(raw - floor), kind="stable")
    floor[order[:rest]] += 1
    return floor


def regional_path(real: pd.DataFrame) -> dict[str, tuple[float, bool]]:
    """Quarter -> (value, is_real) from the first to the last real regional quarter."""
    pts = real.groupby("trimestre")["valeur"].first().sort_index()
    out = {q: (float(v), True) for q, v in pts.items()}
    qs = list(pts.index)
    for a, b in zip(qs, qs[1:]):
        ia, ib = periods.index(a), periods.index(b)
        for i in range(ia + 1, ib):
            t = (i - ia) / (ib - ia)
            out[periods.from_index(i)] = (pts[a] + t * (pts[b] - pts[a]), False)
    return dict(sorted(out.items()))


def main(out: Path = OUT) -> None:
    rng = np.random.RandomState(SEED)
    terr = pd.read_csv(RAW / "reference" / "territories.csv", dtype=str)
    deps = terr[(terr["level"] == "departement") & (terr["region"] == REGION)].copy()
    deps["population"] = deps["population"].astype(int)
    deps = deps.sort_values("code").reset_index(drop=True)
    pop = deps["population"].to_numpy(float)
    real = pd.read_csv(RAW / "plan" / "suivi_plan.csv", dtype={"valeur": float})
    rows = []

    def add(ind, code, q, value, note):
        rows.append({"indicateur": ind, "territoire": code, "trimestre": q, "valeur": value, "statut": "demo",
                     "source": "", "note": note})

    for ind in COUNTS + PERCENTS:
        reg = real[(real["indicateur"] == ind) & (real["territoire"] == REGION) & (real["statut"] == "observed")]
        if reg.empty:
            continue
        # One factor per département and indicator, so that shares stay stable across quarters.
        factor = rng.lognormal(0.0, 0.35, len(deps))
        for q, (value, is_real) in regional_path(reg).items():
            if not is_real:
                add(ind, REGION, q, round(value) if ind in COUNTS else round(value, 1),
                    "interpolation entre deux valeurs réelles")
            fixed = real[(real["indicateur"] == ind) & (real["trimestre"] == q)
                         & real["territoire"].isin(deps["code"])].set_index("territoire")["valeur"]
            free = ~deps["code"].isin(fixed.index).to_numpy()
            if ind in COUNTS:
                total = int(round(value)) - int(fixed.sum())
                split = largest_remainder(total, (pop * factor) * free)
                values = [int(v) for v in split]
            else:
                spread = value * (factor / np.average(factor, weights=pop))
                spread = np.clip(spread, 0, 100)
                spread += value - np.average(spread, weights=pop)  # exact weighted mean
                values = [round(float(v), 1) for v in np.clip(spread, 0, 100)]
            for code, v, is_free in zip(deps["code"], values, free):
                if is_free:
                    add(ind, code, q, v, "répartition de la valeur régionale au prorata de la population")
    for ind, series in NO_DATA_SERIES.items():
        factor = rng.lognormal(0.0, 0.35, len(deps))
        for q, value in zip(periods.span("2023Q1", "2023Q4"), series):
            add(ind, REGION, q, value, "aucune donnée ouverte : série illustrative")
            for code, v in zip(deps["code"], largest_remainder(value, pop * factor)):
                add(ind, code, q, int(v), "répartition de la valeur régionale au prorata de la population")
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=["indicateur", "territoire", "trimestre", "valeur", "statut",
                                                "source", "note"], lineterminator="\n")
        writer.writeheader()
        for row in rows:
            row["valeur"] = f"{row['valeur']:g}" if isinstance(row["valeur"], float) else row["valeur"]
            writer.writerow(row)
    print(f"{len(rows)} valeurs de démonstration écrites dans {out}")


if __name__ == "__main__":
    main()
