"""Command line: ``python -m dashboard.pipeline build|check|show|progress|diff|export`` (see README).

Exit codes: 0 success, 2 anything else (bad input, bad option, unexpected failure), always with a
French message on stderr and never a traceback; a failed build publishes nothing.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

from .. import periods, settings, territory
from .errors import BuildError, InputError

EXIT_INVALID = 2
FAILED = "Échec : rien n'a été publié ; la version en service reste inchangée."


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"date attendue au format AAAA-MM-JJ, reçu {text!r}") from None


def _parser(conf: settings.Settings) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m dashboard.pipeline",
                                     description="Construit et interroge le stock de données du tableau de bord.")
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="lit les données brutes, calcule et publie une nouvelle version")
    b.add_argument("--raw", action="append", type=Path,
                   help=f"dossier de données brutes (répétable ; défaut : {conf.raw_dir})")
    b.add_argument("--out", type=Path, default=conf.data_dir, help="dossier du stock publié")
    b.add_argument("--region", default=conf.region, help="région suivie (53, R53… ; FR ou 'toutes' pour la France)")
    c = sub.add_parser("check", help="valide les données brutes sans rien publier")
    c.add_argument("--raw", action="append", type=Path)
    c.add_argument("--region", default=conf.region)
    for p in (b, c):
        p.add_argument("--reference-date", type=_date, default=None,
                       help="aucune observation ne peut être datée après ce jour (AAAA-MM-JJ ; défaut : "
                            "reference_date de sources.toml, sinon aujourd'hui)")
    s = sub.add_parser("show", help="affiche les valeurs publiées (lignes JSON)")
    s.add_argument("--indicator", required=True)
    s.add_argument("--territory", required=True)
    s.add_argument("--period", help="trimestre (2023Q4) : la valeur à cette date")
    s.add_argument("--out", type=Path, default=conf.data_dir, help="dossier du stock publié")
    p = sub.add_parser("progress", help="taux d'avancement publiés, par indicateur, territoire et trimestre observé "
                                        "(lignes JSON, les chiffres de la page « Suivi du plan »)")
    p.add_argument("--indicator")
    p.add_argument("--territory")
    p.add_argument("--out", type=Path, default=conf.data_dir, help="dossier du stock publié")
    d = sub.add_parser("diff", help="compare deux versions publiées : valeurs révisées, ajoutées, retirées")
    d.add_argument("version_a", help="version de référence (la plus ancienne)")
    d.add_argument("version_b", help="version comparée")
    d.add_argument("--out", type=Path, default=conf.data_dir, help="dossier du stock publié")
    e = sub.add_parser("export", help="écrit le stock publié en paquet de données Frictionless (CSV + datapackage.json)")
    e.add_argument("--out", type=Path, required=True, help="dossier où écrire le paquet")
    e.add_argument("--store", type=Path, default=conf.data_dir, help="dossier du stock publié")
    e.add_argument("--public", action="store_true", help="seulement ce que montre l'instance publique")
    return parser


def _diff(args) -> int:
    from . import revisions

    try:
        old, _ = revisions.read_version(args.out, args.version_a)
        new, _ = revisions.read_version(args.out, args.version_b)
    except (OSError, ValueError) as exc:
        print(f"erreur : {exc} (versions publiées : {', '.join(_versions(args.out)) or 'aucune'})", file=sys.stderr)
        return EXIT_INVALID
    summary, _revised = revisions.compare(old, new)
    print("\n".join(revisions.report_lines(summary, args.version_a)))
    return 0


def _versions(out: Path) -> list[str]:
    return sorted(p.name for p in Path(out).iterdir() if p.is_dir() and not p.name.startswith(".")) \
        if Path(out).is_dir() else []


def _export(args) -> int:
    from .. import datapackage, store

    try:
        data = store.open_store(args.store, public=args.public)
    except store.StoreUnavailable as exc:
        print(f"erreur : {exc}", file=sys.stderr)
        return EXIT_INVALID
    if data is None:
        print(f"erreur : aucune version publiée dans {args.store}", file=sys.stderr)
        return EXIT_INVALID
    path = datapackage.write(data, args.out)
    print(f"Paquet de données de la version {data.version} écrit : {path}")
    return 0


def _build(args, conf, publish: bool) -> int:
    from ..saisie import source
    from .build import build

    raws = args.raw or [conf.raw_dir]
    result = build(raws, getattr(args, "out", None), region=args.region, publish_it=publish,
                   reference_date=args.reference_date, lock_wait=conf.build_lock_wait,
                   entries=source.entries_of(source.configured_url(conf)))
    if not publish:
        print("Données valides : rien n'a été publié (commande check).", file=sys.stderr)
    return 0 if result.version or not publish else EXIT_INVALID


def _open(args):
    """The published store named by ``--out`` with ``--territory``/``--indicator`` checked, or an exit code."""
    from .. import store

    if args.territory is not None and not territory.is_code(args.territory):
        print(f"erreur : code de territoire invalide {args.territory!r} (ex. R84, D15, C15014)", file=sys.stderr)
        return EXIT_INVALID
    try:
        data = store.open_store(args.out)
    except store.StoreUnavailable as exc:
        print(f"erreur : {exc}", file=sys.stderr)
        return EXIT_INVALID
    if data is None:
        print(f"erreur : aucun stock publié dans {args.out} (lancer d'abord la commande build)", file=sys.stderr)
        return EXIT_INVALID
    if args.indicator is not None and args.indicator not in set(data.indicators["id"]):
        print(f"erreur : indicateur inconnu {args.indicator!r}", file=sys.stderr)
        return EXIT_INVALID
    return data


def _progress(args, conf) -> int:
    from .. import plan

    data = _open(args)
    if isinstance(data, int):
        return data
    for row in plan.progress_rows(data, data.thresholds, args.indicator, args.territory):
        print(json.dumps(row, ensure_ascii=False))
    return 0


def _show(args) -> int:
    from .. import queries

    if args.period and not periods.is_quarter(args.period):
        print(f"erreur : trimestre invalide {args.period!r} (ex. 2023Q4)", file=sys.stderr)
        return EXIT_INVALID
    data = _open(args)
    if isinstance(data, int):
        return data
    if args.period:
        row = queries.value_at(data, args.indicator, args.territory, args.period)
        rows = [] if row is None else [row]
    else:
        rows = queries.series(data, args.indicator, args.territory).to_dict("records")
    for row in rows:
        print(json.dumps({"type": "observation", "indicator": args.indicator, "territory": args.territory, **row},
                         ensure_ascii=False))
    target = queries.target_of(data, args.indicator, args.territory)
    if target:
        print(json.dumps({"type": "target", "indicator": args.indicator, "territory": args.territory, **target},
                         ensure_ascii=False))
    return 0


def main(argv: list[str] | None = None) -> int:
    try:
        conf = settings.load()
    except settings.SettingsError as exc:
        print(f"erreur : {exc}", file=sys.stderr)
        return EXIT_INVALID
    args = _parser(conf).parse_args(argv)
    try:
        if args.command == "show":
            return _show(args)
        if args.command == "progress":
            return _progress(args, conf)
        if args.command == "diff":
            return _diff(args)
        if args.command == "export":
            return _export(args)
        return _build(args, conf, publish=args.command == "build")
    except InputError as exc:
        print(f"{exc}", file=sys.stderr)
        print(FAILED, file=sys.stderr)
        return EXIT_INVALID
    except BuildError as exc:
        print(f"erreur : {exc}", file=sys.stderr)
        print(FAILED, file=sys.stderr)
        return EXIT_INVALID
    except OSError as exc:  # a folder that cannot be written, a disk full: the system's words, not a traceback
        print(f"erreur : {exc.strerror or exc} ({exc.filename or ''})", file=sys.stderr)
        print(FAILED, file=sys.stderr)
        return EXIT_INVALID
    except Exception as exc:  # a defect of ours: one line to report, never a traceback for the user
        print(f"erreur inattendue ({type(exc).__name__}) : {exc} — merci de signaler ce message avec les "
              f"fichiers en cause", file=sys.stderr)
        print(FAILED, file=sys.stderr)
        return EXIT_INVALID


if __name__ == "__main__":
    sys.exit(main())
