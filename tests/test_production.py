"""Production setup: gunicorn.conf.py, /healthz, and several processes sharing one Redis.

The multi-machine case is reproduced deterministically: two gunicorn processes (one worker each) on two ports,
one Celery worker, one real ``redis-server`` (Debian's; ``make test`` installs it). A background callback
(the big export) is started through the first server and its result fetched through the second; a memoised
data function computed by one process is read from Redis by another. Two more servers on one shared store folder
answer alike (health, API, a callback) and both pick up a version published into it, without a restart.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from .helpers import ROOT, free_port, publish_copy
from .helpers.wait import until

SECRET = "clef-de-test-partagee-0123456789abcdef"
EXPORT_OUTPUT = "..indicateurs-export-download.data...indicateurs-export-result.children.."


# ---- processes ------------------------------------------------------------------------------------------

def _get(url: str, timeout: float = 10) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def _post(url: str, payload: dict, timeout: float = 30) -> tuple[int, dict]:
    req = urllib.request.Request(url, data=json.dumps(payload).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            body = r.read().decode()
            return r.status, (json.loads(body) if body else {})
    except urllib.error.HTTPError as exc:
        return exc.code, {"error": exc.read().decode()[:500]}


class Proc:
    """A subprocess with its log under test-artifacts/, stopped with SIGTERM then SIGKILL."""

    def __init__(self, name: str, args: list[str], env: dict):
        (ROOT / "test-artifacts").mkdir(exist_ok=True)
        self.log_path = ROOT / "test-artifacts" / f"{name}.log"
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> None:
        if self.alive():
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.log.close()

    def text(self) -> str:
        self.log.flush()
        return self.log_path.read_text(errors="replace")


def _env(data_dir: Path, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACCES_SOINS_")}
    env.update({"ACCES_SOINS_DATA_DIR": str(data_dir), "ACCES_SOINS_ACCESS_LOG": "off"})
    env.update({f"ACCES_SOINS_{k}": str(v) for k, v in extra.items()})
    return env


def start_gunicorn(name: str, data_dir: Path, timeout: float = 60, **extra) -> tuple[Proc, str]:
    port = free_port()
    env = _env(data_dir, HOST="127.0.0.1", PORT=port, **extra)
    proc = Proc(name, [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"), "app:server"], env)
    url = f"http://127.0.0.1:{port}"

    def answered() -> bool:
        if not proc.alive():
            return True
        try:
            urllib.request.urlopen(url + "/healthz", timeout=2)
            return True
        except urllib.error.HTTPError:
            return True                # answered (503 is an answer)
        except Exception:
            return False
    try:
        until(answered, timeout, f"gunicorn {name} n'a pas démarré, voir {proc.log_path}", interval=0.1)
    except AssertionError:
        proc.stop()
        raise
    return proc, url


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    exe = shutil.which("redis-server") or ("/usr/bin/redis-server" if Path("/usr/bin/redis-server").exists() else None)
    if not exe:
        pytest.skip("redis-server absent : « make test » l'installe (apt-get install redis-server)")
    port = free_port()
    folder = tmp_path_factory.mktemp("redis")
    proc = Proc("redis", [exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                          "--dir", str(folder), "--daemonize", "no"], dict(os.environ))
    import redis

    client = redis.Redis(host="127.0.0.1", port=port)

    def pong() -> bool:
        if not proc.alive():
            raise RuntimeError(f"redis-server s'est arrêté, voir {proc.log_path}")
        try:
            return bool(client.ping())
        except redis.exceptions.ConnectionError:
            return False
    try:
        until(pong, 20, f"redis-server n'a pas démarré, voir {proc.log_path}")
    except (AssertionError, RuntimeError):
        proc.stop()
        raise
    yield f"redis://127.0.0.1:{port}/0"
    client.shutdown(nosave=True) if proc.alive() else None
    proc.stop()


@pytest.fixture(scope="module")
def cluster(redis_url, built_store):
    """Two gunicorn 'machines' (one worker each) and one Celery worker, all on the same Redis."""
    common = dict(REDIS_URL=redis_url, SECRET_KEY=SECRET, WORKERS=1)
    procs = []
    try:
        a, url_a = start_gunicorn("gunicorn-a", built_store, CACHE_DIR=built_store.parent / "cache-a", **common)
        procs.append(a)
        b, url_b = start_gunicorn("gunicorn-b", built_store, CACHE_DIR=built_store.parent / "cache-b", **common)
        procs.append(b)
        assert a.alive() and b.alive(), a.text()[-2000:] + b.text()[-2000:]
        worker = Proc("celery", [sys.executable, "-m", "celery", "-A", "dashboard.worker:celery_app", "worker",
                                 "--loglevel=info", "--concurrency=1", "--without-gossip", "--without-mingle",
                                 "--without-heartbeat"],
                      _env(built_store, CACHE_DIR=built_store.parent / "cache-w", **common))
        procs.append(worker)
        def ready() -> bool:
            assert worker.alive(), worker.text()[-3000:]
            return "ready" in worker.text()
        until(ready, 60, "le worker Celery n'est pas prêt", interval=0.1)
        yield {"a": url_a, "b": url_b, "redis": redis_url, "logs": procs}
    finally:
        for p in reversed(procs):
            p.stop()


def _end_id(page_html: str) -> str:
    config = re.search(r'<script id="_dash-config" type="application/json"[^>]*>(.*?)</script>', page_html, re.S)
    return json.loads(config.group(1))["end_id"]


def _export_payload(n_clicks) -> dict:
    return {"output": EXPORT_OUTPUT,
            "outputs": [{"id": "indicateurs-export-download", "property": "data"},
                        {"id": "indicateurs-export-result", "property": "children"}],
            "inputs": [{"id": "indicateurs-export", "property": "n_clicks", "value": n_clicks}],
            "changedPropIds": ["indicateurs-export.n_clicks"], "state": []}


def _render_page(base: str, path: str) -> dict:
    """What the browser does after loading the shell: the Dash Pages routing callback renders the page."""
    payload = {"output": ".._pages_content.children..._pages_store.data..",
               "outputs": [{"id": "_pages_content", "property": "children"},
                           {"id": "_pages_store", "property": "data"}],
               "inputs": [{"id": "_pages_location", "property": "pathname", "value": path},
                          {"id": "_pages_location", "property": "search", "value": ""}],
               "changedPropIds": ["_pages_location.pathname"], "state": []}
    status, answer = _post(base + "/_dash-update-component", payload)
    assert status == 200, answer
    return answer


# ---- tests ----------------------------------------------------------------------------------------------

def _gunicorn_conf():
    """gunicorn.conf.py loaded as gunicorn loads it (executed afresh at each call)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("gunicorn_conf_for_test", ROOT / "gunicorn.conf.py")
    conf = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conf)
    return conf


