"""Gunicorn configuration for production: ``gunicorn -c gunicorn.conf.py app:server`` (``make serve``).

Every value comes from an ``ACCES_SOINS_*`` variable (see docs/production.md):

| variable            | default        | meaning                                                       |
|---------------------|----------------|---------------------------------------------------------------|
| HOST, PORT          | 127.0.0.1 8050 | address bound (behind a reverse proxy: keep 127.0.0.1)        |
| WORKERS             | 2 × cores      | worker processes (each loads the read-only store itself)      |
| THREADS             | 4              | threads per worker (callbacks are short, mostly pandas)       |
| TIMEOUT             | 60             | seconds before a silent worker is killed and replaced         |
| MAX_REQUESTS        | 10000          | a worker is recycled after this many requests (+ jitter)      |
| KEEPALIVE           | 75             | seconds an idle keep-alive connection is kept (> proxy's)     |
| ACCESS_LOG          | -              | access log file ("-": standard output; "off": none)           |
| SECRET_KEY          | —              | REQUIRED with several workers or with REDIS_URL (see below)   |

Why the secret key is required: Flask sessions and Dash's background-callback handles (cacheKey/job, signed
with ``server.secret_key``) must verify in whichever worker or machine receives the next request. A random key
per process (the development default) makes a job started in one worker unreadable from another.
"""
from __future__ import annotations

import multiprocessing
import os
import sys
import time


def _env(name: str, default: str) -> str:
    return os.environ.get("ACCES_SOINS_" + name, "") or default


bind = f"{_env('HOST', '127.0.0.1')}:{_env('PORT', '8050')}"
workers = int(_env("WORKERS", str(2 * multiprocessing.cpu_count())))
threads = int(_env("THREADS", "4"))
worker_class = "gthread"                  # threads: a slow request does not hold the whole worker
timeout = int(_env("TIMEOUT", "60"))
graceful_timeout = 30
# Idle keep-alive connections wait in the poller, not in a thread. Keep this LONGER than the client side's idle
# timeout (nginx upstream keepalive_timeout: 60 s by default): otherwise gunicorn closes a connection at the
# moment the proxy reuses it, and that request fails (502 / "connection reset").
keepalive = int(_env("KEEPALIVE", "75"))
max_requests = int(_env("MAX_REQUESTS", "10000"))  # recycle workers: bounds any slow memory growth (a safety
#   net: RSS is flat under load; each restart costs ~2 s of CPU to re-import and reload the store)
max_requests_jitter = max(1, max_requests // 10)   # ... not all at the same moment
# Preload: the master imports the app and loads the store once, then forks; the workers share those pages
# (about 250 MB: the libraries and the store) copy-on-write instead of holding a copy each (``when_ready``
# freezes them out of the garbage collector's reach, whose passes would otherwise touch and copy them).
# Every lock, database pool and cache backend is renewed in a forked child (os.register_at_fork).
# ACCES_SOINS_PRELOAD=0: each worker imports and loads by itself (as before).
preload_app = _env("PRELOAD", "1") != "0"
forwarded_allow_ips = _env("FORWARDED_ALLOW_IPS", "127.0.0.1")  # trust X-Forwarded-* from the local proxy only
_log = _env("ACCESS_LOG", "-")
accesslog = None if _log == "off" else _log
access_log_format = '%(h)s "%(r)s" %(s)s %(B)s %(M)sms "%(a)s"'
errorlog = "-"
loglevel = _env("LOG_LEVEL", "info")
proc_name = "acces-soins"


def secret_key_problem(environ: dict, n_workers: int) -> str | None:
    """Why this configuration must not start, or None (pure: tested in tests/test_production.py)."""
    if environ.get("ACCES_SOINS_SECRET_KEY"):
        return None
    if n_workers > 1 or environ.get("ACCES_SOINS_REDIS_URL"):
        why = f"{n_workers} workers" if n_workers > 1 else "ACCES_SOINS_REDIS_URL (plusieurs machines)"
        return ("ACCES_SOINS_SECRET_KEY est obligatoire avec " + why + " : une clé aléatoire par processus "
                "rend les sessions et les tâches de fond d'un worker illisibles depuis un autre. "
                "Générez-en une : python -c 'import secrets; print(secrets.token_hex(32))'")
    return None


def _libc():
    """glibc, or None (another C library, or none found): the memory settings below are glibc's."""
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
        return libc if libc is not None and hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else None
    except OSError:
        return None


def _cap_malloc_arenas() -> None:
    """glibc gives each thread that allocates its own arena (up to 8 per core), and a freed block stays in its
    arena: four threads a worker each kept their own high-water mark. Two arenas per process bound that (the
    MALLOC_ARENA_MAX of the environment, which only a process started afresh reads). No-op off glibc."""
    if _LIBC is None or os.environ.get("MALLOC_ARENA_MAX"):   # not glibc, or the operator's own value
        return
    _LIBC.mallopt(-8, 2)                                      # M_ARENA_MAX = -8 (malloc.h)
    # Blocks of 256 kB and more (pandas' columns of a request) mapped apart and unmapped when freed:
    # glibc's default threshold grows with the largest block freed, up to 32 MB, and freed blocks below it
    # stay in the heap — each worker kept its biggest request's memory.
    _LIBC.mallopt(-3, 256 * 1024)                             # M_MMAP_THRESHOLD = -3


_LIBC = _libc()
_cap_malloc_arenas()
# Arrow (pandas' string columns, the store's Parquet files) on the C library's allocator, capped and trimmed as
# above: left to choose, it set up its own allocator's arenas besides — 10 MB more per process, measured after
# the store is loaded. Read when pyarrow is first imported, i.e. after this file; the operator's value wins.
os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")
TRIM_EVERY = 10.0          # seconds: at most one malloc_trim a worker that often (it takes about a millisecond)
_last_trim = 0.0           # this process's last trim (time.monotonic); a forked worker starts from its master's


def post_request(worker, req, environ, resp):
    """The heap's free pages handed back to the system after a request, at most every TRIM_EVERY seconds:
    glibc keeps what a request freed inside its heaps (below the mmap threshold), so a worker's resident memory
    stayed at its busiest moment's. malloc_trim(0) releases the free pages wherever they are in the heap."""
    global _last_trim
    now = time.monotonic()
    if _LIBC is not None and now - _last_trim >= TRIM_EVERY:
        _last_trim = now
        _LIBC.malloc_trim(0)


def on_starting(server):
    problem = secret_key_problem(os.environ, server.cfg.workers)
    if problem:
        print(f"Refus de démarrer : {problem}", file=sys.stderr)
        sys.exit(1)


def when_ready(server):
    """With preload, in the master before the first fork: the served store loaded, then every object so far
    frozen out of the collector (gc.freeze), so the workers keep sharing them."""
    if not server.cfg.preload_app:
        return
    import gc

    from dashboard import store

    try:
        store.get()
    except store.StoreUnavailable:               # already logged by the store; each worker will retry
        server.log.warning("préchargement : aucune version lisible, chaque worker la chargera")
    gc.collect()
    gc.freeze()


def post_worker_init(worker):
    """Warm each worker before it takes traffic: load the store, build the index page once.

    Dash registers the component-suite files a page may request while it renders the index page; a fresh worker
    asked for a script before that (the browser got the HTML from another worker) answers 500. Rendering the
    index here, in the worker, closes that window and also loads the store before the first real request.
    """
    client = worker.wsgi.test_client()
    for path in ("/", "/_dash-layout", "/_dash-dependencies"):
        response = client.get(path)
        if response.status_code != 200:
            worker.log.warning("préchauffage : %s a répondu %s", path, response.status_code)
