"""Access control: roles, the engine refusing what a role may not do, OIDC role mapping,
local accounts with argon2id and throttling, sign-in modes and the `user` command."""

from __future__ import annotations

import csv
import datetime as dt
import io
import stat
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from lagesbild import cli
from lagesbild.access import accounts, policy, roles, signin
from lagesbild.access.roles import AccessDenied, User
from lagesbild.domain import config
from lagesbild.intake.pipeline import check_file
from lagesbild.store import Store, StoreError, audit

PROJECT = Path(__file__).resolve().parents[2]
ANNA = User("anna", "analytiker", "lokal")
BO = User("bo", "beredningsgrupp", "oidc")
PASSWORD = "korrekt häst batteri häftklammer"


@pytest.fixture(autouse=True)
def cheap_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2id with tiny costs, so that tests do not spend 0.4 s per hash."""
    monkeypatch.setattr(accounts, "HASHER", PasswordHasher(time_cost=1, memory_cost=1024,
                                                           parallelism=1))
    monkeypatch.setattr(accounts, "_dummy", {})
    monkeypatch.setattr(accounts, "THROTTLE", accounts.Throttle())


HEADERS = ["Rapport-ID", "Datum", "Rapporttyp", "Område", "Form av extremism", "Händelsetyp",
           "Rapporterande verksamhet", "Kön", "Åldersgrupp", "Konsultationsforum"]


def report_rows(count: int) -> list[list[object]]:
    return [[f"SOC-2026-{i:05d}", dt.date(2026, 1, 1) + dt.timedelta(days=i), "Incident",
             "Centrum", "Högerextremism", "Propaganda", "Socialtjänst", "Man", "13–15", "Nej"]
            for i in range(1, count + 1)]


def csv_bytes(tmp_path: Path, rows: list[list[object]]) -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=";").writerows([HEADERS, *rows])
    return out.getvalue().encode("utf-8")


# -- roles and permissions ---------------------------------------------------------------------
def test_analysts_may_do_everything_the_preparation_group_reads_and_exports() -> None:
    assert all(ANNA.can(action) for action in roles.ACTIONS)
    # reads and exports, and comments on a shared draft of the lägesbild (issue 17)
    assert {a for a in roles.ACTIONS if BO.can(a)} == {"view", "export", "comment"}
    assert not roles.can(None, "view")
    with pytest.raises(ValueError):
        roles.can(ANNA, "launch_rockets")
    with pytest.raises(ValueError):
        User("eve", "admin", "lokal")


def test_refusal_is_swedish_and_logged(store: Store) -> None:
    with pytest.raises(AccessDenied, match="Rollen Beredningsgrupp får inte ångra importer"):
        policy.require(BO, "rollback", store, "batch 3")
    with pytest.raises(AccessDenied, match="logga in"):
        policy.require(None, "view", store)
    log = audit.entries(store)
    assert log["outcome"].tolist() == ["nekad", "nekad"]
    assert log.iloc[1][["actor", "action", "target"]].tolist() == ["bo", "återställning",
                                                                  "batch 3"]
    assert "beredningsgrupp" in log.iloc[1]["details"]
    assert policy.require(ANNA, "rollback", store) is ANNA


def test_preparation_group_cannot_import_even_when_calling_the_engine(
        store: Store, tmp_path: Path) -> None:
    data = csv_bytes(tmp_path, report_rows(3))
    checked = check_file(data, "rapporter.csv", store, config.settings().web_limits)
    assert checked.accepted
    with pytest.raises(AccessDenied):
        policy.guarded_import(store, BO, checked)
    with pytest.raises(AccessDenied):
        policy.guarded_check(store, BO, data, "rapporter.csv")
    assert store.report_count() == 0 and store.batches() == []
    assert audit.entries(store)["outcome"].tolist() == ["nekad", "nekad"]


def test_analyst_checks_and_imports_and_both_are_logged(store: Store, tmp_path: Path) -> None:
    data = csv_bytes(tmp_path, report_rows(3))
    checked = policy.guarded_check(store, ANNA, data, "../../hemligt/rapporter.csv")
    assert checked.file_name == "rapporter.csv" and checked.accepted
    receipt = policy.guarded_import(store, ANNA, checked)
    assert receipt.batch_id == 1 and store.report_count() == 3
    assert store.batches()[0]["imported_by"] == "anna"
    entry = audit.entries(store).iloc[0]
    assert entry[["actor", "action", "target", "outcome"]].tolist() == [
        "anna", "import", "rapporter.csv", "ok"]
    assert "batch 1" in entry["details"]


def test_a_refused_file_is_logged_and_cannot_be_stored(store: Store, tmp_path: Path) -> None:
    rows = report_rows(2)
    rows[0][2] = "Kanske"
    checked = policy.guarded_check(store, ANNA, csv_bytes(tmp_path, rows), "fel.csv")
    assert not checked.accepted
    with pytest.raises(ValueError, match="problem"):
        policy.guarded_import(store, ANNA, checked)
    entry = audit.entries(store).iloc[0]
    assert entry[["action", "outcome", "target"]].tolist() == ["import", "nekad", "fel.csv"]
    assert store.report_count() == 0


def test_rollback_is_guarded_and_logged(store: Store, tmp_path: Path) -> None:
    checked = policy.guarded_check(store, ANNA, csv_bytes(tmp_path, report_rows(4)), "a.csv")
    receipt = policy.guarded_import(store, ANNA, checked)
    with pytest.raises(AccessDenied):
        policy.guarded_rollback(store, BO, receipt.batch_id)
    assert store.report_count() == 4
    assert policy.guarded_rollback(store, ANNA, receipt.batch_id) == 4
    assert store.report_count() == 0
    with pytest.raises(StoreError):
        policy.guarded_rollback(store, ANNA, receipt.batch_id)  # already rolled back
    outcomes = audit.entries(store, action="återställning")[["actor", "outcome"]]
    assert outcomes.values.tolist() == [["anna", "fel"], ["anna", "ok"], ["bo", "nekad"]]


def test_audit_log_and_exact_counts_are_for_analysts(store: Store) -> None:
    with pytest.raises(AccessDenied):
        policy.audit_entries(store, BO)
    assert len(policy.audit_entries(store, ANNA)) == 1  # the refusal above
    assert policy.disclosure_for(BO) == config.settings().disclosure
    with pytest.raises(AccessDenied, match="exakta antal"):
        policy.disclosure_for(BO, exact=True, store=store)
    assert policy.disclosure_for(ANNA, exact=True) is None
    policy.record_export(store, BO, "trender.png")
    assert audit.entries(store).iloc[0][["actor", "action", "outcome"]].tolist() == [
        "bo", "export", "ok"]



def test_an_exact_export_is_for_analysts_and_says_so_in_the_log(store: Store) -> None:
    with pytest.raises(AccessDenied, match="exakta antal"):
        policy.record_export(store, BO, "paket.pptx", "pptx", exact=True)
    refused = audit.entries(store).iloc[0]
    assert (refused["actor"], refused["outcome"]) == ("bo", "nekad")
    policy.record_export(store, ANNA, "paket.pptx", "pptx", exact=True)
    entry = audit.entries(store).iloc[0]
    assert (entry["actor"], entry["action"], entry["outcome"]) == ("anna", "export", "ok")
    assert entry["details"] == "exakta antal, internt; pptx"
    policy.record_export(store, ANNA, "paket.pdf", "pdf")
    assert audit.entries(store).iloc[0]["details"] == "pdf"  # protected: nothing to say


def test_import_history_gives_the_group_no_exact_row_counts(store: Store) -> None:
    from tests.helpers.reports import SEVEN, load

    load(store, SEVEN[:3], name="tre")
    load(store, SEVEN, name="sju")
    exact = policy.import_history(store, ANNA)
    assert sorted(exact["Rader"].tolist()) == [3, 7] and set(exact["Av"]) == {"test"}
    shown = policy.import_history(store, BO)
    assert set(shown["Av"]) == {roles.ROLE_LABELS[roles.ANALYTIKER]}
    rows = dict(zip(shown["Fil"], shown["Rader"], strict=True))
    assert rows["tre"] == "<5" and 5 <= int(rows["sju"]) <= 9  # seven reports, within ±2
    for column in ("Nya", "Ändrade", "Oförändrade", "Dubbletter"):
        assert set(shown[column]) == {".."}  # no record set of their own to be protected by


# -- OIDC role mapping -------------------------------------------------------------------------
MAPPING = signin.RoleMapping(
    users={"anna@umea.se": "analytiker", "sub-123": "beredningsgrupp"},
    groups={"lagesbild-analytiker": "analytiker", "lagesbild-beredning": "beredningsgrupp"},
)


@pytest.mark.parametrize(("claims", "role"), [
    ({"email": "Anna@Umea.se", "email_verified": True, "sub": "x"}, "analytiker"),
    ({"sub": "sub-123", "email": "someone@umea.se", "email_verified": True}, "beredningsgrupp"),
    ({"sub": "x", "groups": ["lagesbild-beredning"]}, "beredningsgrupp"),
    ({"sub": "x", "groups": ["lagesbild-beredning", "Lagesbild-Analytiker"]}, "analytiker"),
    ({"sub": "x", "groups": "andra lagesbild-beredning"}, "beredningsgrupp"),
    ({"sub": "x", "groups": ["andra"]}, None),
    ({"sub": "x"}, None),
    ({"email": "anna@umea.se", "email_verified": False, "sub": "x"}, None),
    # finding 8: a provider that does not say the address is verified does not get it counted
    ({"email": "anna@umea.se", "sub": "x"}, None),
    ({"email": "anna@umea.se", "email_verified": "false", "sub": "x"}, None),
    ({"email": "anna@umea.se", "email_verified": "true", "sub": "x"}, "analytiker"),
    # the user's own entry wins over a higher role from a group
    ({"sub": "sub-123", "groups": ["lagesbild-analytiker"]}, "beredningsgrupp"),
])
def test_role_for_claims(claims: dict, role: str | None) -> None:
    assert signin.role_for_claims(claims, MAPPING) == role


def test_an_unverified_email_counts_only_for_a_trusted_provider(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Finding 8: with OIDC an e-mail counted as verified when the provider omitted
    `email_verified`; now it counts only when the settings trust the provider."""
    claims = {"email": "anna@umea.se", "sub": "s-1"}
    assert signin.role_for_claims(claims, MAPPING) is None
    assert signin.oidc_identity(claims) == "s-1"  # the log never names an unverified address
    assert signin.role_for_claims(claims, MAPPING, trusted_email=True) == "analytiker"
    explicit_no = {**claims, "email_verified": False}
    assert signin.role_for_claims(explicit_no, MAPPING, trusted_email=True) is None
    settings_file = tmp_path / "installningar.toml"
    settings_file.write_text("[inloggning]\noidc_betrodd_epost = true\n", "utf-8")
    monkeypatch.setenv(config.SETTINGS_ENV, str(settings_file))
    config.settings.cache_clear()
    try:
        assert signin.user_from_claims(claims, MAPPING) == User("anna@umea.se", "analytiker",
                                                                "oidc")
    finally:
        config.settings.cache_clear()


