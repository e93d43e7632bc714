"""Callbacks, one module per page; thin: read inputs, call pure functions of ``dashboard``, return outputs."""
from __future__ import annotations

import importlib
import pkgutil

import layouts


def register(public: bool) -> None:
    pages = layouts.PUBLIC_PAGES if public else layouts.INTERNAL_PAGES
    available = {m.name for m in pkgutil.iter_modules(__path__)}
    for name in ["shell", *([] if public else ["search"]), *pages]:
        if name in available:
            importlib.import_module(f"callbacks.{name}")
