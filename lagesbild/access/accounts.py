"""Local accounts, for a small deployment without an identity provider.

The accounts live in one JSON file (default `data/konton.json`, or $LAGESBILD_ACCOUNTS), one
entry per person with the role and an argon2id hash of the password made by argon2-cffi's
`PasswordHasher` (its RFC 9106 low-memory profile: 64 MiB, 3 passes, 4 lanes). Passwords are
never stored or logged. Manage the file with `lagesbild user add|list|remove|password`.

Guessing is throttled in memory in each process, in a way that cannot be turned against
someone else: failures are counted per name *from one client address* (the address the request
guard hands the script) and per address. After `MAX_FAILURES` failures for a name from one
address within `WINDOW` seconds that name is locked *for that address* for `BASE_LOCKOUT`
seconds, and after `MAX_ADDRESS_FAILURES` failures from one address (any names) the address is
locked; every further lock-out doubles the time (up to `MAX_LOCKOUT`), and a key that has been
quiet for `MAX_LOCKOUT` starts afresh, so every lock-out expires. A guesser thus locks only
itself: the account's owner, at another address, signs in as usual. Locked attempts do not even
check the password, and at most `MAX_CONCURRENT_CHECKS` password checks run at once in the
process (each argon2id check takes 64 MiB), the others wait their turn for up to `CHECK_WAIT`
seconds (`SignInBusy` after that). A restart of the app clears the locks. Failures are also
written to the audit log (action "inloggning", outcome "nekad") when a store is given. A name
without an account is checked against a dummy hash, so that the answer takes about as long as
for a real account and the throttle treats it the same way.

An account can be locked by an analyst (`lagesbild user lock NAMN`): it cannot sign in, and
a signed-in session of a removed, locked or changed account (role, password) ends at its next
interaction, because the dashboard compares `session_key` with the one of its sign-in on every
run.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import tempfile
import threading
import time
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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

MAX_FAILURES = 5  # per name from one address
MAX_ADDRESS_FAILURES = 20  # per address, any names
WINDOW = 15 * 60
BASE_LOCKOUT = 60
MAX_LOCKOUT = 60 * 60
MAX_CONCURRENT_CHECKS = 2  # argon2id checks at once in the process (64 MiB each)
CHECK_WAIT = 10.0  # seconds an attempt waits for its turn
MAX_NAME_TYPED = 128  # what is kept of a typed name (accounts have at most 64 characters)


class AccountError(ValueError):
    """Something is wrong with an account or the accounts file. The message is Swedish."""


class AccountLocked(PermissionError):
    """Too many failed sign-ins from here; `seconds` until the next attempt is allowed."""

    def __init__(self, seconds: float):
        minutes = max(1, round(seconds / 60))
        super().__init__(
            f"För många misslyckade inloggningar. Försök igen om {minutes} "
            f"{'minut' if minutes == 1 else 'minuter'}, eller be en analytiker om hjälp."
        )
        self.seconds = seconds


class AccountDisabled(PermissionError):
    """The right password for an account that an analyst has locked."""

    def __init__(self) -> None:
        super().__init__("Kontot är spärrat. Kontakta en analytiker om du behöver tillgång.")


class SignInBusy(RuntimeError):
    """Too many sign-ins are being checked at once; try again in a moment."""

    def __init__(self) -> None:
        super().__init__("Många loggar in just nu. Vänta en stund och försök igen.")


@dataclass(frozen=True)
class Account:
    name: str
    role: str
    created_at: str
    changed_at: str
    locked: bool = False


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
    """Write the file atomically, readable only by its owner (a new folder: 0700)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
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
                   entry.get("andrad", ""), bool(entry.get("sparrad", False)))


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
    return _change(target, name, "hash", lambda: HASHER.hash(password))


def set_role(path: str | os.PathLike[str] | None, name: str, role: str) -> Account:
    target = accounts_path(path)
    _check_role(role)
    return _change(target, name, "roll", lambda: role)


def _change(target: Path, name: str, key: str, value: Callable[[], str]) -> Account:
    """Set one field of an existing account (its `value()` computed only once the account is
    found, under the file lock) and when it was changed."""
    with _file_lock:
        accounts = _load(target)
        entry = accounts.get(_key(name))
        if entry is None:
            raise AccountError(f"Det finns inget konto {name}. Se `lagesbild user list`.")
        entry[key] = value()
        entry["andrad"] = _now()
        _save(target, accounts)
    return _account(entry)