def test_group_claim_name_and_default_role_come_from_the_mapping() -> None:
    mapping = signin.RoleMapping(groups={"g": "analytiker"}, group_claim="roles",
                               default_role="beredningsgrupp")
    assert signin.role_for_claims({"roles": ["g"], "groups": []}, mapping) == "analytiker"
    assert signin.role_for_claims({"groups": ["g"]}, mapping) == "beredningsgrupp"


def test_example_role_file_is_valid_and_gives_no_access_by_default(tmp_path: Path) -> None:
    mapping = signin.load_role_mapping(PROJECT / "data" / "roller.exempel.toml")
    assert mapping.default_role is None and mapping.group_claim == "groups"
    assert signin.role_for_claims({"email": "anna.analytiker@umea.se", "email_verified": True},
                                  mapping) == "analytiker"
    assert signin.role_for_claims({"groups": ["lagesbild-beredningsgrupp"]},
                                mapping) == "beredningsgrupp"
    assert signin.role_for_claims({"email": "okand@umea.se"}, mapping) is None
    assert signin.load_role_mapping(tmp_path / "finns-inte.toml") == signin.RoleMapping()
    bad = tmp_path / "roller.toml"
    bad.write_text('[grupper]\n"g" = "admin"\n', "utf-8")
    with pytest.raises(ValueError, match="Okänd roll 'admin'"):
        signin.load_role_mapping(bad)


