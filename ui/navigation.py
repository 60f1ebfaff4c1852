"""The dashboard's pages, declared once. Access control filters this list per role."""

from __future__ import annotations

from dataclasses import dataclass

from lagesbild.access import roles

# Roles come from lagesbild.access.roles (analytiker, beredningsgrupp, godkannare); access
# control filters this list per role with `pages_for(has_data, role)`.
ALL_ROLES = roles.ROLES


@dataclass(frozen=True)
class PageSpec:
    """One page: its file under pages/, title and icon in the menu, who may see it."""

    path: str
    title: str
    icon: str
    roles: tuple[str, ...] = ALL_ROLES
    needs_data: bool = True  # hidden while the database has no reports
    only_without_data: bool = False  # shown only while the database has no reports
    default: bool = False
    url_path: str | None = None


PAGES: tuple[PageSpec, ...] = (
    PageSpec("pages/oversikt.py", "Översikt", ":material/dashboard:", default=True,
             url_path="oversikt"),
    PageSpec("pages/trender.py", "Trender", ":material/show_chart:", url_path="trender"),
    PageSpec("pages/omraden.py", "Områden", ":material/map:", url_path="omraden"),
    PageSpec("pages/malgrupper.py", "Målgrupper", ":material/groups:", url_path="malgrupper"),
    PageSpec("pages/rapportering.py", "Rapportering", ":material/fact_check:",
             url_path="rapportering"),
    PageSpec("pages/export.py", "Export", ":material/download:", url_path="export"),
    PageSpec("pages/lagesbilder.py", "Lägesbilder", ":material/verified:",
             url_path="lagesbilder"),
    PageSpec("pages/uppfoljning.py", "Uppföljning", ":material/checklist:", needs_data=False,
             url_path="uppfoljning"),
    PageSpec("pages/omvarld.py", "Omvärld", ":material/public:", needs_data=False,
             url_path="omvarld"),
    PageSpec("pages/ladda_upp.py", "Ladda upp", ":material/upload_file:",
             roles=(roles.ANALYTIKER,), needs_data=False, url_path="ladda_upp"),
    PageSpec("pages/granskning.py", "Granskningslogg", ":material/policy:",
             roles=(roles.ANALYTIKER,), needs_data=False, url_path="granskning"),
    PageSpec("pages/start.py", "Kom igång", ":material/rocket_launch:", needs_data=False,
             only_without_data=True, default=True, url_path="kom-igang"),
    PageSpec("pages/om.py", "Om lägesbilden", ":material/info:", needs_data=False,
             url_path="om"),
)


def pages_for(has_data: bool, role: str | None = None) -> list[PageSpec]:
    """The pages to offer: by whether there are reports, and by role (None = every role,
    as long as there is no sign-in)."""
    chosen = []
    for page in PAGES:
        if page.needs_data and not has_data:
            continue
        if page.only_without_data and has_data:
            continue
        if role is not None and role not in page.roles:
            continue
        chosen.append(page)
    return chosen
