"""What one recognised raw file contributes to a build.

Readers are registered in ``dashboard.pipeline.sources``: each has a ``sniff(path)``
that recognises a file by its content (never by its name alone) and a
``read(path, options)`` that returns a :class:`Contribution` or raises
:class:`~dashboard.pipeline.errors.InputError`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import pandas as pd


@dataclass
class Contribution:
    source: str                      # e.g. "DREES APL", "Baromètre DITP", "FINESS"
    file: str                        # path as given
    millesime: str = ""             # e.g. "2022", "2023-12-01"
    # the release its values come from (publication date or millésime; set by the build, see
    # build.release_of); a reader may give a ``release`` column per value instead (one per APL sheet)
    release: str = ""
    rows: int = 0                    # data rows read
    # Precedence when two sources give the same indicator, territory and quarter (after the
    # status rank observed < estimated < demo): lower wins, the other value goes into the note.
    # Convention: 10 official open data (baromètre DITP, DREES), 20 older official formats
    # (baromètre Etalab), 30 the project's plan-tracking table, 50 derived counts (FINESS).
    priority: int = 30
    # frames with the columns of dashboard.schema.TABLES (any may be absent)
    observations: pd.DataFrame | None = None
    targets: pd.DataFrame | None = None
    baselines: pd.DataFrame | None = None      # the source's own baseline per series (baromètre indic_vi)
    milestones: pd.DataFrame | None = None
    structures: pd.DataFrame | None = None
    initiatives: pd.DataFrame | None = None
    indicators: pd.DataFrame | None = None
    territories: pd.DataFrame | None = None
    # dated commune memberships (CPTS perimeters, zoning decrees): schema.TABLES["perimeters"]
    perimeters: pd.DataFrame | None = None
    # former INSEE commune codes -> successor (official table of changes): columns old, new (store codes)
    successors: pd.DataFrame | None = None
    # population weights of commune values that are averages (columns indicator, territory, period, weight,
    # basis, e.g. the APL's « population standardisée »): how the file's values of merged communes combine
    # (dashboard.pipeline.fusions.combine); without them, the reference population
    weights: pd.DataFrame | None = None
    # communes merged since the file, mapped by the build before ``finalize``: {old store code: successor}
    merged: dict = field(default_factory=dict)
    # geometry per level: {"commune": GeoDataFrame[code (store code, e.g. C15014), name, geometry]}
    geometry: dict = field(default_factory=dict)
    # human-readable lines for the build report (joins, mismatches, warnings)
    report: list[str] = field(default_factory=list)
    # facts to store in the manifest (e.g. {"unjoined_communes": [...]})
    facts: dict = field(default_factory=dict)
    # A source that is not a file (the saisie database): the sha256 of its content, for the manifest's inputs.
    digest: str = ""
    # Called by the build once every file is read, with the territories table of the build
    # (all levels, see schema.TABLES["territories"]): lets a reader roll commune values up to
    # EPCI/département/région/France, count points per territory or dissolve EPCI shapes.
    # It updates this contribution in place (observations, geometry, report, facts).
    finalize: Callable[["Contribution", pd.DataFrame], None] | None = None
