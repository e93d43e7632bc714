"""The saisie under gunicorn (2 workers × 4 threads), played over HTTP as the page does (issue 25): concurrent
saves of one cell, concurrent submits, a valideur outside its region, forged and expired job tokens; and the
public instance serving neither the sign-in nor the saisie's stylesheet."""
from __future__ import annotations

import json
import shutil
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from dashboard import security
from dashboard.saisie import service

from .saisie_support import PASSWORD, run_job
from .test_production import start_gunicorn
from .test_security import call, login_opener, parse_outputs

Q = "2024Q2"
SECRET = "clef-de-test-concurrence-0123456789"


@pytest.fixture(scope="module")
def gunicorn(built_store, tmp_path_factory):
    folder = tmp_path_factory.mktemp("saisie-gunicorn")
    shutil.copytree(built_store, folder / "processed")
    users = folder / "users"
    for name, role, *scope in (("alice", "contributeur", "D15"), ("vera", "valideur"), ("victor", "valideur")):
        security.add_user(users, name, PASSWORD, role, *scope)
    url = f"sqlite:///{folder / 'saisie.sqlite3'}"
    proc, base = start_gunicorn("gunicorn-saisie", folder / "processed", WORKERS=2, THREADS=4, SECRET_KEY=SECRET,
                                USERS_FILE=users, DATABASE_URL=url, CACHE_DIR=folder / "cache")
    try:
        assert proc.alive(), f"gunicorn n'a pas démarré, voir {proc.log_path}"
        yield base, url
    finally:
        proc.stop()


def dependency(base, opener, test) -> dict:
    status, _h, text = call(base, "/_dash-dependencies", opener=opener, method="GET")
    assert status == 200
    return next(d for d in json.loads(text) if test(d))


def payload(dep, inputs: dict, state: dict) -> dict:
    outs = parse_outputs(dep["output"])
    first = dep["inputs"][0]
    return {"output": dep["output"], "outputs": outs if len(outs) > 1 else outs[0],
            "inputs": [{"id": i["id"], "property": i["property"], "value": inputs.get(i["id"])} for i in dep["inputs"]],
            "state": [{"id": s["id"], "property": s["property"], "value": state.get(s["id"])}
                      for s in dep.get("state", [])],
            "changedPropIds": [f"{first['id']}.{first['property']}"]}


def save_payload(dep, territory: str, value, revision=0):
    change = [{"rowIndex": 0, "colId": "valeur", "oldValue": None, "newValue": value,
               "data": {"id": f"mcs_count|{territory}", "valeur": value, "source": "Bilan SAMU", "note": "",
                        "revision": revision}}]
    return payload(dep, {"saisie-grid": change}, {"saisie-quarter": Q, "saisie-grid": []})


def is_save(d):
    return "saisie-message.children" in d["output"] and any(i["property"] == "cellValueChanged" for i in d["inputs"])


def message(text: str) -> str:
    return json.loads(text)["response"]["saisie-message"]["children"]


def test_40_concurrent_saves_of_one_cell_one_saved_the_others_conflict(gunicorn):
    base, url = gunicorn
    alice = login_opener(base, "alice", PASSWORD)[0]
    dep = dependency(base, alice, is_save)

    def save(i):
        return call(base, "/_dash-update-component", save_payload(dep, "D15", 100 + i), opener=alice)
    with ThreadPoolExecutor(40) as pool:
        answers = list(pool.map(save, range(40)))
    assert [s for s, _h, _t in answers] == [200] * 40, [t[:200] for s, _h, t in answers if s != 200]
    texts = [message(t) for _s, _h, t in answers]
    saved = [i for i, t in enumerate(texts) if t.startswith("Enregistré")]
    assert len(saved) == 1, texts
    assert sum(t.startswith("Conflit") for t in texts) == 39
    assert all("alice" in t and f"({100 + saved[0]})" in t for t in texts if t.startswith("Conflit"))
    # nothing lost: the value said saved is the one stored, written once
    assert service.drafts(url, Q, ["D15"])["value"].tolist() == [100 + saved[0]]
    assert (service.audit_rows(url, action="draft", territory="D15")["after"] == str(100 + saved[0])).sum() == 1