def test_user_from_claims() -> None:
    user = signin.user_from_claims({"email": "anna@umea.se", "email_verified": True, "sub": "s",
                                    "name": "Anna A"}, MAPPING)
    assert user == User("anna@umea.se", "analytiker", "oidc")
    assert user.shown_name == "Anna A"
    assert signin.user_from_claims({"sub": "okänd"}, MAPPING) is None


# -- sign-in mode ------------------------------------------------------------------------------
def test_sign_in_mode_and_address() -> None:
    assert signin.sign_in_mode(True, True) == "oidc"
    assert signin.sign_in_mode(True, False) == "oidc"
    assert signin.sign_in_mode(False, True) == "lokal"
    assert signin.sign_in_mode(False, False) == "localhost"
    assert signin.server_address("localhost") == "127.0.0.1"
    assert signin.server_address("oidc") is None and signin.server_address("lokal") is None
    for address in ("localhost", "127.0.0.1", "::1", "[::1]", "127.0.0.2"):
        assert signin.is_loopback(address), address
    for address in ("", None, "0.0.0.0", "::", "192.168.1.10", "lagesbild.umea.se"):
        assert not signin.is_loopback(address), address
    assert signin.bind_address("localhost") == "127.0.0.1"
    # finding 7: with sign-in the app listens on loopback too, behind the TLS proxy
    assert signin.bind_address("oidc") == "127.0.0.1"
    assert signin.bind_address("lokal") == "127.0.0.1"
    user = signin.localhost_user()
    assert user.role == "analytiker" and user.source == "localhost"
    assert "localhost" in signin.LOCALHOST_NOTE


