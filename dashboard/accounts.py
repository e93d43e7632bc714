"""Accounts of the internal instance: roles, scopes and the users/roles files (docs/securite.md).

Below the web layer so that the saisie (its scope rule, its CLI) reads who may do what without importing the
Flask side (``dashboard.security``: sign-in, sessions, headers), which re-exports these names.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from werkzeug.security import generate_password_hash

from .settings import Settings

_NAME_RE = re.compile(r"^[A-Za-z0-9._@-]{1,64}$")


# ---- users file, roles and scopes ----------------------------------------------------------

# Roles of the internal instance, in increasing power (see docs/saisie.md): lecteur reads the internal pages,
# contributeur enters values for the territories of its scope, valideur approves for the region, admin also
# manages users and republishes/withdraws.
ROLES = ("lecteur", "contributeur", "valideur", "admin")
DEFAULT_ROLE = "lecteur"
_SCOPE_RE = re.compile(r"^(FR|R\d{2,3}|D(\d{2}|2A|2B|97\d))$")


@dataclass(frozen=True)
class Account:
    """Who is signed in: role and scope (territory codes; empty = the whole region for valideur/admin)."""
    name: str
    role: str = DEFAULT_ROLE
    territories: tuple[str, ...] = ()

    def at_least(self, role: str) -> bool:
        return ROLES.index(self.role) >= ROLES.index(role)

    def covers(self, code: str, region_of: dict[str, str] | None = None, region: str = "") -> bool:
        """May this account enter values for territory ``code``? Valideurs and admins: the instance's ``region``
        and its départements, nothing else; contributors: a code of their scope, or a département whose region
        is in their scope (``region_of``: D → R). (The saisie applies it as ``service.in_scope``.)"""
        if not isinstance(code, str) or not self.at_least("contributeur"):
            return False
        if self.at_least("valideur"):
            return bool(region) and (code == region or (region_of or {}).get(code) == region)
        return code in self.territories or (region_of or {}).get(code) in self.territories


def parse_role(role: str, territories: str | list | tuple | None, where: str = "") -> tuple[str, tuple[str, ...]]:
    """Checked role and scope; raises ValueError (French) on an unknown role or territory code."""
    if role not in ROLES:
        raise ValueError(f"{where}rôle attendu parmi {', '.join(ROLES)}, reçu {role!r}")
    if isinstance(territories, str):
        territories = [t for t in territories.replace(";", ",").split(",")]
    codes = tuple(dict.fromkeys(t.strip().upper() for t in territories or () if t.strip()))
    bad = [c for c in codes if not _SCOPE_RE.match(c)]
    if bad:
        raise ValueError(f"{where}territoires attendus en codes R84, D15… séparés par des virgules, reçu {bad[0]!r}")
    if role == "contributeur" and not codes:
        raise ValueError(f"{where}un contributeur a besoin de territoires (--territoires D15,D43)")
    return role, codes


def read_accounts(path: str | Path) -> dict[str, tuple[str, Account]]:
    """``name:hash [role [territories]]`` lines (fields separated by spaces; the hash holds ``:`` and ``$``
    but no space). Lines without a role are lecteurs. Returns name -> (hash, Account); ValueError on a bad line."""
    users = {}
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        first, *rest = line.split()
        name, sep, hashed = first.partition(":")
        if not sep or not _NAME_RE.match(name) or not hashed or "$" not in hashed or len(rest) > 2:
            raise ValueError(f"{path}:{n}: ligne attendue « nom:empreinte [rôle [territoires]] » (empreinte werkzeug)")
        role, codes = parse_role(rest[0] if rest else DEFAULT_ROLE, rest[1] if len(rest) > 1 else "", f"{path}:{n}: ")
        users[name] = (hashed, Account(name, role, codes))
    return users


def read_users(path: str | Path) -> dict[str, str]:
    """name -> password hash (see :func:`read_accounts` for the line format)."""
    return {name: hashed for name, (hashed, _account) in read_accounts(path).items()}


def read_roles(path: str | Path) -> dict[str, Account]:
    """Trusted-header mode: ``name role [territories]`` per line; users absent from it are lecteurs."""
    roles = {}
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        fields = line.split()
        if len(fields) not in (2, 3) or len(fields[0]) > 256:
            raise ValueError(f"{path}:{n}: ligne attendue « nom rôle [territoires] »")
        role, codes = parse_role(fields[1], fields[2] if len(fields) > 2 else "", f"{path}:{n}: ")
        roles[fields[0]] = Account(fields[0], role, codes)
    return roles


def add_user(path: str | Path, name: str, password: str, role: str = DEFAULT_ROLE,
             territories: str | list | tuple = ()) -> None:
    if not _NAME_RE.match(name):
        raise ValueError("nom d'utilisateur : lettres, chiffres, . _ @ - (64 caractères au plus)")
    if len(password) < 12:
        raise ValueError("mot de passe trop court : 12 caractères au moins")
    role, codes = parse_role(role, territories)
    path = Path(path)
    users = read_accounts(path) if path.exists() else {}
    users[name] = (generate_password_hash(password), Account(name, role, codes))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    lines = [f"{u}:{h} {a.role}{' ' + ','.join(a.territories) if a.territories else ''}\n"
             for u, (h, a) in sorted(users.items())]
    tmp.write_text("# Utilisateurs du tableau de bord interne (nom:empreinte rôle territoires), voir docs/securite.md\n"
                   + "".join(lines), encoding="utf-8")
    tmp.chmod(0o600)
    tmp.replace(path)


_ACCOUNTS_CACHE: dict[str, tuple[float, dict]] = {}


def _cached(path: str, reader) -> dict:
    """Re-read a users/roles file when it changes (add-user without restart); {} when unreadable."""
    try:
        mtime = Path(path).stat().st_mtime
    except OSError:
        return {}
    seen = _ACCOUNTS_CACHE.get(path)
    if seen is None or seen[0] != mtime:
        try:
            seen = (mtime, reader(path))
        except (OSError, ValueError):
            seen = (mtime, {})
        _ACCOUNTS_CACHE[path] = seen
    return seen[1]


def all_accounts(conf: Settings) -> list[Account]:
    """Everyone given a role by the users file or the roles file, by name (a name in both: the users file's, as
    :func:`account_of`); raises OSError or ValueError on an unreadable file (the reminders must not skip it)."""
    found: dict[str, Account] = {}
    if conf.roles_file:
        found.update(read_roles(conf.roles_file))
    if conf.users_file and Path(conf.users_file).exists():
        found.update({name: account for name, (_hash, account) in read_accounts(conf.users_file).items()})
    return [found[name] for name in sorted(found)]


def account_of(conf: Settings, name: str | None) -> Account | None:
    """Role and scope of a signed-in user: users file, else roles file (trusted header); lecteur by default."""
    if not name:
        return None
    if conf.users_file:
        found = _cached(conf.users_file, read_accounts).get(name)
        if found:
            return found[1]
    if conf.roles_file:
        found = _cached(conf.roles_file, read_roles).get(name)
        if found:
            return found
    return Account(name)


