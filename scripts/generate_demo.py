"""Generate the embedded *demo* values (data/raw/plan/demo.csv), seeded and reproducible.

Why: some levers of the plan have no open data at all (MCS, Asalée, MSU, contracts, médicobus…), or only a regional figure from the source documents. To exercise
département breakdowns and maps for them, this script fills those gaps with values marked
``demo`` — never to be read as fact — and keeps them consistent with the real figures.

The real values are what the build gets from the raw data (data/raw, demo.csv aside: the
plan-tracking table, the official open data of data/raw/opendata…), read with the pipeline's
own readers, aggregations and precedence. Then:

* nothing is generated for an (indicator, territory) series that has a real (observed or
  estimated) value, at any quarter; no quarter is interpolated between real values;
* at each quarter with a real regional value, the départements without real values get the
  regional value minus the real département values of that quarter, split in proportion to
  population times a fixed random factor per département (seeded); counts are integers by
  largest remainder, so that départements add up exactly to the region; percentages are
  spread around the regional value so that their population-weighted mean equals it;
* the médicobus (a plan 2023 lever) has no open figure at all: a small increasing demo series over
  2023, for the region and its départements. (The medical assistants are real since the baromètre
  publishes them: IND-679.)

The build applies the same rule (merge_observations): a demo value in a real series is dropped.

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
from dashboard.pipeline import build, sources  # noqa: E402

SEED = 20231231
REGION = "R84"
RAW = ROOT / "data" / "raw"
OUT = RAW / "plan" / "demo.csv"
COUNTS = ["msp_count", "cds_count", "cds_pluripro_count", "mcs_count", "asalee_teams", "asalee_doctors",
          "asalee_nurses", "msu_count", "contracts_count"]
PERCENTS = ["cpts_coverage_pct"]
NO_DATA_SERIES = {  # indicator -> regional demo values over 2023Q1..2023Q4
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


def real_observations(raw: Path = RAW, skip: Path = OUT) -> pd.DataFrame:
    """Observed and estimated values the build gets from ``raw`` without the demo file."""
    files, options = build.discover([raw])
    files = [f for f in files if f.resolve() != skip.resolve()]
    known, _unknown = build.recognise(files, sources.registry())
    contributions = build.read_all(known, options, echo=lambda _line: None)
    territories = build.merge_territories(contributions, REGION)
    for c in contributions:
        if c.finalize:
            c.finalize(c, territories)
    observations, _superseded, _dropped = build.merge_observations(contributions)
    return observations[observations["status"] != "demo"]


def main(out: Path = OUT) -> None:
    rng = np.random.RandomState(SEED)
    terr = pd.read_csv(RAW / "reference" / "territories.csv", dtype=str)
    deps = terr[(terr["level"] == "departement") & (terr["region"] == REGION)].copy()
    deps["population"] = deps["population"].astype(int)
    deps = deps.sort_values("code").reset_index(drop=True)
    pop = deps["population"].to_numpy(float)
    real = real_observations(RAW, out)
    real_series = set(zip(real["indicator"], real["territory"]))
    rows = []

    def add(ind, code, q, value, note):
        if (ind, code) not in real_series:  # never a demo value in a series with real values
            rows.append({"indicateur": ind, "territoire": code, "trimestre": q, "valeur": value, "statut": "demo",
                         "source": "", "note": note})

    for ind in COUNTS + PERCENTS:
        reg = real[(real["indicator"] == ind) & (real["territory"] == REGION) & (real["status"] == "observed")]
        if reg.empty:
            continue
        # One factor per département and indicator, so that shares stay stable across quarters.
        factor = rng.lognormal(0.0, 0.35, len(deps))
        free = np.array([(ind, code) not in real_series for code in deps["code"]])
        for q, value in reg.set_index("period")["value"].sort_index().items():
            fixed = real[(real["indicator"] == ind) & (real["period"] == q)
                         & real["territory"].isin(deps["code"])]["value"]
            if ind in COUNTS:
                split = largest_remainder(int(round(value)) - int(round(fixed.sum())), (pop * factor) * free)
                values = [int(v) for v in split]
            else:
                spread = value * (factor / np.average(factor, weights=pop))
                spread = np.clip(spread, 0, 100)
                spread += value - np.average(spread, weights=pop)  # exact weighted mean
                values = [round(float(v), 1) for v in np.clip(spread, 0, 100)]
            for code, v in zip(deps["code"], values):
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
