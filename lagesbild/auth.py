"""Access control: roles, permissions, who is signed in, and the guarded engine entry points.

Two roles:

* **analytiker** compiles the partners' reports: uploads and imports files, rolls back
  imports, sees exact counts, reads the audit log and changes reference data; also reads and
  exports.
* **beredningsgrupp** (the preparation group) reads and exports; disclosure control is always
  on for it.

Hiding a button is not security. The web app calls the engine through the `guarded_*`
functions below (and `require` for anything else); they refuse an action the user's role does
not allow, log the refusal in the audit log (outcome "nekad") and raise `AccessDenied` with a
Swedish message.

Who is signed in comes from one of three modes (`sign_in_mode`):

* "oidc": Streamlit's `st.login` with an `[auth]` block in `.streamlit/secrets.toml`; the
  role comes from `data/roller.toml` (`role_for_claims`); an unknown user gets no access.
* "lokal": local accounts in `data/konton.json` (see `lagesbild.accounts`).
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

import pandas as pd

from lagesbild import audit, config
from lagesbild.importer import CheckedFile, check_file, store_checked
from lagesbild.store import Receipt, Store, StoreError

ANALYTIKER = "analytiker"
BEREDNINGSGRUPP = "beredningsgrupp"
ROLES = (ANALYTIKER, BEREDNINGSGRUPP)
ROLE_LABELS = {ANALYTIKER: "Analytiker", BEREDNINGSGRUPP: "Beredningsgrupp"}
# When several groups give a user different roles, the highest wins.
ROLE_RANK = {BEREDNINGSGRUPP: 1, ANALYTIKER: 2}

# Every action the engine guards, as the refusal message names it ("får inte …").
ACTIONS: dict[str, str] = {
    "view": "se lägesbilden",
    "export": "exportera diagram och tabeller",
    "upload": "ladda upp och importera filer",
    "rollback": "ångra importer",
    "exact_counts": "se exakta antal utan röjandekontroll",
    "audit_log": "läsa granskningsloggen",
    "reference_data": "ändra referensdata (kodlistor, områden och befolkning)",
}
PERMISSIONS: dict[str, frozenset[str]] = {
    ANALYTIKER: frozenset(ACTIONS),
    BEREDNINGSGRUPP: frozenset({"view", "export"}),
}
# The action's name in the audit log.
AUDIT_ACTIONS = {
    "view": "visning", "export": "export", "upload": "import", "rollback": "återställning",
    "exact_counts": "exakta antal", "audit_log": "granskningslogg",
    "reference_data": "referensdata",
}
SOURCES = ("oidc", "lokal", "localhost")


class AccessDenied(PermissionError):
    """The signed-in user's role does not allow the action. The message is Swedish."""


@dataclass(frozen=True)
class User:
    """Who is signed in: the name written to the audit log, the role, and how they signed
    in ("oidc", "lokal" or "localhost")."""

    name: str
    role: str
    source: str
    display_name: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"Okänd roll {self.role!r}; giltiga roller: {', '.join(ROLES)}.")
        if self.source not in SOURCES:
            raise ValueError(f"Okänt inloggningssätt {self.source!r}.")

    @property
    def role_label(self) -> str:
        return ROLE_LABELS[self.role]

    @property
    def shown_name(self) -> str:
        return self.display_name or self.name

    def can(self, action: str) -> bool:
        return can(self, action)


def can(user: User | None, action: str) -> bool:
    """Whether the user's role allows the action (False when nobody is signed in)."""
    if action not in ACTIONS:
        raise ValueError(f"Okänd åtgärd {action!r}; kända: {', '.join(ACTIONS)}.")
    return user is not None and action in PERMISSIONS.get(user.role, frozenset())


def require(user: User | None, action: str, store: Store | None = None,
            target: str | None = None) -> User:
    """Return the user if the role allows the action; otherwise log the refusal in the audit
    log (when a store is given) and raise AccessDenied."""
    if can(user, action):
        assert user is not None
        return user
    who = user.name if user is not None else "okänd"
    reason = (f"saknar behörighet (roll {user.role})" if user is not None
              else "inte inloggad")
    if store is not None:
        audit.log(store, who, AUDIT_ACTIONS[action], audit.NEKAD, target, reason)
    if user is None:
        raise AccessDenied(f"Du måste logga in för att {ACTIONS[action]}.")
    raise AccessDenied(
        f"Rollen {user.role_label} får inte {ACTIONS[action]}. Kontakta en analytiker om du "
        "behöver det."
    )


# -- guarded engine entry points (the web app calls these, never the store directly) ---------
def guarded_check(store: Store, user: User | None, data: bytes, file_name: str,
                  limits: config.ImportLimits | None = None, codelists: Any = None) \
        -> CheckedFile:
    """Check an uploaded file (nothing is stored). The file name is sanitised first; a
    refused file is logged as a refused import."""
    from lagesbild.problem_report import safe_file_name

    name = safe_file_name(file_name)
    require(user, "upload", store, name)
    checked = check_file(data, name, store, limits or config.settings().web_limits, codelists)
    if not checked.accepted:
        audit.log(store, user.name, "import", audit.NEKAD, name,  # type: ignore[union-attr]
                  f"{len(checked.problems)} problem")
    return checked


