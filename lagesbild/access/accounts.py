"""Local accounts, for a small deployment without an identity provider.

The accounts live in one JSON file (default `data/konton.json`, or $LAGESBILD_ACCOUNTS), one
entry per person with the role and an argon2id hash of the password made by argon2-cffi's
`PasswordHasher` (its RFC 9106 low-memory profile: 64 MiB, 3 passes, 4 lanes). Passwords are
never stored or logged. Manage the file with `lagesbild user add|list|remove|password`.

Guessing is throttled per account name, in memory in each process: after `MAX_FAILURES`
failed attempts within `WINDOW` seconds the name is locked for `BASE_LOCKOUT` seconds, and
every further lock-out doubles that time (up to `MAX_LOCKOUT`). Locked attempts do not even
check the password. A restart of the app clears the locks. Failures are also written to the
audit log (action "inloggning", outcome "nekad") when a store is given. A name without an
account is checked against a dummy hash, so that the answer takes about as long as for a real
account and the throttle treats it the same way.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import tempfile
import threading
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from lagesbild.access.roles import ROLES, User
from lagesbild.domain import config
from lagesbild.store import Store, audit

ACCOUNTS_ENV = "LAGESBILD_ACCOUNTS"
FORMAT = 1
MIN_PASSWORD = 12
MAX_PASSWORD = 1024
NAME_PATTERN = re.compile(r"^[\w.@+-]{2,64}$")  # \w includes å, ä and ö
HASHER = PasswordHasher()  # argon2id; tests may swap in cheaper parameters

MAX_FAILURES = 5
WINDOW = 15 * 60
BASE_LOCKOUT = 60
MAX_LOCKOUT = 60 * 60


class AccountError(ValueError):
    """Something is wrong with an account or the accounts file. The message is Swedish."""


class AccountLocked(PermissionError):
    """Too many failed sign-ins for this name; `seconds` until the next attempt is allowed."""

    def __init__(self, seconds: float):
        minutes = max(1, round(seconds / 60))
        super().__init__(
            f"För många misslyckade inloggningar. Försök igen om {minutes} "
            f"{'minut' if minutes == 1 else 'minuter'}, eller be en analytiker om hjälp."
        )
        self.seconds = seconds


@dataclass(frozen=True)
class Account:
    name: str
    role: str
    created_at: str
    changed_at: str


def accounts_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The accounts file: an explicit path, else $LAGESBILD_ACCOUNTS, else data/konton.json."""
    if explicit:
        return Path(explicit)
    return Path(os.environ.get(ACCOUNTS_ENV) or config.DATA_DIR / "konton.json")


def _key(name: str) -> str:
    return unicodedata.normalize("NFC", name.strip()).casefold()


def _clean_name(name: str) -> str:
    name = unicodedata.normalize("NFC", name.strip())
    if not NAME_PATTERN.match(name):
        raise AccountError(
            "Användarnamnet ska vara 2–64 tecken: bokstäver, siffror och . _ - @ +, utan "
            "mellanslag (t.ex. anna.andersson)."
        )
    return name


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"Lösenordet måste ha minst {MIN_PASSWORD} tecken. En lång fras "
                           "av flera ord är både säker och lätt att minnas.")
    if len(password) > MAX_PASSWORD:
        raise AccountError(f"Lösenordet får ha högst {MAX_PASSWORD} tecken.")


def _check_role(role: str) -> str:
    if role not in ROLES:
        raise AccountError(f"Okänd roll {role!r}; välj {' eller '.join(ROLES)}.")
    return role


_file_lock = threading.Lock()


def _load(path: Path) -> dict[str, dict[str, str]]:
    """The accounts by key (casefolded name)."""
    if not path.exists():
        return {}
    try:
        raw = json.loads(path.read_text("utf-8"))
        entries = raw["konton"]
        return {_key(e["namn"]): dict(e) for e in entries}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise AccountError(
            f"Kontofilen {path} går inte att läsa ({type(exc).__name__}). Återställ den från "
            "en säkerhetskopia eller ta bort den och lägg upp kontona på nytt."
        ) from None


