"""Appraisals and the admin buttons over HTTP: the public instance never shows an appraisal, whatever it is sent;
a contributor for D15 cannot record one for D69 or R84 (403, audited); only an admin withdraws a published value
or serves an earlier version again (403 for a valideur, audited)."""
from __future__ import annotations

import json

import pytest

from dashboard import security, settings, store
from dashboard.pipeline import publish as pub
from dashboard.saisie import appraisals, service

from .helpers import ROOT, LiveServer
from .saisie_support import PASSWORD, run_job, saisie_server
from .test_saisie_security import body, saisie_callbacks
from .test_security import call, login_opener, parse_outputs, payloads

Q = "2023Q4"
VAL = security.Account("vera", "valideur")
SECRET = "Synthèse-confidentielle-7f3a"          # a marker no page would show by chance
PARTS = {"happened": SECRET, "risks": "Risque-confidentiel-7f3a", "next_actions": "Action-confidentielle-7f3a"}
MARKERS = (SECRET, "Risque-confidentiel-7f3a", "Action-confidentielle-7f3a", "Appréciation", "appuis nécessaires")


def readable(text: str) -> str:
    """A response as a person would read it: Dash's JSON escapes accents (« \\u00e9 »)."""
    try:
        return json.dumps(json.loads(text), ensure_ascii=False)
    except ValueError:
        return text


def _database(folder, store_data) -> str:
    url = f"sqlite:///{folder / 'saisie.sqlite3'}"
    for code in ("R84", "D15"):
        for ind in ("msp_count", "mcs_count"):
            appraisals.save(url, store_data, VAL, "R84", Q, ind, code, "appuis", PARTS, None)
    return url


@pytest.fixture(scope="module")
def public_with_appraisals(built_store, store_data, tmp_path_factory):
    folder = tmp_path_factory.mktemp("appraisal-public")
    url = _database(folder, store_data)
    srv = LiveServer(data_dir=built_store, public=True, extra_env={"ACCES_SOINS_DATABASE_URL": url})
    yield srv
    srv.stop()


@pytest.mark.slow   # a whole build of the raw folder, or processes started: seconds
def test_the_public_instance_reveals_no_appraisal(public_with_appraisals):
    base = public_with_appraisals.url
    status, _h, text = call(base, "/_dash-dependencies", method="GET")
    assert status == 200
    deps = json.loads(text)
    # the internal callbacks that show appraisals, aimed at the public instance as if they existed
    internal = [{"output": o, "inputs": [{"id": i, "property": p} for i, p in ins]} for o, ins in (
        ("..plan-cards.children...plan-summary.children..", [("plan-quarter", "value")]),
        ("plan-detail.children", [("plan-quarter", "value"), ("plan-indicator", "data")]),
        ("plan-download-csv.data", [("plan-export-csv", "n_clicks")]),
        ("..saisie-appraisal-level.value...saisie-appraisal-current.children..",
         [("saisie-appraisal-quarter", "value"), ("saisie-appraisal-indicator", "value"),
          ("saisie-appraisal-territory", "value")]),
    )]
    tried = 0
    for url, payload, raw in payloads(deps + internal):
        status, _h, text = call(base, url, payload, raw=raw, method="POST")
        assert status < 500, (url, str(payload)[:200])
        assert not [m for m in MARKERS if m in readable(text)], (url, str(payload)[:200], text[:300])
        tried += 1
    for path in ("/", f"/?trimestre={Q}&indicateur=msp_count", f"/territoire/D15?trimestre={Q}", "/saisie",
                 "/export/plan.csv", "/kiosque", "/_dash-layout"):
        status, _h, text = call(base, path, method="GET")
        assert not [m for m in MARKERS if m in readable(text)], path
        tried += 1
    assert tried >= 1000


@pytest.fixture(scope="module")
def internal(built_store, tmp_path_factory):
    with saisie_server(built_store, tmp_path_factory.mktemp("appraisal-internal"),
                       {"alice": ("contributeur", "D15"), "vera": ("valideur",), "adam": ("admin",)}) as srv:
        yield srv


def _appraisal_save(deps):
    return next(d for d in deps if d["output"].startswith("..saisie-appraisal-message.children"))


def _save_payload(dep, territory, level="appuis"):
    values = {"saisie-appraisal-save": 1, "saisie-appraisal-quarter": Q, "saisie-appraisal-indicator": "msp_count",
              "saisie-appraisal-territory": territory, "saisie-appraisal-level": level,
              "saisie-appraisal-happened": "Deux projets en retard", "saisie-appraisal-risks": "",
              "saisie-appraisal-next_actions": "", "saisie-appraisal-revision": 0}
    payload = body(dep, None)
    for entry in payload["inputs"] + payload["state"]:
        entry["value"] = values[entry["id"]]
    return payload


