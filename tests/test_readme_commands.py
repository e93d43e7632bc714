"""Every command the README and docs/*.md show runs as written (issue 22, point 8): the README's own pack example
exited 2 on the default data (a quarter the data do not reach) and nothing noticed.

A command is a line of a code block or an inline code span starting with ``python -m dashboard``,
``.venv/bin/python -m dashboard`` or ``make TARGET``. Not run: the make targets that serve or never end
(:data:`NOT_RUN`), the suite itself, and commands prefixed by environment variables (they name system paths,
such as ``/etc/acces-soins/users``). Optional parts (``[--out DIR]``) and ``# comments`` are left out; the
placeholders (:data:`PLACEHOLDERS`) become paths and values of a temporary workspace.

Each command runs in that workspace: a copy of ``data/raw``, a copy of the session's store, links to the code
and to the virtualenv, and every ``ACCES_SOINS_`` path pointing inside it — the repository is never written
(checked at the end). They run in the documents' order, as a reader would (the saisie walkthrough imports, then
approves what it imported); ``make clean`` runs last since it empties the workspace's store.
"""
from __future__ import annotations

import os
import re
import shlex
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from dashboard import security

from .helpers import ROOT

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
PREFIXES = ("python -m dashboard", ".venv/bin/python -m dashboard", "make ")
# make targets that serve or run forever (run, serve, kiosk, worker, beat), run the suite (test, test-fast) or every
# benchmark for minutes (bench); lint: `make test` and `make test-fast` run it before the suite, that very command
NOT_RUN = {"run", "serve", "kiosk", "worker", "beat", "test", "test-fast", "bench", "lint"}
LAST = {"make clean"}          # empties the workspace's store: after everything that reads it
PASSWORD = "un mot de passe assez long"
USERS = {"alice": ("contributeur", "D15,D43"), "vera": ("valideur", ""), "adele": ("admin", "")}
# the placeholders of the documents, each a word of its own in a command (see _substitute for DIR, ID, ITEM…)
PLACEHOLDERS = {"NAME": "nadia", "NOM": "alice", "ADMIN": "adele", "TEXT": "valeur à vérifier", "'…'": PASSWORD}
FENCE = re.compile(r"^\s*```")
INLINE = re.compile(r"`([^`]+)`")


def _command(text: str) -> str | None:
    """The command a code line or span holds, without its comment and optional parts; None if not one."""
    text = " ".join(text.split())
    if not text.startswith(PREFIXES):
        return None
    text = re.sub(r"\s+#\s.*$", "", text)
    while re.search(r"\s*\[[^\[\]]*\]", text):
        text = re.sub(r"\s*\[[^\[\]]*\]", "", text)
    if text.startswith("make "):
        target = text.split()[1]
        if target in NOT_RUN or "=" in target:
            return None
    return text.strip()


def documented_commands() -> list[tuple[str, str]]:
    """[(where, command)] in the documents' order, each command once."""
    found: dict[str, tuple[str, str]] = {}
    for doc in DOCS:
        lines = doc.read_text(encoding="utf-8").splitlines()
        fenced, paragraph = False, []      # paragraph: its (line number, line); a span may cross lines

        def flush():
            for span in INLINE.findall(" ".join(line for _n, line in paragraph)):
                cmd = _command(span)
                if cmd:
                    found.setdefault(_same(cmd), (cmd, f"{doc.name}:{paragraph[0][0]}"))
            paragraph.clear()

        for n, line in enumerate(lines, 1):
            if FENCE.match(line):
                flush()
                fenced = not fenced
            elif fenced or line.startswith("    ") and not line.lstrip().startswith(("-", "*", "|", "`")):
                cmd = _command(line)
                if cmd:
                    found.setdefault(_same(cmd), (cmd, f"{doc.name}:{n}"))
                elif not fenced:
                    paragraph.append((n, line))
            elif not line.strip():
                flush()
            else:
                paragraph.append((n, line))
        flush()
    ordered = sorted(found.values(), key=lambda cw: cw[0] in LAST)      # stable: the documents' order otherwise
    return [(where, cmd) for cmd, where in ordered]


def _same(command: str) -> str:
    """What makes two documented commands one: ``.venv/bin/python -m …`` is ``python -m …`` in the virtualenv
    (both run as ``sys.executable``), so the README's and docs/donnees.md's ``pipeline build`` run once."""
    return command.removeprefix(".venv/bin/")


def test_the_documented_commands_are_found():
    """The extraction itself: the README's pack example and the saisie walkthrough are among the commands."""
    commands = [c for _w, c in documented_commands()]
    assert "python -m dashboard.pack --quarter 2023Q4 --out DIR" in commands
    assert "python -m dashboard.saisie approve ID --user vera" in commands
    assert ".venv/bin/python -m dashboard.pipeline build" in commands
    assert "make data" in commands and commands[-1] == "make clean"
    assert not [c for c in commands if c.split()[:2] in (["make", "run"], ["make", "test"], ["make", "serve"])]