def set_locked(path: str | os.PathLike[str] | None, name: str, locked: bool) -> Account:
    """Lock an account (it cannot sign in; its open sessions end) or unlock it."""
    target = accounts_path(path)
    with _file_lock:
        accounts = _load(target)
        entry = accounts.get(_key(name))
        if entry is None:
            raise AccountError(f"Det finns inget konto {name}. Se `lagesbild user list`.")
        if locked:
            entry["sparrad"] = True  # type: ignore[assignment]
        else:
            entry.pop("sparrad", None)
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


_cache_lock = threading.Lock()
_cached: dict[Path, tuple[tuple[int, int, int], dict[str, dict[str, str]]]] = {}


def _load_current(path: Path) -> dict[str, dict[str, str]]:
    """`_load`, read again only when the file changed (the dashboard asks on every run)."""
    try:
        info = path.stat()
    except FileNotFoundError:
        return {}
    stamp = (info.st_ino, info.st_mtime_ns, info.st_size)
    with _cache_lock:
        hit = _cached.get(path)
        if hit is not None and hit[0] == stamp:
            return hit[1]
    accounts = _load(path)
    with _cache_lock:
        _cached.clear()  # one accounts file per process
        _cached[path] = (stamp, accounts)
    return accounts


def _session_key(entry: dict[str, str]) -> str:
    text = "\0".join((entry["namn"], entry["roll"], entry.get("hash", ""),
                      entry.get("andrad", "")))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def session_key(path: str | os.PathLike[str] | None, name: str) -> str | None:
    """What a signed-in session holds on to: None when the account no longer exists or is
    locked; another value once its role or password changed."""
    try:
        entry = _load_current(accounts_path(path)).get(_key(name))
    except AccountError:  # a damaged file: nobody stays signed in on it
        return None
    if entry is None or entry.get("sparrad"):
        return None
    return _session_key(entry)


# -- throttling -------------------------------------------------------------------------------
class _Counter:
    """Failures and lock-outs of one key (a name at an address, or an address)."""

    __slots__ = ("failures", "lockouts", "locked_until", "last")

    def __init__(self) -> None:
        self.failures: list[float] = []
        self.lockouts = 0
        self.locked_until = 0.0
        self.last = 0.0


