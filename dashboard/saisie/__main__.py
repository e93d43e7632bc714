"""Command line of the saisie: ``python -m dashboard.saisie import|approve|reject|publish|withdraw|rollback|audit|migrate|remind``.

Exit codes: 0 done, 2 bad file or request (``file:row:column: …`` on stderr; a conflict too), 3 refused
permission (audited), deciding on one's own submission included (four eyes). ``import`` drafts and submits, and prints the submission's id alone on its last line;
``approve`` approves then publishes a new store version (the pipeline build, with the database); ``remind`` sends
the e-mail reminders due today (cron; ``--dry-run`` lists them), see :mod:`dashboard.saisie.reminders`.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

from .. import accounts, periods, settings, store
from ..pipeline.errors import BuildError, InputError
from . import db, mail, reminders, service

EXIT_INVALID, EXIT_REFUSED = 2, 3


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m dashboard.saisie", description="Saisie du trimestre (docs/saisie.md).")
    sub = p.add_subparsers(dest="command", required=True)
    i = sub.add_parser("import", help="importe un fichier au format du tableau de suivi et le soumet")
    i.add_argument("file", type=Path, metavar="FICHIER")
    i.add_argument("--user", required=True)
    i.add_argument("--quarter", required=True, help="trimestre saisi, ex. 2024Q2")
    a = sub.add_parser("approve", help="approuve une soumission et publie une nouvelle version")
    a.add_argument("id", type=int)
    a.add_argument("--user", required=True)
    r = sub.add_parser("reject", help="rejette une soumission (retour au contributeur)")
    r.add_argument("id", type=int)
    r.add_argument("--user", required=True)
    r.add_argument("--comment", required=True)
    pb = sub.add_parser("publish", help="reconstruit et publie (données brutes + valeurs validées)")
    pb.add_argument("--user", required=True)
    w = sub.add_parser("withdraw", help="retire une valeur publiée (admin) : nouvelle version sans elle")
    w.add_argument("item", type=int, metavar="VALEUR", help="numéro de la valeur (submission_items.id)")
    w.add_argument("--user", required=True)
    rb = sub.add_parser("rollback", help="republie une version antérieure encore présente (admin)")
    rb.add_argument("version")
    rb.add_argument("--user", required=True)
    au = sub.add_parser("audit", help="journal (lignes JSON, les plus récentes d'abord)")
    au.add_argument("--quarter")
    sub.add_parser("migrate", help="crée ou met à jour le schéma de la base")
    rm = sub.add_parser("remind", help="envoie les relances par courriel dues avant le comité (cron)")
    rm.add_argument("--quarter", help="trimestre, ex. 2025Q4 (défaut : ceux que les prochains comités examinent)")
    rm.add_argument("--date", help="jour de la relance, AAAA-MM-JJ (défaut : aujourd'hui ; rattrapage, essais)")
    rm.add_argument("--dry-run", action="store_true", help="liste qui recevrait quoi, sans rien envoyer")
    return p


def _data(conf):
    data = store.open_store(conf.data_dir)
    if data is None:
        raise InputError(conf.data_dir, "aucun stock publié (lancer d'abord python -m dashboard.pipeline build)")
    return data


def run(args, conf) -> int:
    url = db.database_url(conf)
    account = accounts.account_of(conf, getattr(args, "user", None))
    if args.command == "migrate":
        db.upgrade(url)
        print("Schéma de la base à jour.")
    elif args.command == "import":
        if not periods.is_quarter(args.quarter):
            raise InputError("--quarter", f"trimestre attendu au format 2024Q2, reçu {args.quarter!r}")
        data = _data(conf)
        n = service.import_file(url, data, account, args.quarter, args.file, str(args.file), conf.region)
        ident = service.submit(url, data, account, args.quarter, conf.region)
        print(f"{n} valeur(s) importée(s) et soumise(s) à validation.", file=sys.stderr)
        print(ident)
    elif args.command in ("approve", "reject"):
        sub = service.decide(url, account, args.id, args.command == "approve", getattr(args, "comment", ""),
                             data=_data(conf), region=conf.region)
        if args.command == "approve":
            version = service.publish(url, conf, account, echo=lambda line: print(line, file=sys.stderr))
            print(f"Soumission {sub.id} approuvée ; version publiée : {version}")
        else:
            print(f"Soumission {sub.id} rejetée.")
    elif args.command == "publish":
        print(service.publish(url, conf, account, echo=lambda line: print(line, file=sys.stderr)))
    elif args.command == "withdraw":
        print(service.withdraw(url, conf, account, args.item, echo=lambda line: print(line, file=sys.stderr),
                               data=_data(conf)))
    elif args.command == "rollback":
        service.rollback(url, conf, account, args.version)
        print(f"Version en service : {args.version}")
    elif args.command == "remind":
        if args.quarter is not None and not periods.is_quarter(args.quarter):
            raise InputError("--quarter", f"trimestre attendu au format 2025Q4, reçu {args.quarter!r}")
        try:
            today = dt.date.fromisoformat(args.date) if args.date is not None else dt.date.today()
        except ValueError:
            raise InputError("--date", f"date attendue au format AAAA-MM-JJ, reçu {args.date!r}") from None
        for line in reminders.run_all(conf, _data(conf), today, args.quarter, args.dry_run):
            print(line)
    elif args.command == "audit":
        for row in service.audit_rows(url, quarter=args.quarter).to_dict("records"):
            print(json.dumps({k: (None if v != v else v) for k, v in row.items()}, ensure_ascii=False, default=str))
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        conf = settings.load()
    except settings.SettingsError as exc:      # a bad ACCES_SOINS_* value: the same French error as the build's
        print(f"erreur : {exc}", file=sys.stderr)
        return EXIT_INVALID
    try:
        return run(args, conf)
    except service.RowsRefused as exc:      # every refused row of the file, one per line
        print("\n".join(exc.lines()), file=sys.stderr)
        return EXIT_REFUSED if isinstance(exc, service.Refused) else EXIT_INVALID
    except service.Refused as exc:
        print(f"refusé : {exc}", file=sys.stderr)
        return EXIT_REFUSED
    except InputError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_INVALID
    except (service.Conflict, BuildError, reminders.RemindError, mail.MailError) as exc:
        print(f"erreur : {exc}", file=sys.stderr)
        return EXIT_INVALID


if __name__ == "__main__":
    sys.exit(main())