# -- local accounts ----------------------------------------------------------------------------
def test_accounts_are_stored_as_argon2id_hashes_only(tmp_path: Path) -> None:
    path = tmp_path / "konton.json"
    accounts.add_user(path, "anna.a", "analytiker", PASSWORD)
    text = path.read_text("utf-8")
    assert PASSWORD not in text and "$argon2id$" in text
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [(a.name, a.role) for a in accounts.list_users(path)] == [("anna.a", "analytiker")]
    assert accounts.verify(path, "anna.a", PASSWORD) == User("anna.a", "analytiker", "lokal")
    assert accounts.verify(path, "ANNA.A", PASSWORD) is not None  # names ignore case
    assert accounts.verify(path, "anna.a", PASSWORD + "x") is None
    assert accounts.verify(path, "okänd", PASSWORD) is None


def test_default_hasher_is_argon2id_with_rfc9106_parameters(tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) \
        -> None:
    monkeypatch.setattr(accounts, "HASHER", PasswordHasher())
    accounts.add_user(tmp_path / "k.json", "anna", "analytiker", PASSWORD)
    assert "$argon2id$v=19$m=65536,t=3,p=4$" in (tmp_path / "k.json").read_text("utf-8")


def test_account_rules(tmp_path: Path) -> None:
    path = tmp_path / "konton.json"
    accounts.add_user(path, "anna", "analytiker", PASSWORD)
    with pytest.raises(accounts.AccountError, match="finns redan"):
        accounts.add_user(path, "Anna", "beredningsgrupp", PASSWORD)
    with pytest.raises(accounts.AccountError, match="minst 12 tecken"):
        accounts.add_user(path, "bo", "beredningsgrupp", "kort")
    with pytest.raises(accounts.AccountError, match="Okänd roll"):
        accounts.add_user(path, "bo", "admin", PASSWORD)
    with pytest.raises(accounts.AccountError, match="Användarnamnet"):
        accounts.add_user(path, "bo bo", "beredningsgrupp", PASSWORD)
    accounts.add_user(path, "örjan", "beredningsgrupp", PASSWORD)
    accounts.set_role(path, "örjan", "analytiker")
    accounts.set_password(path, "örjan", PASSWORD + " nytt")
    assert accounts.verify(path, "örjan", PASSWORD) is None
    assert accounts.verify(path, "örjan", PASSWORD + " nytt").role == "analytiker"
    accounts.remove_user(path, "örjan")
    assert [a.name for a in accounts.list_users(path)] == ["anna"]
    with pytest.raises(accounts.AccountError, match="inget konto"):
        accounts.remove_user(path, "örjan")
    path.write_text("{inte json", "utf-8")
    with pytest.raises(accounts.AccountError, match="går inte att läsa"):
        accounts.list_users(path)