class Throttle:
    """Failed sign-ins in memory, per name from one address and per address: a growing
    lock-out after repeated failures, which expires (see the module's docstring)."""

    MAX_KEYS = 10_000  # forget quiet keys beyond this many (memory bound)

    def __init__(self, max_failures: int = MAX_FAILURES, window: float = WINDOW,
                 base_lockout: float = BASE_LOCKOUT, max_lockout: float = MAX_LOCKOUT,
                 clock: Callable[[], float] = time.monotonic,
                 max_address_failures: int = MAX_ADDRESS_FAILURES):
        self.max_failures = max_failures
        self.max_address_failures = max_address_failures
        self.window = window
        self.base_lockout = base_lockout
        self.max_lockout = max_lockout
        self.clock = clock
        self._lock = threading.Lock()
        self._counters: dict[str, _Counter] = {}

    @staticmethod
    def _keys(name: str, address: str | None) -> list[tuple[str, bool]]:
        """(key, is the address key): the name at the address, and the address when known."""
        keys = [(f"namn\0{_key(name[:MAX_NAME_TYPED])}\0{address or ''}", False)]
        if address:
            keys.append((f"adress\0{address}", True))
        return keys

    def _counter(self, key: str, now: float) -> _Counter:
        counter = self._counters.get(key)
        if counter is None:
            if len(self._counters) >= self.MAX_KEYS:
                self._forget_quiet(now)
            counter = self._counters[key] = _Counter()
        elif counter.lockouts and now - max(counter.last, counter.locked_until) \
                >= self.max_lockout:
            counter.lockouts = 0  # quiet long enough: the next lock-out is short again
        return counter

    def remaining(self, name: str, address: str | None = None) -> float:
        """Seconds until this name may try again from this address (0: it may try now)."""
        now = self.clock()
        with self._lock:
            until = max((self._counters[key].locked_until for key, _ in self._keys(name, address)
                         if key in self._counters), default=0.0)
        return max(0.0, until - now)

    def failure(self, name: str, address: str | None = None) -> float:
        """Record a failure; returns the length of a lock-out it started (0 if none)."""
        now = self.clock()
        started = 0.0
        with self._lock:
            for key, is_address in self._keys(name, address):
                counter = self._counter(key, now)
                counter.last = now
                counter.failures = [t for t in counter.failures if now - t < self.window]
                counter.failures.append(now)
                limit = self.max_address_failures if is_address else self.max_failures
                if len(counter.failures) < limit:
                    continue
                counter.lockouts += 1
                seconds = min(self.base_lockout * 2 ** (counter.lockouts - 1), self.max_lockout)
                counter.locked_until = now + seconds
                counter.failures = []
                started = max(started, seconds)
        return started

    def success(self, name: str, address: str | None = None) -> None:
        """A correct password: the name starts afresh at this address (the address's own
        count stays, so that one good account does not excuse guessing at others)."""
        with self._lock:
            self._counters.pop(self._keys(name, address)[0][0], None)

    def _forget_quiet(self, now: float) -> None:
        """Forget keys with nothing recent; if that is not enough, the oldest keys that are
        not locked (a lock-out is never forgotten early)."""
        for key, counter in list(self._counters.items()):
            if counter.locked_until <= now and now - counter.last >= self.window:
                del self._counters[key]
        if len(self._counters) >= self.MAX_KEYS:
            unlocked = sorted((c.last, k) for k, c in self._counters.items()
                              if c.locked_until <= now)
            for _last, key in unlocked[: len(self._counters) - self.MAX_KEYS * 9 // 10]:
                del self._counters[key]


THROTTLE = Throttle()


class CheckLimit:
    """At most `limit` password checks at once; the others wait up to `wait` seconds."""

    def __init__(self, limit: int = MAX_CONCURRENT_CHECKS, wait: float = CHECK_WAIT) -> None:
        self.limit = limit
        self.wait = wait
        self._slots = threading.BoundedSemaphore(limit)

    @contextmanager
    def slot(self) -> Iterator[None]:
        if not self._slots.acquire(timeout=self.wait):
            raise SignInBusy()
        try:
            yield
        finally:
            self._slots.release()


CHECKS = CheckLimit()
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
           store: Store | None = None, throttle: Throttle | None = None,
           address: str | None = None) -> User | None:
    """The User for a correct name and password, else None.

    `address` is the client's address (from the request guard); failures are counted per name
    at that address and per address. Raises AccountLocked (without checking the password)
    while the name is locked out here, AccountDisabled for the right password of a locked
    account and SignInBusy when no check could start in time. Failures, lock-outs and
    successful sign-ins are logged when a store is given.
    """
    throttle = throttle or THROTTLE
    name = name[:MAX_NAME_TYPED]
    wait = throttle.remaining(name, address)
    if wait > 0:
        _log(store, name, audit.NEKAD, _from("namnet är tillfälligt spärrat härifrån", address))
        raise AccountLocked(wait)
    target = accounts_path(path)
    entry = _load(target).get(_key(name))
    ok = False
    if len(password) <= MAX_PASSWORD:
        with CHECKS.slot():
            try:
                ok = HASHER.verify(entry["hash"] if entry else _dummy_hash(), password)
            except (VerifyMismatchError, VerificationError, InvalidHashError):
                ok = False
    if not ok or entry is None:
        locked = throttle.failure(name, address)
        reason = "okänt konto" if entry is None else "fel lösenord"
        if locked:
            reason += f"; spärrat i {max(1, round(locked / 60))} min"
        _log(store, name, audit.NEKAD, _from(reason, address))
        return None
    if entry.get("sparrad"):
        _log(store, entry["namn"], audit.NEKAD, _from("kontot är spärrat", address))
        raise AccountDisabled()
    throttle.success(name, address)
    if HASHER.check_needs_rehash(entry["hash"]):
        try:
            with CHECKS.slot(), _file_lock:
                accounts = _load(target)
                if _key(name) in accounts:
                    accounts[_key(name)]["hash"] = HASHER.hash(password)
                    _save(target, accounts)
        except (OSError, AccountError, SignInBusy):  # a read-only file: keep the old hash
            pass
    user = User(entry["namn"], entry["roll"], "lokal")
    _log(store, user.name, audit.OK, _from(f"lokal, roll {user.role}", address))
    return user


def _from(details: str, address: str | None) -> str:
    return f"{details}, från {address}" if address else details