def test_10_concurrent_submits_make_one_submission(gunicorn):
    base, url = gunicorn
    alice = login_opener(base, "alice", PASSWORD)[0]
    dep = dependency(base, alice, is_save)
    current = int(service.drafts(url, Q, ["D15"])["revision"].max()) if len(service.drafts(url, Q, ["D15"])) else 0
    status, _h, text = call(base, "/_dash-update-component", save_payload(dep, "D15", 12, current), opener=alice)
    assert status == 200 and message(text).startswith("Enregistré"), text[:300]
    submit = dependency(base, alice, lambda d: any(i["id"] == "saisie-submit" for i in d["inputs"]))
    body = payload(submit, {"saisie-submit": 1}, {"saisie-quarter": Q, "saisie-refresh": 0})
    with ThreadPoolExecutor(10) as pool:
        answers = list(pool.map(lambda _i: call(base, "/_dash-update-component", body, opener=alice), range(10)))
    assert [s for s, _h, _t in answers] == [200] * 10, [t[:200] for s, _h, t in answers if s != 200]
    subs = service.submissions(url)
    assert len(subs) == 1 and len(subs[0].items) == 1
    texts = {message(t) for _s, _h, t in answers}
    assert texts == {f"Soumission n° {subs[0].id} envoyée à validation."}


def test_a_valideur_writing_outside_its_region_gets_403_and_is_audited(gunicorn):
    base, url = gunicorn
    vera = login_opener(base, "vera", PASSWORD)[0]
    dep = dependency(base, vera, is_save)
    for territory in ("D75", "R11", "D13"):
        status, _h, _t = call(base, "/_dash-update-component", save_payload(dep, territory, 5), opener=vera)
        assert status == 403, territory
    assert service.drafts(url, Q, ["D75", "R11", "D13"]).empty
    refused = service.audit_rows(url, user="vera", action="refused")
    assert {"D75", "R11", "D13"} <= set(refused["territory"])


class OldSigner(TimestampSigner):
    """Signs as two hours ago: an expired token (they last 10 minutes)."""
    def get_timestamp(self):
        return int(time.time()) - 7200


@pytest.mark.parametrize("kind", ["forged", "expired", "someone else's"])
def test_a_bad_job_token_is_refused_with_403_and_audited(gunicorn, kind):
    base, url = gunicorn
    vera = login_opener(base, "vera", PASSWORD)[0]
    job = dependency(base, vera, lambda d: d["output"].startswith("saisie-publish-result.children@"))
    claim = {"action": "approve", "user": "vera", "submission": 1}
    if kind == "forged":
        token = URLSafeTimedSerializer("pas la bonne clef", salt="saisie-publication").dumps(claim)
    elif kind == "expired":
        token = URLSafeTimedSerializer(SECRET, salt="saisie-publication", signer=OldSigner).dumps(claim)
    else:
        token = URLSafeTimedSerializer(SECRET, salt="saisie-publication").dumps({**claim, "user": "victor"})
    before = len(service.audit_rows(url, user="vera", action="refused"))
    status, answer, _p = run_job(base, vera, job, [{"id": "saisie-publish-request", "property": "data",
                                                    "value": token}])
    assert status == 403 and answer is None
    refused = service.audit_rows(url, user="vera", action="refused")
    assert len(refused) == before + 1 and "jeton" in refused["detail"].iloc[0]


# ---- the public instance -------------------------------------------------------------------------------

def test_the_public_instance_serves_no_sign_in_and_no_saisie_asset(public_server):
    for path in ("/connexion", "/deconnexion", "/assets/saisie.css"):
        status, _h, _t = call(public_server.url, path, method="GET")
        assert status == 404, path
    status, _h, page = call(public_server.url, "/kiosque", method="GET")
    assert status == 200 and "saisie.css" not in page
