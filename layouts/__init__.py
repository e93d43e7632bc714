"""Pages (one module per page: ``dash.register_page`` + ``layout(**query)``) and shared components.

Which pages an instance serves is decided here: the public (kiosk) instance registers
only the pages listed in PUBLIC_PAGES.
"""
from __future__ import annotations

import importlib

INTERNAL_PAGES = ["plan", "carte", "territoire", "kiosque", "indicateurs", "saisie", "not_found"]
PUBLIC_PAGES = ["kiosque", "not_found"]


def register(public: bool) -> None:
    for name in PUBLIC_PAGES if public else INTERNAL_PAGES:
        importlib.import_module(f"layouts.{name}")
