"""Command line: ``python -m dashboard.pipeline build|check|show`` (see README)."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .. import periods, settings, territory
from .errors import BuildError, InputError

EXIT_INVALID = 2


def _parser(conf: settings.Settings) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m dashboard.pipeline",
                                     description="Construit et interroge le stock de données du tableau de bord.")
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="lit les données brutes, calcule et publie une nouvelle version")
    b.add_argument("--raw", action="append", type=Path,
                   help=f"dossier de données brutes (répétable ; défaut : {conf.raw_dir})")
    b.add_argument("--out", type=Path, default=conf.data_dir, help="dossier du stock publié")
    b.add_argument("--region", default=conf.region, help="région suivie (84 ou R84 ; 'toutes' pour la France)")
    c = sub.add_parser("check", help="valide les données brutes sans rien publier")
    c.add_argument("--raw", action="append", type=Path)
    c.add_argument("--region", default=conf.region)
    s = sub.add_parser("show", help="affiche les valeurs publiées (lignes JSON)")
    s.add_argument("--indicator", required=True)
    s.add_argument("--territory", required=True)
    s.add_argument("--period", help="trimestre (2023Q4) : la valeur à cette date")
    s.add_argument("--out", type=Path, default=conf.data_dir, help="dossier du stock publié")
    return parser


def _region(value: str | None) -> str | None:
    if not value or value.lower() in ("toutes", "all", "fr"):
        return None
    return value if value.startswith("R") else f"R{value}"


def _build(args, conf, publish: bool) -> int:
    from .build import build
    from .readers import entries

    raws = args.raw or [conf.raw_dir]
    result = build(raws, getattr(args, "out", None), region=_region(args.region), publish_it=publish,
                   database_url=entries.configured_url(conf))
    if not publish:
        print("Données valides : rien n'a été publié (commande check).", file=sys.stderr)
    return 0 if result.version or not publish else 1


def _show(args) -> int:
    from .. import store

    if not territory.is_code(args.territory):
        print(f"erreur : code de territoire invalide {args.territory!r} (ex. R84, D15, C15014)", file=sys.stderr)
        return EXIT_INVALID
    if args.period and not periods.is_quarter(args.period):
        print(f"erreur : trimestre invalide {args.period!r} (ex. 2023Q4)", file=sys.stderr)
        return EXIT_INVALID
    data = store.open_store(args.out)
    if data is None:
        print(f"erreur : aucun stock publié dans {args.out} (lancer d'abord la commande build)", file=sys.stderr)
        return EXIT_INVALID
    if args.indicator not in set(data.indicators["id"]):
        print(f"erreur : indicateur inconnu {args.indicator!r}", file=sys.stderr)
        return EXIT_INVALID
    if args.period:
        row = store.value_at(data, args.indicator, args.territory, args.period)
        rows = [] if row is None else [row]
    else:
        rows = store.series(data, args.indicator, args.territory).to_dict("records")
    for row in rows:
        print(json.dumps({"type": "observation", "indicator": args.indicator, "territory": args.territory, **row},
                         ensure_ascii=False))
    target = store.target(data, args.indicator, args.territory)
    if target:
        print(json.dumps({"type": "target", "indicator": args.indicator, "territory": args.territory, **target},
                         ensure_ascii=False))
    return 0


def main(argv: list[str] | None = None) -> int:
    conf = settings.load()
    args = _parser(conf).parse_args(argv)
    try:
        if args.command == "show":
            return _show(args)
        return _build(args, conf, publish=args.command == "build")
    except InputError as exc:
        print(f"{exc}", file=sys.stderr)
        print("Échec : rien n'a été publié ; la version en service reste inchangée.", file=sys.stderr)
        return EXIT_INVALID
    except BuildError as exc:
        print(f"erreur : {exc}", file=sys.stderr)
        print("Échec : rien n'a été publié ; la version en service reste inchangée.", file=sys.stderr)
        return EXIT_INVALID


if __name__ == "__main__":
    sys.exit(main())
