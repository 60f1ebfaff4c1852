"""Who is signed in: the three sign-in modes and the OIDC role mapping.

* "oidc": Streamlit's `st.login` with an `[auth]` block in `.streamlit/secrets.toml`; the
  role comes from `data/roller.toml` (`role_for_claims`); an unknown user gets no access.
* "lokal": local accounts in `data/konton.json` (see `lagesbild.access.accounts`).
* "localhost": neither is configured; the app serves only this computer (bind to
  `LOCALHOST_ADDRESS`) and whoever uses it is an analyst. Every page shows `LOCALHOST_NOTE`.
"""

from __future__ import annotations

import getpass
import ipaddress
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lagesbild.access.roles import ANALYTIKER, ROLE_RANK, ROLES, User
from lagesbild.domain import config

# -- OIDC: roles from data/roller.toml ------------------------------------------------------------
ROLES_ENV = "LAGESBILD_ROLES"


def roles_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The role mapping: an explicit path, else $LAGESBILD_ROLES, else data/roller.toml."""
    if explicit:
        return Path(explicit)
    return Path(os.environ.get(ROLES_ENV) or config.DATA_DIR / "roller.toml")


@dataclass(frozen=True)
class RoleMapping:
    """Who gets which role after an OIDC sign-in. Keys are lower case."""

    users: Mapping[str, str] = field(default_factory=dict)  # e-mail, sub or oid -> role
    groups: Mapping[str, str] = field(default_factory=dict)  # group -> role
    group_claim: str = "groups"
    default_role: str | None = None  # None: unknown users get no access


def _role(value: object, where: str, path: Path) -> str:
    role = str(value).strip().lower()
    if role not in ROLES:
        raise ValueError(f"Okänd roll {value!r} för {where} i {path}. Giltiga roller: "
                         f"{', '.join(ROLES)}.")
    return role


def load_role_mapping(path: str | os.PathLike[str] | None = None) -> RoleMapping:
    """Read data/roller.toml (or the given file). No file: nobody gets a role."""
    target = roles_path(path)
    if not target.exists():
        return RoleMapping()
    try:
        raw = tomllib.loads(target.read_text("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"{target} går inte att läsa som TOML: {exc}. Jämför med "
                         "data/roller.exempel.toml.") from None
    users = {str(k).strip().lower(): _role(v, f"användaren {k!r}", target)
             for k, v in raw.get("anvandare", {}).items()}
    groups = {str(k).strip().lower(): _role(v, f"gruppen {k!r}", target)
              for k, v in raw.get("grupper", {}).items()}
    default = str(raw.get("standardroll", "") or "").strip()
    return RoleMapping(
        users=users, groups=groups,
        group_claim=str(raw.get("grupp_claim", "groups") or "groups"),
        default_role=_role(default, "standardroll", target) if default else None,
    )


def _groups_of(value: object) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [g for g in value.replace(",", " ").split() if g]
    if isinstance(value, list | tuple | set | frozenset):
        return [str(g) for g in value if g is not None]
    return [str(value)]


def email_verified(claims: Mapping[str, Any], trusted: bool | None = None) -> bool:
    """Whether the e-mail claim may identify the user: the provider says `email_verified`
    (true), or the settings trust the provider's addresses (`oidc_betrodd_epost`)."""
    if trusted is None:
        trusted = config.settings().sign_in.oidc_trusted_email
    flag = claims.get("email_verified")
    if flag is True or (isinstance(flag, str) and flag.strip().lower() == "true"):
        return True
    return trusted and flag is None


def _identities(claims: Mapping[str, Any], trusted: bool | None = None) -> list[str]:
    """The claims a user entry may match: sub, oid and the e-mail address when it is
    verified (see `email_verified`)."""
    found = [claims.get("sub"), claims.get("oid")]
    if email_verified(claims, trusted):
        found.append(claims.get("email"))
    return [str(v).strip().lower() for v in found if v]


def role_for_claims(claims: Mapping[str, Any], mapping: RoleMapping,
                    trusted_email: bool | None = None) -> str | None:
    """The role of a signed-in OIDC user: an entry for the user (verified e-mail, sub or oid)
    wins, else the highest role among the user's groups, else the default role (normally
    none)."""
    for identity in _identities(claims, trusted_email):
        if identity in mapping.users:
            return mapping.users[identity]
    roles = [mapping.groups[g.strip().lower()]
             for g in _groups_of(claims.get(mapping.group_claim))
             if g.strip().lower() in mapping.groups]
    if roles:
        return max(roles, key=ROLE_RANK.__getitem__)
    return mapping.default_role


def oidc_identity(claims: Mapping[str, Any], trusted_email: bool | None = None) -> str:
    """The name of an OIDC user in the audit log: the verified e-mail, else sub."""
    email = claims.get("email") if email_verified(claims, trusted_email) else None
    return str(email or claims.get("sub") or claims.get("oid") or "okänd")


