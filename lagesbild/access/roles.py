"""Roles and permissions: who may do what. The three roles:

* **analytiker** compiles the partners' reports: uploads and imports files, rolls back
  imports, sees exact counts, reads the audit log and changes reference data; also reads and
  exports.
* **beredningsgrupp** (the preparation group) reads and exports, and comments on a shared
  draft of the quarter's lägesbild; disclosure control is always on for it.
* **godkannare** (for the steering group's decision) reads, exports and comments like the
  preparation group, and approves (fastställer) the quarter's lägesbild. Analysts approve too,
  unless `[lagesbild] analytiker_faststaller = false` in data/installningar.toml.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lagesbild.domain import config

ANALYTIKER = "analytiker"
BEREDNINGSGRUPP = "beredningsgrupp"
GODKANNARE = "godkannare"
ROLES = (ANALYTIKER, BEREDNINGSGRUPP, GODKANNARE)
ROLE_LABELS = {ANALYTIKER: "Analytiker", BEREDNINGSGRUPP: "Beredningsgrupp",
               GODKANNARE: "Godkännare"}
# When several groups give a user different roles, the highest wins.
ROLE_RANK = {BEREDNINGSGRUPP: 1, GODKANNARE: 2, ANALYTIKER: 3}

# Every action the engine guards, as the refusal message names it ("får inte …").
ACTIONS: dict[str, str] = {
    "view": "se lägesbilden",
    "export": "exportera diagram och tabeller",
    "upload": "ladda upp och importera filer",
    "rollback": "ångra importer",
    "exact_counts": "se exakta antal utan röjandekontroll",
    "audit_log": "läsa granskningsloggen",
    "reference_data": "ändra referensdata (kodlistor, områden och befolkning)",
    "draft": "skriva och dela lägesbildens bedömning",
    "comment": "kommentera ett delat utkast av lägesbilden",
    "approve": "fastställa lägesbilden",
}
PERMISSIONS: dict[str, frozenset[str]] = {
    ANALYTIKER: frozenset(ACTIONS),  # "approve" by the setting (see `can`)
    BEREDNINGSGRUPP: frozenset({"view", "export", "comment"}),
    GODKANNARE: frozenset({"view", "export", "comment", "approve"}),
}
# The action's name in the audit log.
AUDIT_ACTIONS = {
    "view": "visning", "export": "export", "upload": "import", "rollback": "återställning",
    "exact_counts": "exakta antal", "audit_log": "granskningslogg",
    "reference_data": "referensdata", "draft": "lägesbild utkast",
    "comment": "lägesbild kommentar", "approve": "lägesbild fastställd",
}
SOURCES = ("oidc", "lokal", "localhost", "kommandorad")


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
    if user is None or action not in PERMISSIONS.get(user.role, frozenset()):
        return False
    if action == "approve" and user.role == ANALYTIKER:
        return config.settings().analysts_approve
    return True