class Workspace:
    """A temporary copy of what the commands read and write; ``state`` carries what one command prints for the
    next one (the submission an import made)."""

    def __init__(self, root: Path, built_store: Path):
        self.root = root
        root.mkdir(parents=True)
        for entry in ROOT.iterdir():      # the code and the virtualenv as links; data/ copied below
            if entry.name not in {"data", ".git", "test-artifacts", ".cache", ".pytest_cache"}:
                (root / entry.name).symlink_to(entry)
        shutil.copytree(ROOT / "data" / "raw", root / "data" / "raw")
        shutil.copytree(built_store, root / "data" / "processed", symlinks=True)
        self.store = root / "data" / "processed"
        users = root / "users"
        for name, (role, scope) in USERS.items():
            security.add_user(users, name, PASSWORD, role, scope)
        self.entries = root / "saisie-T2-2024.csv"       # a value alice may enter (D15 is in her scope)
        self.entries.write_text("indicateur,territoire,trimestre,valeur,statut,source,note\n"
                                "mcs_count,D15,2024Q2,9,observed,Bilan SAMU 15,\n", encoding="utf-8")
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("ACCES_SOINS_")}
        self.env.update(ACCES_SOINS_RAW_DIR=str(root / "data" / "raw"), ACCES_SOINS_DATA_DIR=str(self.store),
                        ACCES_SOINS_CACHE_DIR=str(root / ".cache"), ACCES_SOINS_USERS_FILE=str(users),
                        PYTHONDONTWRITEBYTECODE="1")
        self.outs = 0
        self.open_submissions: list[str] = []
        self.last_import: list[str] | None = None

    def versions(self) -> list[str]:
        return sorted(p.name for p in self.store.iterdir() if p.is_dir() and (p / "manifest.json").exists())

    def out_dir(self) -> str:
        self.outs += 1
        return str(self.root / "out" / str(self.outs))

    def run(self, argv: list[str], stdin: str = "") -> subprocess.CompletedProcess:
        assert Path(self.root) != ROOT
        return subprocess.run(argv, cwd=self.root, env=self.env, capture_output=True, text=True, input=stdin,
                              timeout=600)

    def submission(self) -> str:
        """An open submission (for approve or reject): the last import's, else one more of the same import."""
        if not self.open_submissions:
            assert self.last_import, "approve/reject documented before any import"
            proc = self.run(self.last_import)
            assert proc.returncode == 0, proc.stderr
            self.open_submissions.append(proc.stdout.strip().splitlines()[-1])
        return self.open_submissions.pop(0)

    def validated_item(self) -> str:
        with sqlite3.connect(self.root / "data" / "saisie.sqlite3") as db:
            row = db.execute("select i.id from submission_items i join submissions s on s.id = i.submission_id "
                             "where s.status in ('approved', 'published') order by i.id").fetchone()
        assert row, "withdraw ITEM documented before any approval"
        return str(row[0])


def _substitute(ws: Workspace, words: list[str]) -> list[str]:
    out = []
    for i, word in enumerate(words):
        before = words[i - 1] if i else ""
        if word == "DIR":
            word = str(ws.root / "data" / "raw") if before == "--raw" else ws.out_dir()
        elif word == "FILE":
            word = str(ws.entries)
        elif word == "ID":
            word = ws.submission()
        elif word == "ITEM":
            word = ws.validated_item()
        elif word == "VERSION":          # rollback: the version before the one in service
            current = (ws.store / "CURRENT").read_text().strip()
            word = [v for v in ws.versions() if v != current][-1]
        elif word in ("VERSION_A", "VERSION_B"):     # the two latest versions, oldest first
            word = ws.versions()[-2:][0 if word == "VERSION_A" else -1]
        else:
            word = PLACEHOLDERS.get(word, word)
        out.append(word)
    return out


def _argv(ws: Workspace, command: str) -> list[str]:
    words = shlex.split(command.replace("'…'", shlex.quote(PLACEHOLDERS["'…'"])))
    words = _substitute(ws, words)
    if words[0] == "python":
        return [sys.executable, *words[1:]]
    if words[0] == "make":
        # -o: a test never reinstalls the shared virtualenv, whatever the requirements' dates
        return ["make", "--no-print-directory", "-o", ".venv/bin/.installed", *words[1:]]
    return words


def _repo_snapshot() -> dict[str, float]:
    data = ROOT / "data"
    return {str(p.relative_to(ROOT)): p.stat().st_mtime for p in [data, *data.iterdir(), data / "processed" / "CURRENT"]
            if p.exists()}


@pytest.mark.slow
def test_every_documented_command_runs_as_written(built_store, tmp_path):
    ws = Workspace(tmp_path / "ws", built_store)
    before = _repo_snapshot()
    failures = []
    for where, command in documented_commands():
        argv = _argv(ws, command)
        proc = ws.run(argv, stdin=PASSWORD + "\n")
        if proc.returncode != 0:
            failures.append(f"{where}: {command}\n  → {shlex.join(argv)}\n  exit {proc.returncode}: "
                            f"{(proc.stderr or proc.stdout).strip()[-600:]}")
            continue
        if "dashboard.saisie import " in command:
            ws.last_import = argv
            ws.open_submissions.append(proc.stdout.strip().splitlines()[-1])
    assert not failures, "\n".join(failures)
    assert _repo_snapshot() == before          # the repository's data folder was never written
