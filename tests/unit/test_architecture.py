"""The dashboard side (app.py, dashboard.py, pages/, ui/) never touches the database: no SQL, no
DuckDB, no store method that reads rows or changes anything. It calls the engine (numbers,
access policy, export) instead. The package contracts (layers, no Streamlit in the engine, no
cycles) are import-linter's, run by `make test`; this test covers the files import-linter
cannot see (pages/ is not a package) and calls rather than imports.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from lagesbild.store import Store

PROJECT = Path(__file__).resolve().parents[2]
SOURCES = sorted([PROJECT / "app.py", PROJECT / "dashboard.py",
                  *(PROJECT / "pages").glob("*.py"), *(PROJECT / "ui").glob("*.py")])
# Facts about the data that the dashboard's cache keys and banners need; nothing else.
ALLOWED_STORE_METHODS = {"data_version", "has_demo_data", "has_real_data", "data_as_of",
                         "report_count", "close"}
FORBIDDEN_STORE_METHODS = {name for name in dir(Store)
                           if not name.startswith("_") and callable(getattr(Store, name))
                           } - ALLOWED_STORE_METHODS
FORBIDDEN_MODULES = ("duckdb", "lagesbild.store.database", "lagesbild.store.schema",
                     "lagesbild.store.audit", "lagesbild.store.backup")
SQL = re.compile(r"\b(SELECT\s.+\sFROM|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|"
                 r"CREATE\s+TABLE)\b", re.I | re.S)


def offences(path: Path) -> list[str]:
    tree = ast.parse(path.read_text("utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [f"import {a.name}" for a in node.names
                      if a.name.startswith(FORBIDDEN_MODULES)]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [f"{node.module}.{a.name}" for a in node.names]
            found += [f"from {node.module} import …" for n in [node.module, *names]
                      if n.startswith(FORBIDDEN_MODULES)][:1]
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and node.func.attr in FORBIDDEN_STORE_METHODS
              and isinstance(node.func.value, ast.Name) and "store" in node.func.value.id):
            found.append(f"{node.func.value.id}.{node.func.attr}()")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) \
                and SQL.search(node.value):
            found.append(f"SQL: {node.value[:40]!r}")
    where = path.relative_to(PROJECT) if path.is_relative_to(PROJECT) else path.name
    return [f"{where}:{item}" for item in found]


def test_the_dashboard_side_never_touches_the_database() -> None:
    assert len(SOURCES) > 10
    assert [o for path in SOURCES for o in offences(path)] == []


@pytest.mark.parametrize("source", [
    "import duckdb\n",
    "from lagesbild.store import audit\n",
    "from lagesbild.store.schema import REPORTS\n",
    "store.batches()\n",
    "rows = store.cursor().execute('x')\n",
    "q = 'SELECT count(*) FROM reports'\n",
])
def test_the_check_catches_each_kind_of_offence(tmp_path: Path, source: str) -> None:
    page = tmp_path / "sida.py"
    page.write_text(source)
    assert offences(page)