def guarded_import(store: Store, user: User | None, checked: CheckedFile) -> Receipt:
    """Store a checked, accepted file as one batch and log it."""
    require(user, "upload", store, checked.file_name)
    assert user is not None
    if not checked.accepted:
        raise ValueError("Filen har problem och kan inte importeras. Rätta filen och ladda "
                         "upp den igen.")
    try:
        receipt = store_checked(store, checked, user.name)
    except Exception as exc:
        audit.log(store, user.name, "import", audit.FEL, checked.file_name,
                  type(exc).__name__)
        raise
    details = (f"batch {receipt.batch_id}, {receipt.rows_total} rader" if receipt.batch_id
               else "redan importerad")
    audit.log(store, user.name, "import", audit.OK, checked.file_name, details)
    return receipt


def guarded_rollback(store: Store, user: User | None, batch_id: int) -> int:
    """Roll back an import; returns the number of reports affected."""
    target = f"batch {batch_id}"
    require(user, "rollback", store, target)
    assert user is not None
    try:
        affected = store.rollback(batch_id, user.name)
    except StoreError as exc:
        audit.log(store, user.name, "återställning", audit.FEL, target, str(exc))
        raise
    audit.log(store, user.name, "återställning", audit.OK, target,
              f"{affected} rapporter påverkade")
    return affected


def audit_entries(store: Store, user: User | None, since: Any = None, actor: str | None = None,
                  action: str | None = None, outcome: str | None = None,
                  limit: int | None = None) -> pd.DataFrame:
    """The audit log, newest first (analysts only)."""
    require(user, "audit_log", store)
    return audit.entries(store, since=since, actor=actor, action=action, outcome=outcome,
                         limit=limit)


def disclosure_for(user: User | None, exact: bool = False, store: Store | None = None) \
        -> config.Disclosure | None:
    """The disclosure rule for a user's view: None (exact counts) only when asked for and
    allowed; the preparation group always gets the rule."""
    if not exact:
        require(user, "view", store)
        return config.settings().disclosure
    require(user, "exact_counts", store)
    return None


def record_export(store: Store, user: User | None, what: str, details: str | None = None) \
        -> None:
    """Check that the user may export and log the export."""
    require(user, "export", store, what)
    assert user is not None
    audit.log(store, user.name, "export", audit.OK, what, details)


def record_sign_in(store: Store, user: User) -> None:
    audit.log(store, user.name, "inloggning", audit.OK, None,
              f"{user.source}, roll {user.role}")


def record_sign_in_refused(store: Store, identity: str, reason: str) -> None:
    audit.log(store, identity or "okänd", "inloggning", audit.NEKAD, None, reason)


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


def _identities(claims: Mapping[str, Any]) -> list[str]:
    """The claims a user entry may match: sub, oid and the e-mail address unless the
    provider says it is not verified."""
    found = [claims.get("sub"), claims.get("oid")]
    if claims.get("email_verified", True) is not False:
        found.append(claims.get("email"))
    return [str(v).strip().lower() for v in found if v]


def role_for_claims(claims: Mapping[str, Any], mapping: RoleMapping) -> str | None:
    """The role of a signed-in OIDC user: an entry for the user (e-mail, sub or oid) wins,
    else the highest role among the user's groups, else the default role (normally none)."""
    for identity in _identities(claims):
        if identity in mapping.users:
            return mapping.users[identity]
    roles = [mapping.groups[g.strip().lower()]
             for g in _groups_of(claims.get(mapping.group_claim))
             if g.strip().lower() in mapping.groups]
    if roles:
        return max(roles, key=ROLE_RANK.__getitem__)
    return mapping.default_role


def oidc_identity(claims: Mapping[str, Any]) -> str:
    """The name of an OIDC user in the audit log: e-mail, else sub."""
    return str(claims.get("email") or claims.get("preferred_username") or claims.get("sub")
               or "okänd")


def user_from_claims(claims: Mapping[str, Any], mapping: RoleMapping) -> User | None:
    """The User for an OIDC sign-in, or None when the user has no role (no access)."""
    role = role_for_claims(claims, mapping)
    if role is None:
        return None
    return User(oidc_identity(claims), role, "oidc", display_name=str(claims.get("name") or ""))


# -- sign-in mode -------------------------------------------------------------------------------
LOCALHOST_ADDRESS = "127.0.0.1"  # --server.address in "localhost" mode
LOCALHOST_NOTE = (
    "Ingen inloggning är konfigurerad: lägesbilden visas bara på den här datorn "
    "(localhost), och den som använder datorn har analytikerns behörighet. Se README om "
    "inloggning för att dela lägesbilden i nätverket."
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
    from lagesbild.accounts import accounts_path

    return sign_in_mode(secrets_have_auth(secrets), accounts_path(accounts_file).exists())


def bind_address(mode: str) -> str:
    """The value for `streamlit run --server.address`: 127.0.0.1 without sign-in; with
    sign-in $LAGESBILD_ADDRESS, or 0.0.0.0 (every interface) when it is not set."""
    return server_address(mode) or os.environ.get(NETWORK_ADDRESS_ENV) or "0.0.0.0"


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
