"""Shared fixtures. Real open-data samples are read from ACCES_SOINS_OPENDATA (set by .ci/run
to ../shared/opendata); tests that need them are skipped, with the reason shown, when absent."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def opendata() -> Path:
    folder = os.environ.get("ACCES_SOINS_OPENDATA", "")
    if not folder or not Path(folder).is_dir():
        pytest.skip("données ouvertes réelles absentes : définir ACCES_SOINS_OPENDATA (voir README)")
    return Path(folder)