def test_unknown_names_are_checked_against_a_dummy_hash(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "konton.json"
    accounts.add_user(path, "anna", "analytiker", PASSWORD)
    checked: list[str] = []

    class Spy(PasswordHasher):
        def verify(self, hash: str | bytes, password: str | bytes) -> bool:  # noqa: A002
            checked.append(str(hash))
            return super().verify(hash, password)

    monkeypatch.setattr(accounts, "HASHER", Spy(time_cost=1, memory_cost=1024, parallelism=1))
    assert accounts.verify(path, "okänd", PASSWORD) is None
    assert accounts.verify(path, "anna", "fel lösenord här") is None
    assert len(checked) == 2 and all(h.startswith("$argon2id$") for h in checked)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_guessing_locks_the_name_for_a_growing_time(tmp_path: Path, store: Store) -> None:
    path = tmp_path / "konton.json"
    accounts.add_user(path, "anna", "analytiker", PASSWORD)
    clock = Clock()
    throttle = accounts.Throttle(clock=clock)
    for _ in range(5):
        assert accounts.verify(path, "anna", "gissning 123456", store=store,
                               throttle=throttle) is None
    # Locked: even the right password is not checked.
    with pytest.raises(accounts.AccountLocked, match="Försök igen om 1 minut"):
        accounts.verify(path, "anna", PASSWORD, store=store, throttle=throttle)
    clock.now += 61
    for _ in range(5):
        accounts.verify(path, "anna", "gissning 123456", throttle=throttle)
    with pytest.raises(accounts.AccountLocked) as locked:
        accounts.verify(path, "anna", PASSWORD, throttle=throttle)
    assert locked.value.seconds == pytest.approx(120)  # doubled
    clock.now += 121
    assert accounts.verify(path, "anna", PASSWORD, store=store, throttle=throttle) is not None
    # A success starts afresh: four failures do not lock.
    for _ in range(4):
        accounts.verify(path, "anna", "gissning 123456", throttle=throttle)
    assert accounts.verify(path, "anna", PASSWORD, throttle=throttle) is not None
    log = audit.entries(store, action="inloggning")
    assert log["outcome"].tolist() == ["ok", "nekad"] + ["nekad"] * 5
    assert "spärrat" in log.iloc[1]["details"]
    assert "fel lösenord" in log.iloc[6]["details"]
    assert PASSWORD not in " ".join(log["details"].dropna())


def test_failures_outside_the_window_do_not_add_up(tmp_path: Path) -> None:
    path = tmp_path / "konton.json"
    accounts.add_user(path, "anna", "analytiker", PASSWORD)
    clock = Clock()
    throttle = accounts.Throttle(clock=clock)
    for _ in range(8):
        accounts.verify(path, "anna", "gissning 123456", throttle=throttle)
        clock.now += 4 * 60  # at most four failures within any 15 minutes
    assert accounts.verify(path, "anna", PASSWORD, throttle=throttle) is not None


def test_unknown_names_are_throttled_too(tmp_path: Path) -> None:
    throttle = accounts.Throttle(clock=Clock())
    for _ in range(5):
        accounts.verify(tmp_path / "konton.json", "finns-inte", "x" * 12, throttle=throttle)
    with pytest.raises(accounts.AccountLocked):
        accounts.verify(tmp_path / "konton.json", "finns-inte", "x" * 12, throttle=throttle)


# -- throttling that cannot be turned against users (finding 6) ---------------------------------
GUESSER, OWNER = "203.0.113.9", "10.20.30.40"


def test_a_guesser_locks_only_itself(tmp_path: Path, store: Store) -> None:
    """Five wrong attempts for anna from one address used to lock anna for everyone, for as
    long as the guesser kept going; now they lock the name for that address only."""
    path = tmp_path / "konton.json"
    accounts.add_user(path, "anna", "analytiker", PASSWORD)
    throttle = accounts.Throttle(clock=Clock())
    for _ in range(accounts.MAX_FAILURES):
        assert accounts.verify(path, "anna", "gissning 123456", throttle=throttle,
                               address=GUESSER) is None
    with pytest.raises(accounts.AccountLocked):
        accounts.verify(path, "anna", PASSWORD, throttle=throttle, address=GUESSER)
    user = accounts.verify(path, "anna", PASSWORD, throttle=throttle, address=OWNER,
                           store=store)
    assert user == User("anna", "analytiker", "lokal")
    details = audit.entries(store, action="inloggning")["details"].tolist()
    assert details == [f"lokal, roll analytiker, från {OWNER}"]


def test_an_address_that_tries_many_names_is_locked_not_the_names(tmp_path: Path) -> None:
    path = tmp_path / "konton.json"
    accounts.add_user(path, "anna", "analytiker", PASSWORD)
    throttle = accounts.Throttle(clock=Clock())
    for i in range(accounts.MAX_ADDRESS_FAILURES):
        accounts.verify(path, f"namn{i}", "gissning 123456", throttle=throttle, address=GUESSER)
    with pytest.raises(accounts.AccountLocked):
        accounts.verify(path, "anna", PASSWORD, throttle=throttle, address=GUESSER)
    assert accounts.verify(path, "anna", PASSWORD, throttle=throttle, address=OWNER)
    # the guesser's own good account does not excuse the address
    with pytest.raises(accounts.AccountLocked):
        accounts.verify(path, "anna", PASSWORD, throttle=throttle, address=GUESSER)


def test_lockouts_expire_and_start_short_again_after_a_quiet_spell(tmp_path: Path) -> None:
    """A lock-out doubles while the guessing goes on, up to an hour, and is forgotten after an
    hour of quiet: no name stays locked for good."""
    clock = Clock()
    throttle = accounts.Throttle(clock=clock)
    lengths = []
    for _ in range(8):
        for _ in range(accounts.MAX_FAILURES - 1):
            assert throttle.failure("anna", GUESSER) == 0
        lengths.append(throttle.failure("anna", GUESSER))
        clock.now += lengths[-1] + 1
        assert throttle.remaining("anna", GUESSER) == 0
    assert lengths == [60, 120, 240, 480, 960, 1920, 3600, 3600]
    clock.now += accounts.MAX_LOCKOUT
    for _ in range(accounts.MAX_FAILURES - 1):
        throttle.failure("anna", GUESSER)
    assert throttle.failure("anna", GUESSER) == accounts.BASE_LOCKOUT


def test_the_throttle_keeps_a_bounded_number_of_keys_and_every_lock() -> None:
    clock = Clock()
    throttle = accounts.Throttle(clock=clock)
    throttle.MAX_KEYS = 50
    for _ in range(accounts.MAX_FAILURES):
        throttle.failure("anna", GUESSER)
    for i in range(300):  # a flood of new names from new addresses
        clock.now += 0.1
        throttle.failure("x" * 10_000 + str(i), f"10.0.{i // 250}.{i % 250}")
    assert len(throttle._counters) <= throttle.MAX_KEYS + 2
    assert all(len(key) < 200 for key in throttle._counters)
    assert throttle.remaining("anna", GUESSER) > 0


def test_password_checks_run_at_most_two_at_a_time(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Every attempt with a new name costs a full argon2id check (64 MiB): eight in parallel
    took 525 MB. Only MAX_CONCURRENT_CHECKS run at once; the others wait their turn."""
    import threading
    import time as real_time

    path = tmp_path / "konton.json"
    accounts.add_user(path, "anna", "analytiker", PASSWORD)
    running, peak, guard = [0], [0], threading.Lock()

    class Slow(PasswordHasher):
        def verify(self, hash: str | bytes, password: str | bytes) -> bool:  # noqa: A002
            with guard:
                running[0] += 1
                peak[0] = max(peak[0], running[0])
            try:
                real_time.sleep(0.05)
                return super().verify(hash, password)
            finally:
                with guard:
                    running[0] -= 1

    monkeypatch.setattr(accounts, "HASHER", Slow(time_cost=1, memory_cost=1024, parallelism=1))
    monkeypatch.setattr(accounts, "CHECKS", accounts.CheckLimit())
    answers: list[object] = []
    threads = [threading.Thread(target=lambda i=i: answers.append(accounts.verify(
        path, f"okänd{i}", "gissning 123456", address=f"10.0.0.{i}"))) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [None] * 8
    assert peak[0] == accounts.MAX_CONCURRENT_CHECKS == 2


def test_an_attempt_that_cannot_get_a_turn_is_told_to_wait(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) \
        -> None:
    limit = accounts.CheckLimit(1, wait=0.01)
    monkeypatch.setattr(accounts, "CHECKS", limit)
    throttle = accounts.Throttle(clock=Clock())
    with limit.slot(), pytest.raises(accounts.SignInBusy, match="Vänta en stund"):
        accounts.verify(tmp_path / "k.json", "anna", PASSWORD, throttle=throttle)
    assert throttle.remaining("anna") == 0  # a busy server is no failure of the user


# -- accounts that change while someone is signed in (finding 3) ---------------------------------
def test_the_session_key_ends_with_a_removed_locked_or_changed_account(tmp_path: Path) -> None:
    path = tmp_path / "konton.json"
    accounts.add_user(path, "anna", "analytiker", PASSWORD)
    key = accounts.session_key(path, "anna")
    assert key is not None and key == accounts.session_key(path, "ANNA")
    accounts.set_role(path, "anna", "beredningsgrupp")
    assert accounts.session_key(path, "anna") not in (None, key)
    key = accounts.session_key(path, "anna")
    accounts.set_password(path, "anna", PASSWORD + " nytt")
    assert accounts.session_key(path, "anna") not in (None, key)
    accounts.set_locked(path, "anna", True)
    assert accounts.session_key(path, "anna") is None
    assert accounts.list_users(path)[0].locked
    with pytest.raises(accounts.AccountDisabled, match="Kontot är spärrat"):
        accounts.verify(path, "anna", PASSWORD + " nytt")
    assert accounts.verify(path, "anna", "fel lösenord här") is None  # tells nothing
    accounts.set_locked(path, "anna", False)
    assert accounts.verify(path, "anna", PASSWORD + " nytt") is not None
    accounts.remove_user(path, "anna")
    assert accounts.session_key(path, "anna") is None
    path.write_text("{inte json", "utf-8")  # a damaged file signs everybody out
    assert accounts.session_key(path, "anna") is None


def test_old_hash_parameters_are_upgraded_on_sign_in(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "konton.json"
    accounts.add_user(path, "anna", "analytiker", PASSWORD)
    old = path.read_text("utf-8")
    monkeypatch.setattr(accounts, "HASHER", PasswordHasher(time_cost=2, memory_cost=2048,
                                                           parallelism=1))
    assert accounts.verify(path, "anna", PASSWORD) is not None
    new = path.read_text("utf-8")
    assert new != old and "m=2048,t=2,p=1" in new


def test_accounts_path_from_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(accounts.ACCOUNTS_ENV, str(tmp_path / "x.json"))
    assert accounts.accounts_path() == tmp_path / "x.json"
    monkeypatch.delenv(accounts.ACCOUNTS_ENV)
    assert accounts.accounts_path() == config.DATA_DIR / "konton.json"


# -- the command line --------------------------------------------------------------------------
def test_user_commands(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                       capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "konton.json"
    db = tmp_path / "db.duckdb"
    Store.open(db).close()
    common = ["--accounts", str(path), "--db", str(db), "--user", "admin"]
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert cli.main(["user", "add", "anna", "--role", "analytiker", "--password-stdin",
                     *common]) == 0
    assert accounts.verify(path, "anna", PASSWORD) is not None
    monkeypatch.setattr("sys.stdin", io.StringIO("kort\n"))
    assert cli.main(["user", "add", "bo", "--role", "beredningsgrupp", "--password-stdin",
                     *common]) == 1
    assert "minst 12 tecken" in capsys.readouterr().err
    assert cli.main(["user", "list", *common]) == 0
    out = capsys.readouterr().out
    assert "anna" in out and "analytiker" in out and "$argon2" not in out
    assert cli.main(["user", "remove", "anna", *common]) == 0
    assert accounts.list_users(path) == []
    assert cli.main(["user", "remove", "anna", *common]) == 1
    store = Store.open(db)
    assert audit.entries(store)["action"].tolist() == ["konto borttaget", "konto skapat"]
    store.close()
    with pytest.raises(SystemExit):
        cli.main(["user", "add", "bo", "--role", "admin", *common])


def test_user_lock_and_unlock_commands(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    path, db = tmp_path / "konton.json", tmp_path / "db.duckdb"
    Store.open(db).close()
    accounts.add_user(path, "anna", "analytiker", PASSWORD)
    common = ["--accounts", str(path), "--db", str(db), "--user", "admin"]
    assert cli.main(["user", "lock", "anna", *common]) == 0
    assert cli.main(["user", "list", *common]) == 0
    assert "SPÄRRAT" in capsys.readouterr().out
    with pytest.raises(accounts.AccountDisabled):
        accounts.verify(path, "anna", PASSWORD)
    assert cli.main(["user", "unlock", "anna", *common]) == 0
    assert accounts.verify(path, "anna", PASSWORD) is not None
    assert cli.main(["user", "lock", "finns-inte", *common]) == 1
    store = Store.open(db)
    assert audit.entries(store)["action"].tolist() == ["konto öppnat", "konto spärrat"]
    store.close()


def test_mode_and_address_are_read_from_the_files(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    secrets, konton = tmp_path / "secrets.toml", tmp_path / "konton.json"
    assert signin.detect_sign_in_mode(secrets, konton) == "localhost"
    assert cli.main(["address", "--accounts", str(konton)]) == 0
    assert capsys.readouterr().out.strip() == "127.0.0.1"
    accounts.add_user(konton, "anna", "analytiker", PASSWORD)
    assert signin.detect_sign_in_mode(secrets, konton) == "lokal"
    monkeypatch.delenv(signin.NETWORK_ADDRESS_ENV, raising=False)
    assert cli.main(["address", "--accounts", str(konton)]) == 0
    assert capsys.readouterr().out.strip() == "127.0.0.1"  # finding 7: was 0.0.0.0
    monkeypatch.setenv(signin.NETWORK_ADDRESS_ENV, "10.1.2.3")
    assert cli.main(["address", "--accounts", str(konton)]) == 0
    assert capsys.readouterr().out.strip() == "10.1.2.3"
    secrets.write_text('[auth]\nredirect_uri = "http://x/oauth2callback"\n', "utf-8")
    assert signin.detect_sign_in_mode(secrets, konton) == "oidc"
    secrets.write_text("[auth\n", "utf-8")  # broken: no sign-in, so localhost only
    assert not signin.secrets_have_auth(secrets)
