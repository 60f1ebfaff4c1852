"""Scheduled backups: a thread the app's lifespan starts, one verified backup a day.

At the time of day in [sakerhetskopia] tid (Swedish time) it runs
`operations.scheduled_backup` on the app's Store (its own cursor, one snapshot) and keeps the
newest `behall`. When the app starts and the newest verified backup is more than a day old (or
there is none), one is taken `vid_start_efter_sekunder` after start, so a server that was off
at night still gets its backup. A failing backup is recorded and logged; the thread goes on.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable

from lagesbild.domain import config
from lagesbild.domain.formatting import LOCAL_TIME
from lagesbild.service import operations
from lagesbild.store import Store

LOG = logging.getLogger("lagesbild.scheduler")
CATCH_UP_AFTER = dt.timedelta(days=1)
MAX_SLEEP = 30.0  # seconds: wake up this often to notice a changed clock


def next_time_of_day(time_of_day: str, after: dt.datetime) -> dt.datetime:
    """The first moment at HH:MM (Swedish time) strictly after `after`."""
    hour, minute = (int(part) for part in time_of_day.split(":"))
    local = after.astimezone(LOCAL_TIME)
    candidate = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if candidate <= local:
        candidate = (local + dt.timedelta(days=1)).replace(hour=hour, minute=minute, second=0,
                                                           microsecond=0)
    return candidate.astimezone(dt.UTC)


class BackupScheduler:
    """Runs the scheduled backups of one Store until `stop()`."""

    def __init__(self, store: Store, settings: config.Backups,
                 clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)) -> None:
        self.store = store
        self.settings = settings
        self.clock = clock
        self.runs = 0
        self.failures = 0
        self.next_run: dt.datetime | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="lagesbild-backups",
                                        daemon=True)

    @property
    def enabled(self) -> bool:
        return self.settings.time_of_day is not None

    def first_run(self) -> dt.datetime | None:
        """Soon after start when the newest verified backup is over a day old, else at the
        next time of day; None when scheduled backups are off."""
        if self.settings.time_of_day is None:
            return None
        now = self.clock()
        assert self.store.path is not None
        latest = operations.backup_status(self.store.path).latest_ok
        if latest is None or now - latest.when > CATCH_UP_AFTER:
            return now + dt.timedelta(seconds=self.settings.catch_up_seconds)
        return next_time_of_day(self.settings.time_of_day, now)

    def start(self) -> None:
        self.next_run = self.first_run()
        if self.next_run is not None:
            LOG.info("scheduled backups: next at %s", self.next_run.isoformat())
            self._thread.start()

    def run_once(self) -> None:
        """One scheduled backup now; a failure is counted and logged, never raised."""
        try:
            target = operations.scheduled_backup(self.store, self.settings.keep, self.clock())
            self.runs += 1
            LOG.info("scheduled backup written and verified: %s", target)
        except Exception as exc:  # recorded by make_backup; the schedule goes on
            self.failures += 1
            LOG.error("scheduled backup failed: %s", exc)

    def _loop(self) -> None:
        assert self.settings.time_of_day is not None
        while self.next_run is not None:
            wait = (self.next_run - self.clock()).total_seconds()
            if wait > 0:
                if self._stop.wait(min(wait, MAX_SLEEP)):
                    return
                continue
            self.run_once()
            self.next_run = next_time_of_day(self.settings.time_of_day, self.clock())

    def stop(self, timeout: float = 30.0) -> bool:
        """Stop the thread (a backup in progress finishes first); True when it has."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
        return not self._thread.is_alive()