def _save(path: Path, accounts: dict[str, dict[str, str]]) -> None:
    """Write the file atomically, readable only by its owner."""
    path.parent.mkdir(parents=True, exist_ok=True)
    body = json.dumps({"format": FORMAT, "konton": sorted(accounts.values(),
                                                         key=lambda e: _key(e["namn"]))},
                      ensure_ascii=False, indent=2)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(body + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _account(entry: dict[str, str]) -> Account:
    return Account(entry["namn"], entry["roll"], entry.get("skapad", ""),
                   entry.get("andrad", ""))


def add_user(path: str | os.PathLike[str] | None, name: str, role: str, password: str) \
        -> Account:
    """Add an account. Refuses an existing name, an unknown role and a short password."""
    target = accounts_path(path)
    name = _clean_name(name)
    _check_role(role)
    _check_password(password)
    with _file_lock:
        accounts = _load(target)
        if _key(name) in accounts:
            raise AccountError(f"Kontot {name} finns redan. Byt lösenord med `lagesbild user "
                               f"password {name}` eller ta bort kontot först.")
        now = _now()
        entry = {"namn": name, "roll": role, "hash": HASHER.hash(password), "skapad": now,
                 "andrad": now}
        accounts[_key(name)] = entry
        _save(target, accounts)
    return _account(entry)


def set_password(path: str | os.PathLike[str] | None, name: str, password: str) -> Account:
    """Give an existing account a new password."""
    target = accounts_path(path)
    _check_password(password)
    with _file_lock:
        accounts = _load(target)
        entry = accounts.get(_key(name))
        if entry is None:
            raise AccountError(f"Det finns inget konto {name}. Se `lagesbild user list`.")
        entry["hash"] = HASHER.hash(password)
        entry["andrad"] = _now()
        _save(target, accounts)
    return _account(entry)


def set_role(path: str | os.PathLike[str] | None, name: str, role: str) -> Account:
    target = accounts_path(path)
    _check_role(role)
    with _file_lock:
        accounts = _load(target)
        entry = accounts.get(_key(name))
        if entry is None:
            raise AccountError(f"Det finns inget konto {name}. Se `lagesbild user list`.")
        entry["roll"] = role
        entry["andrad"] = _now()
        _save(target, accounts)
    return _account(entry)


def remove_user(path: str | os.PathLike[str] | None, name: str) -> Account:
    """Remove an account; raises AccountError when there is none by that name."""
    target = accounts_path(path)
    with _file_lock:
        accounts = _load(target)
        entry = accounts.pop(_key(name), None)
        if entry is None:
            raise AccountError(f"Det finns inget konto {name}. Se `lagesbild user list`.")
        _save(target, accounts)
    return _account(entry)


def list_users(path: str | os.PathLike[str] | None = None) -> list[Account]:
    """Every account, by name (no hashes)."""
    accounts = _load(accounts_path(path))
    return [_account(e) for _k, e in sorted(accounts.items())]


# -- throttling -------------------------------------------------------------------------------
class Throttle:
    """Failed sign-ins per name, in memory: a growing lock-out after repeated failures."""

    MAX_NAMES = 10_000  # forget quiet names beyond this many (memory bound)

    def __init__(self, max_failures: int = MAX_FAILURES, window: float = WINDOW,
                 base_lockout: float = BASE_LOCKOUT, max_lockout: float = MAX_LOCKOUT,
                 clock: Callable[[], float] = time.monotonic):
        self.max_failures = max_failures
        self.window = window
        self.base_lockout = base_lockout
        self.max_lockout = max_lockout
        self.clock = clock
        self._lock = threading.Lock()
        self._failures: dict[str, list[float]] = {}
        self._lockouts: dict[str, int] = {}
        self._locked_until: dict[str, float] = {}

    def remaining(self, name: str) -> float:
        """Seconds until the name may try again (0: it may try now)."""
        with self._lock:
            until = self._locked_until.get(_key(name), 0.0)
            return max(0.0, until - self.clock())

    def failure(self, name: str) -> float:
        """Record a failure; returns the length of a lock-out it started (0 if none)."""
        key, now = _key(name), self.clock()
        with self._lock:
            if len(self._failures) > self.MAX_NAMES:
                self._forget_quiet(now)
            recent = [t for t in self._failures.get(key, []) if now - t < self.window]
            recent.append(now)
            self._failures[key] = recent
            if len(recent) < self.max_failures:
                return 0.0
            count = self._lockouts.get(key, 0) + 1
            self._lockouts[key] = count
            seconds = min(self.base_lockout * 2 ** (count - 1), self.max_lockout)
            self._locked_until[key] = now + seconds
            self._failures[key] = []
            return seconds

    def success(self, name: str) -> None:
        key = _key(name)
        with self._lock:
            self._failures.pop(key, None)
            self._lockouts.pop(key, None)
            self._locked_until.pop(key, None)

    def _forget_quiet(self, now: float) -> None:
        for key in list(self._failures):
            if (not any(now - t < self.window for t in self._failures[key])
                    and self._locked_until.get(key, 0.0) <= now):
                self._failures.pop(key, None)
                self._locked_until.pop(key, None)


THROTTLE = Throttle()
_dummy: dict[str, str] = {}


def _dummy_hash() -> str:
    """A hash with the current parameters, for names without an account."""
    params = f"{HASHER.time_cost}/{HASHER.memory_cost}/{HASHER.parallelism}"
    if params not in _dummy:
        _dummy[params] = HASHER.hash(os.urandom(16).hex())
    return _dummy[params]


def _log(store: Store | None, name: str, outcome: str, details: str) -> None:
    if store is not None:
        audit.log(store, name[:64] or "okänd", "inloggning", outcome, None, details)


def verify(path: str | os.PathLike[str] | None, name: str, password: str, *,
           store: Store | None = None, throttle: Throttle | None = None) -> User | None:
    """The User for a correct name and password, else None.

    Raises AccountLocked (without checking the password) while the name is locked out.
    Failures, lock-outs and successful sign-ins are logged when a store is given.
    """
    throttle = throttle or THROTTLE
    wait = throttle.remaining(name)
    if wait > 0:
        _log(store, name, audit.NEKAD, "kontot är tillfälligt spärrat")
        raise AccountLocked(wait)
    target = accounts_path(path)
    entry = _load(target).get(_key(name))
    ok = False
    if len(password) <= MAX_PASSWORD:
        try:
            ok = HASHER.verify(entry["hash"] if entry else _dummy_hash(), password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            ok = False
    if not ok or entry is None:
        locked = throttle.failure(name)
        reason = "okänt konto" if entry is None else "fel lösenord"
        if locked:
            reason += f"; spärrat i {round(locked / 60)} min"
        _log(store, name, audit.NEKAD, reason)
        return None
    throttle.success(name)
    if HASHER.check_needs_rehash(entry["hash"]):
        try:
            with _file_lock:
                accounts = _load(target)
                if _key(name) in accounts:
                    accounts[_key(name)]["hash"] = HASHER.hash(password)
                    _save(target, accounts)
        except (OSError, AccountError):  # a read-only file: keep the old hash
            pass
    user = User(entry["namn"], entry["roll"], "lokal")
    _log(store, user.name, audit.OK, f"lokal, roll {user.role}")
    return user
