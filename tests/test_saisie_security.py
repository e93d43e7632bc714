"""Saisie callbacks refuse, on the server, crafted payloads from a lecteur, from a contributor outside its scope
and without a session (403/401, audited); « /saisie » does not exist on the public instance."""
from __future__ import annotations

import http.cookiejar
import urllib.request

import pytest

from dashboard.saisie import service


from .saisie_support import PASSWORD, saisie_server
from .test_security import NoRedirect, call, login_opener, parse_outputs

Q = "2024Q2"


@pytest.fixture(scope="module")
def server(built_store, tmp_path_factory):
    with saisie_server(built_store, tmp_path_factory.mktemp("saisie-sec"),
                       {"lea": ("lecteur",), "alice": ("contributeur", "D15")}) as srv:
        yield srv


def saisie_callbacks(base, opener):
    import json

    status, _h, text = call(base, "/_dash-dependencies", opener=opener, method="GET")
    assert status == 200
    deps = [d for d in json.loads(text) if "saisie-" in d["output"] or "historique-" in d["output"]]
    assert len(deps) >= 10
    return deps


def body(dep, value):
    """A well-formed request for ``dep`` with every input and state set to ``value``."""
    def entry(i):
        if isinstance(i["id"], dict):        # a pattern-matching (ALL) input: a list of matches
            return [{"id": {**i["id"], "index": 1}, "property": i["property"], "value": value}]
        return {"id": i["id"], "property": i["property"], "value": value}
    outs = parse_outputs(dep["output"])
    return {"output": dep["output"], "outputs": outs if len(outs) > 1 else outs[0],
            "inputs": [entry(i) for i in dep["inputs"]],
            "state": [entry(s) for s in dep.get("state", [])],
            "changedPropIds": [f"{dep['inputs'][0]['id']}.{dep['inputs'][0]['property']}"]}


CHANGE = [{"rowIndex": 0, "colId": "valeur", "oldValue": None, "newValue": 40,
           "data": {"id": "mcs_count|D69", "valeur": 40, "source": "x", "note": "", "revision": 0}}]


def test_every_saisie_callback_refuses_a_lecteur_and_an_anonymous_caller(server):
    lecteur = login_opener(server.url, "lea", PASSWORD)[0]
    deps = saisie_callbacks(server.url, lecteur)
    anonymous = urllib.request.build_opener(NoRedirect, urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    for dep in deps:
        for value in (Q, 1, CHANGE):
            status, _h, text = call(server.url, "/_dash-update-component", body(dep, value), opener=lecteur)
            assert status == 403, (dep["output"], status, text[:200])
            status, _h, _t = call(server.url, "/_dash-update-component", body(dep, value), opener=anonymous)
            assert status in (401, 403), dep["output"]
    log = service.audit_rows(server.database_url, user="lea")
    assert set(log["action"]) == {"connexion", "tentative refusée"}
    assert (log["action"] == "tentative refusée").sum() >= len(deps)


def test_a_contributor_cannot_write_outside_its_scope(server):
    alice = login_opener(server.url, "alice", PASSWORD)[0]
    dep = next(d for d in saisie_callbacks(server.url, alice) if "saisie-message.children" in d["output"]
               and any(i["property"] == "cellValueChanged" for i in d["inputs"]))
    payload = body(dep, Q)
    payload["inputs"][0]["value"] = CHANGE
    status, _h, _t = call(server.url, "/_dash-update-component", payload, opener=alice)
    assert status == 403
    assert service.drafts(server.database_url, Q, ["D69"]).empty
    refused = service.audit_rows(server.database_url, user="alice", action="refused")
    assert "D69" in set(refused["territory"])
    # the same payload inside its scope is accepted
    payload["inputs"][0]["value"] = [{**CHANGE[0], "data": {**CHANGE[0]["data"], "id": "mcs_count|D15", "valeur": 9}}]
    status, _h, text = call(server.url, "/_dash-update-component", payload, opener=alice)
    assert status == 200, text[:300]
    assert service.drafts(server.database_url, Q, ["D15"])["value"].tolist() == [9]


def test_saisie_does_not_exist_on_the_public_instance(public_server):
    for path in ("/saisie", "/saisie/historique"):
        status, _h, _t = call(public_server.url, path, method="GET")
        assert status == 404
    status, _h, text = call(public_server.url, "/_dash-dependencies", method="GET")
    assert "saisie-" not in text and "historique-" not in text