def test_secret_key_is_required_with_several_workers_or_redis():
    conf = _gunicorn_conf()
    assert conf.secret_key_problem({}, 1) is None
    assert "ACCES_SOINS_SECRET_KEY" in conf.secret_key_problem({}, 4)
    assert "REDIS" in conf.secret_key_problem({"ACCES_SOINS_REDIS_URL": "redis://x"}, 1)
    assert conf.secret_key_problem({"ACCES_SOINS_SECRET_KEY": "k"}, 4) is None
    assert conf.preload_app is True and conf.max_requests_jitter > 0     # workers share the master's pages


def test_workers_trim_the_heap_at_most_every_ten_seconds_and_arrow_uses_the_capped_allocator(monkeypatch):
    """gunicorn.conf.py: Arrow on the C library's allocator unless the operator chose another; after a request,
    malloc_trim at most every TRIM_EVERY seconds (the worker's clock), never at every request."""
    monkeypatch.delenv("ARROW_DEFAULT_MEMORY_POOL", raising=False)
    _gunicorn_conf()
    assert os.environ["ARROW_DEFAULT_MEMORY_POOL"] == "system"
    monkeypatch.setenv("ARROW_DEFAULT_MEMORY_POOL", "jemalloc")
    conf = _gunicorn_conf()
    assert os.environ["ARROW_DEFAULT_MEMORY_POOL"] == "jemalloc"       # the operator's value wins

    trims, clock = [], [1000.0]
    monkeypatch.setattr(conf, "_LIBC", type("Libc", (), {"malloc_trim": staticmethod(trims.append)}))
    monkeypatch.setattr("time.monotonic", lambda: clock[0])
    for step in (0, 1, conf.TRIM_EVERY - 1.5, 0.5, 3):       # t = 1000, 1001, 1009,5, 1010, 1013
        clock[0] += step
        conf.post_request(None, None, None, None)
    assert trims == [0, 0]                                   # at 1000 and at 1010 only