def user_from_claims(claims: Mapping[str, Any], mapping: RoleMapping,
                     trusted_email: bool | None = None) -> User | None:
    """The User for an OIDC sign-in, or None when the user has no role (no access)."""
    role = role_for_claims(claims, mapping, trusted_email)
    if role is None:
        return None
    return User(oidc_identity(claims, trusted_email), role, "oidc",
                display_name=str(claims.get("name") or ""))


# -- sign-in mode -------------------------------------------------------------------------------
LOCALHOST_ADDRESS = "127.0.0.1"  # --server.address in "localhost" mode
LOCALHOST_NOTE = (
    "Ingen inloggning är konfigurerad: lägesbilden är till för en person på en dator. Den "
    "visas bara på den här datorn (localhost), och den som använder datorn har analytikerns "
    "behörighet. Se README om inloggning för att dela lägesbilden i nätverket."
)


def sign_in_mode(secrets_has_auth: bool, accounts_file_exists: bool) -> str:
    """"oidc" when secrets.toml has [auth], else "lokal" when there is an accounts file,
    else "localhost"."""
    if secrets_has_auth:
        return "oidc"
    if accounts_file_exists:
        return "lokal"
    return "localhost"


def server_address(mode: str) -> str | None:
    """The address the app must bind to in a mode (None: whatever the configuration says)."""
    return LOCALHOST_ADDRESS if mode == "localhost" else None


SECRETS_FILE = config.PROJECT_DIR / ".streamlit" / "secrets.toml"
NETWORK_ADDRESS_ENV = "LAGESBILD_ADDRESS"


def secrets_have_auth(path: str | os.PathLike[str] | None = None) -> bool:
    """Whether .streamlit/secrets.toml has an [auth] block (read without Streamlit)."""
    target = Path(path) if path else SECRETS_FILE
    try:
        return bool(tomllib.loads(target.read_text("utf-8")).get("auth"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        return False


def detect_sign_in_mode(secrets: str | os.PathLike[str] | None = None,
                        accounts_file: str | os.PathLike[str] | None = None) -> str:
    """The sign-in mode from the files on disk (before Streamlit starts)."""
    from lagesbild.access.accounts import accounts_path

    return sign_in_mode(secrets_have_auth(secrets), accounts_path(accounts_file).exists())


def bind_address(mode: str) -> str:
    """The value for `streamlit run --server.address`: always 127.0.0.1 without sign-in;
    with sign-in $LAGESBILD_ADDRESS when it is set, else 127.0.0.1 too (users come through
    the reverse proxy with TLS on the same server, never to the app's plain HTTP)."""
    return server_address(mode) or os.environ.get(NETWORK_ADDRESS_ENV) or LOCALHOST_ADDRESS


def is_loopback(address: str | None) -> bool:
    """Whether a server address serves only this computer ('' and 0.0.0.0 do not)."""
    if not address:
        return False
    text = address.strip().strip("[]")
    if text.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(text).is_loopback
    except ValueError:
        return False


def localhost_user() -> User:
    """The user in "localhost" mode: whoever uses this computer, as an analyst."""
    try:
        name = getpass.getuser()
    except (OSError, KeyError):  # no login name (some containers)
        name = "lokal användare"
    return User(name or "lokal användare", ANALYTIKER, "localhost")


def command_line_user(name: str | None = None) -> User:
    """Who runs a command: the `--user` given, else the login name. Whoever can run the
    command line on the server can open the database file itself, so it acts as an analyst."""
    if not name:
        try:
            name = getpass.getuser()
        except (OSError, KeyError):  # no login name (some containers)
            name = "kommandoraden"
    return User(name, ANALYTIKER, "kommandorad")


def named_user(name: str | None) -> User:
    """The user a command acts for when the role matters (an approval): `name` checked
    against the local accounts (an unlocked account gives its role) and the role mapping's
    named users. On a computer with neither file the command-line user (an analyst) acts, as
    everywhere else. AccessDenied (Swedish) for a name that is neither."""
    from lagesbild.access.accounts import accounts_path, list_users
    from lagesbild.access.roles import AccessDenied

    if not name:
        raise AccessDenied("Ange vem som fastställer med --user NAMN (ett konto eller en "
                           "användare i rollfilen).")
    key = name.strip().casefold()
    accounts_file, mapping_file = accounts_path(), roles_path()
    if accounts_file.exists():
        found = next((a for a in list_users(accounts_file) if a.name.casefold() == key), None)
        if found is not None:
            if found.locked:
                raise AccessDenied(f"Kontot {found.name} är spärrat.")
            return User(found.name, found.role, "kommandorad")
    role = load_role_mapping(mapping_file).users.get(key) if mapping_file.exists() else None
    if role is not None:
        return User(name.strip(), role, "kommandorad")
    if not accounts_file.exists() and not mapping_file.exists():
        return command_line_user(name)
    raise AccessDenied(f"{name.strip()} finns varken bland kontona ({accounts_file}) eller "
                       f"bland användarna i rollfilen ({mapping_file}). Lägg till användaren "
                       "med `lagesbild user add` eller i rollfilen.")