def test_a_contributor_for_d15_cannot_record_an_appraisal_for_d69_or_r84(internal):
    alice = login_opener(internal.url, "alice", PASSWORD)[0]
    dep = _appraisal_save(saisie_callbacks(internal.url, alice))
    for code in ("D69", "R84"):
        status, _h, _t = call(internal.url, "/_dash-update-component", _save_payload(dep, code), opener=alice)
        assert status == 403, code
    assert appraisals.for_quarter(internal.database_url, Q) == []
    refused = service.audit_rows(internal.database_url, user="alice", action="refused")
    assert {"D69", "R84"} <= set(refused["territory"])
    # reading another territory's appraisal is refused too
    load = next(d for d in saisie_callbacks(internal.url, alice) if d["output"].startswith("..saisie-appraisal-level"))
    payload = body(load, None)
    for entry, value in zip(payload["inputs"], (Q, "msp_count", "D69")):
        entry["value"] = value
    assert call(internal.url, "/_dash-update-component", payload, opener=alice)[0] == 403
    # its own département is accepted
    status, _h, text = call(internal.url, "/_dash-update-component", _save_payload(dep, "D15"), opener=alice)
    assert status == 200 and "Appréciation enregistrée" in readable(text), text[:300]
    assert [(a.territory, a.author) for a in appraisals.for_quarter(internal.database_url, Q)] == [("D15", "alice")]
    # … and the form shows it back (the same reading that finds nothing on the public instance)
    payload["inputs"][2]["value"] = "D15"
    status, _h, text = call(internal.url, "/_dash-update-component", payload, opener=alice)
    assert status == 200 and "Deux projets en retard" in readable(text) and "enregistrée par alice" in readable(text)


def _confirm_payload(deps, kind, index):
    dep = next(d for d in deps if any(kind in str(i["id"]) for i in d["inputs"]))
    ident = {"index": index, "type": kind}
    outs = parse_outputs(dep["output"])
    return {"output": dep["output"], "outputs": outs,
            "inputs": [[{"id": ident, "property": "submit_n_clicks", "value": 1}]],
            "state": [{"id": st["id"], "property": st["property"], "value": 0} for st in dep.get("state", [])],
            "changedPropIds": [json.dumps(ident, separators=(",", ":"), sort_keys=True) + ".submit_n_clicks"]}


@pytest.mark.slow   # a whole build of the raw folder, or processes started: seconds
def test_only_an_admin_withdraws_a_value_or_rolls_back_from_the_history(internal, store_data):
    url = internal.database_url
    conf = settings.Settings(data_dir=internal.data_dir, raw_dir=ROOT / "data" / "raw", region="R84",
                             database_url=url, secret_key="t")
    q = "2024Q2"
    before = service.last_known(store_data, "mcs_count", "D15", q)
    author = security.Account("victor", "valideur")                       # four eyes: vera validates
    service.save_draft(url, store_data, author, q, "mcs_count", "D15", int(before["value"]) + 1, "Bilan SAMU 15", "",
                       None)
    ident = service.submit(url, store_data, author, q, "R84")
    service.decide(url, VAL, ident, approve=True, data=store_data)
    first = service.publish(url, conf, VAL)
    item = service.get_submission(url, ident).items[0].id

    adam = login_opener(internal.url, "adam", PASSWORD)[0]
    vera = login_opener(internal.url, "vera", PASSWORD)[0]
    status, _h, text = call(internal.url, "/saisie/historique", opener=adam, method="GET")
    assert status == 200
    deps = saisie_callbacks(internal.url, adam)
    panel = next(d for d in deps if d["output"] == "historique-admin.children")
    status, _h, text = call(internal.url, "/_dash-update-component", body(panel, 0), opener=adam)
    assert status == 200 and f"Retirer la valeur n° {item}" in readable(text) and "Republier" in text
    assert call(internal.url, "/_dash-update-component", body(panel, 0), opener=vera)[0] == 403

    job = next(d for d in deps if d["output"].startswith("..historique-admin-refresh.data@"))

    def run(request, opener, refresh=0):
        """The admin's confirmed request (a signed token), then the background job it starts."""
        inputs = [{"id": "historique-admin-request", "property": "data", "value": request}]
        state = [{"id": "historique-admin-refresh", "property": "data", "value": refresh}]
        return run_job(internal.url, opener, job, inputs, state, page="/saisie/historique")

    withdraw = _confirm_payload(deps, "historique-withdraw", item)
    assert call(internal.url, "/_dash-update-component", withdraw, opener=vera)[0] == 403
    status, _h, text = call(internal.url, "/_dash-update-component", withdraw, opener=adam)
    assert status == 200 and f"Retrait de la valeur n° {item} : publication en cours" in readable(text), text[:300]
    assert not service.get_submission(url, ident).items[0].withdrawn      # nothing done in the request
    token = json.loads(text)["response"]["historique-admin-request"]["data"]
    assert run(token, vera)[0] == 403                    # a valideur cannot start (nor poll) the admin's job
    status, answer, progress = run(token, adam)
    assert status == 200 and f"Valeur n° {item} retirée" in readable(json.dumps(answer)), answer
    assert any(p.startswith("Publication : étape") for p in progress), progress    # the approval's feedback
    assert service.get_submission(url, ident).items[0].withdrawn
    second = pub.current(internal.data_dir)
    assert second != first
    assert store.open_store(internal.data_dir).version == second
    status, answer, _p = run(token, adam, refresh=1)     # the same request again changes nothing
    assert status == 200 and "Rien n'a été retiré" in readable(json.dumps(answer)), answer

    rollback = _confirm_payload(deps, "historique-rollback", first)
    assert call(internal.url, "/_dash-update-component", rollback, opener=vera)[0] == 403
    status, _h, text = call(internal.url, "/_dash-update-component", rollback, opener=adam)
    assert status == 200, text[:300]
    status, answer, _p = run(json.loads(text)["response"]["historique-admin-request"]["data"], adam)
    assert status == 200 and f"Version {first} servie de nouveau" in readable(json.dumps(answer)), answer
    assert pub.current(internal.data_dir) == first
    log = service.audit_rows(url)
    assert {"retrait", "publication", "retour à une version"} <= set(log.loc[log["user"] == "adam", "action"])
    assert (log.loc[log["user"] == "vera", "action"] == "tentative refusée").sum() >= 4
