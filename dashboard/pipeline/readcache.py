"""What a raw file gave, kept between builds: a build reads again only the files that changed.

Reading is the longest step of a build (the APL workbook, the commune contours, the territorial reference of
36 000 rows), and every publication — one after each validated entry of the saisie — rebuilds from every file.
Each file's :class:`~dashboard.pipeline.contribution.Contribution`, as its reader returned it, is kept on disk
(diskcache, ``Settings.cache_dir / "lecture"``, bounded in size, shared by the processes of the machine) under
a key of everything the reading depends on:

* the file's absolute path and the sha256 of its bytes (a file changed in place is read again);
* the reader (its source name) and the options of ``sources.toml``;
* the other files the reader reads beside it (the baromètre's mapping table: :func:`dependencies`);
* the code of the pipeline (a new version of a reader reads every file again).

A refused file is never kept (its reader raised): it is read, and refused, every time. The rest of the build
(merges, aggregations, checks, the plan tracking) always runs. ``ACCES_SOINS_READ_CACHE=0`` turns it off.
"""
from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import pickle
from pathlib import Path
from typing import Callable

from .contribution import Contribution

log = logging.getLogger("acces_soins.pipeline")

SIZE_LIMIT = 1024 * 2**20          # bytes: a national edition's files are a few hundred MB read
PACKAGE = Path(__file__).resolve().parent.parent       # dashboard/: the readers and the rules they use


def enabled() -> bool:
    return os.environ.get("ACCES_SOINS_READ_CACHE", "1").strip().lower() not in ("0", "non", "false", "no")


@functools.lru_cache(maxsize=1)
def code_version() -> str:
    """The sha256 of the package's Python files: a reader changed, every file is read again."""
    h = hashlib.sha256()
    for path in sorted(PACKAGE.rglob("*.py")):
        h.update(str(path.relative_to(PACKAGE)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def file_digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def dependencies(path: Path, options: dict) -> list[Path]:
    """Files other than ``path`` its reader may read: the baromètre's mapping table (found beside the file)."""
    from .readers import barometre

    found = barometre.find_mapping(path, options)
    return [found] if found.is_file() else []


def key(source: str, path: Path, options: dict) -> str:
    path = Path(path).resolve()
    parts = {"source": source, "path": str(path), "sha256": file_digest(path), "code": code_version(),
             "options": json.dumps(options, sort_keys=True, default=str),
             "depends": [[str(d), file_digest(d)] for d in dependencies(path, options)]}
    return "lecture:" + hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


@functools.lru_cache(maxsize=4)
def _cache(folder: str):
    import diskcache

    Path(folder).mkdir(parents=True, exist_ok=True)
    return diskcache.Cache(folder, size_limit=SIZE_LIMIT)


def folder() -> Path:
    from .. import settings

    return Path(settings.current().cache_dir) / "lecture"


def read(source: str, reader: Callable[[Path, dict], Contribution], path: Path, options: dict) -> tuple[Contribution, bool]:
    """(the file's contribution, whether it came from the cache). The reader's errors pass through untouched."""
    if not enabled():
        return reader(path, options), False
    try:
        k, cache = key(source, path, options), _cache(str(folder()))
        kept = cache.get(k)
    except Exception:       # the cache only saves time: a broken one is skipped, never a failed build
        log.warning("cache de lecture indisponible", exc_info=True)
        return reader(path, options), False
    if kept is not None:
        try:
            return pickle.loads(kept), True
        except Exception:
            log.warning("cache de lecture illisible pour %s : relu", path, exc_info=True)
    contribution = reader(path, options)
    try:
        cache.set(k, pickle.dumps(contribution, protocol=pickle.HIGHEST_PROTOCOL))
    except Exception:       # unpicklable or a full disk: read again next time
        log.warning("cache de lecture : %s non conservé", path, exc_info=True)
    return contribution, False