def test_gunicorn_refuses_several_workers_without_secret_key(built_store):
    env = _env(built_store, WORKERS=2, PORT=free_port())
    done = subprocess.run([sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"), "app:server"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "ACCES_SOINS_SECRET_KEY est obligatoire" in done.stderr


def test_healthz_200_with_the_data_version(built_store, store_data):
    proc, url = start_gunicorn("gunicorn-health", built_store, WORKERS=1)
    try:
        status, body = _get(url + "/healthz")
        assert status == 200, proc.text()[-2000:]
        assert json.loads(body)["version"] == store_data.version
    finally:
        proc.stop()


def test_healthz_503_without_data(tmp_path):
    empty = tmp_path / "vide"
    empty.mkdir()
    proc, url = start_gunicorn("gunicorn-empty", empty, WORKERS=1, CACHE_DIR=tmp_path / "cache")
    try:
        status, body = _get(url + "/healthz")
        assert status == 503, proc.text()[-2000:]
        assert json.loads(body) == {"status": "indisponible", "version": None}
    finally:
        proc.stop()


def test_background_export_started_on_one_server_is_fetched_from_the_other(cluster, store_data):
    status, page_a = _get(cluster["a"] + "/indicateurs")
    assert status == 200
    end_id = _end_id(page_a)
    status, started = _post(f"{cluster['a']}/_dash-update-component?endId={end_id}", _export_payload(1))
    assert status == 200, started
    assert "cacheKey" in started and "job" in started, started
    # Poll like dash-renderer: same payload with inputs nulled, handles in the query string — on the OTHER server.
    poll = _export_payload(None)
    query = f"endId={end_id}&cacheKey={started['cacheKey']}&job={started['job']}"
    def answered():
        status, answer = _post(f"{cluster['b']}/_dash-update-component?{query}", poll)
        assert status == 200, answer
        return answer if "response" in answer else None
    answer = until(answered, 60, "l'export n'a pas abouti : voir le journal du worker", interval=0.2)
    download = answer["response"]["indicateurs-export-download"]["data"]
    assert download["filename"] == f"acces-soins-valeurs-{store_data.version}.csv"
    assert download["content"].count("\n") == len(store_data.observations) + 1
    assert "Export prêt" in answer["response"]["indicateurs-export-result"]["children"]
    assert "succeeded" in cluster["logs"][2].text()          # it ran in the Celery worker


def test_forged_job_handle_is_refused(cluster):
    status, page_b = _get(cluster["b"] + "/indicateurs")
    end_id = _end_id(page_b)
    query = f"endId={end_id}&cacheKey=0123abcd~deadbeef&job=1~deadbeef"
    status, answer = _post(f"{cluster['b']}/_dash-update-component?{query}", _export_payload(None))
    assert "response" not in answer or not answer["response"].get("indicateurs-export-download")


def test_memoised_data_is_shared_through_redis(cluster, built_store, store_data, monkeypatch):
    import redis

    from dashboard import catalogue, settings, store

    _render_page(cluster["a"], "/indicateurs")              # process A computes the catalogue rows
    client = redis.Redis.from_url(cluster["redis"])
    key = catalogue.describe.cache_key(store_data, "R84")    # the page asks for the followed region's rows
    assert client.exists(key), "la valeur mémoïsée n'est pas dans Redis"
    assert client.ttl(key) > 0

    # Another process (this one) reads it from Redis and does not recompute.
    previous = settings.current()
    settings.use(settings.Settings(data_dir=built_store, redis_url=cluster["redis"], secret_key=SECRET))
    try:
        def must_not_run(*_a, **_k):
            raise AssertionError("recalculé au lieu d'être lu dans Redis")

        monkeypatch.setattr(catalogue.describe, "compute", must_not_run)
        rows = catalogue.describe(store.open_store(built_store), "R84")
        assert [r["id"] for r in rows] == list(store_data.indicators.index)
    finally:
        settings.use(previous)
    rendered = _render_page(cluster["b"], "/indicateurs")   # and process B serves the page from it
    assert "Exporter toutes les valeurs (CSV)" in json.dumps(rendered, ensure_ascii=False)


# ---- beyond one machine: two app servers on one store folder and one Redis (issue 24, point 5) ----------------

@pytest.fixture(scope="module")
def twin_servers(redis_url, built_store, tmp_path_factory):
    """Two gunicorn 'machines' (one worker each, two ports) on the SAME store folder (a copy of the session's
    store: this test publishes into it) and the same Redis, as docs/production.md §3 describes."""
    folder = tmp_path_factory.mktemp("partage")
    shared = folder / "stock"
    publish_copy(built_store, shared)
    common = dict(REDIS_URL=redis_url, SECRET_KEY=SECRET, WORKERS=1)
    procs = []
    try:
        for name in ("a", "b"):
            proc, url = start_gunicorn(f"gunicorn-twin-{name}", shared, CACHE_DIR=folder / f"cache-{name}", **common)
            procs.append((proc, url))
            assert proc.alive(), proc.text()[-2000:]
        yield {"store": shared, "servers": procs}
    finally:
        for proc, _url in reversed(procs):
            proc.stop()


def _health(url: str) -> dict:
    status, body = _get(url + "/healthz")
    assert status == 200, body
    return json.loads(body)


def _answers(url: str) -> dict:
    """What a client of each kind sees: the health check, an API answer, a callback (the plan page's routing)."""
    status, values = _get(url + "/api/v1/valeurs?indicateur=msp_count&territoire=R84")
    assert status == 200, values
    status, versions = _get(url + "/api/v1/versions")
    assert status == 200, versions
    status, shell = _get(url + "/_dash-layout")       # the footer names the data version served
    assert status == 200
    health = _health(url)
    # the plan page's « Intégrer » code names the address asked (each server's port here; behind the proxy, the
    # one public name): compared without it
    plan = json.loads(json.dumps(_render_page(url, "/")).replace(url, "http://adresse-publique"))
    return {"version": health["version"], "built_at": health["built_at"], "valeurs": json.loads(values),
            "versions": json.loads(versions), "plan": plan,
            "footer": re.search(r"Données : version [^\"]+", json.dumps(json.loads(shell), ensure_ascii=False)).group(0)}


def test_two_servers_on_one_store_and_redis_answer_the_same_and_pick_up_a_new_version(twin_servers, built_store):
    (a, url_a), (b, url_b) = twin_servers["servers"]
    pids = (a.proc.pid, b.proc.pid)
    until(lambda: _health(url_a)["warm"] and _health(url_b)["warm"], 120, "préchauffage inachevé")
    first_a, first_b = _answers(url_a), _answers(url_b)
    assert first_a == first_b
    assert first_a["valeurs"]["total"] > 0 and first_a["version"] in first_a["footer"]
    # served after the warm-up, the embed code still names the address asked, not the warm-up's « localhost »
    assert '<iframe src=\\"http://adresse-publique/integrer/' in json.dumps(first_a["plan"], ensure_ascii=False)

    # The pipeline publishes a new version into the shared folder (on a shared filesystem, or rsync'd then
    # CURRENT switched atomically): both pick it up without a restart, and answer alike again.
    new = publish_copy(built_store, twin_servers["store"])
    until(lambda: _health(url_a)["version"] == new and _health(url_b)["version"] == new, 30,
          "un serveur n'a pas pris la nouvelle version")
    then_a, then_b = _answers(url_a), _answers(url_b)
    assert then_a == then_b
    assert then_a["version"] == new != first_a["version"] and new in then_a["footer"]
    assert (a.proc.pid, b.proc.pid) == pids and a.alive() and b.alive()        # no restart
    until(lambda: _health(url_a)["warm"] and _health(url_b)["warm"], 120, "nouvelle version non préchauffée")
