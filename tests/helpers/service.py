"""The app's lifespan (database, scheduled backups, local channel) run in this process, in an
event loop on a thread, without Streamlit: the command line in the test process then reaches
it over the real socket as it would reach the running dashboard."""

from __future__ import annotations

import asyncio
import dataclasses
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from lagesbild.cli.forward import run_in_app
from lagesbild.domain import config
from lagesbild.service import runtime

NO_SCHEDULE = config.Backups(time_of_day=None)


@contextmanager
def served(run_command: Any = run_in_app, backups: config.Backups = NO_SCHEDULE) \
        -> Iterator[runtime.Resources]:
    """`runtime.serving(run_command)` started on $LAGESBILD_DB with the given backup settings
    (default: no scheduled backups); stopped on leaving."""
    settings = dataclasses.replace(config.settings(), backups=backups)
    original, config.settings = config.settings, lambda: settings
    try:
        with _serving(run_command) as resources:
            yield resources
    finally:
        config.settings = original


@contextmanager
def _serving(run_command: Any) -> Iterator[runtime.Resources]:
    ready = threading.Event()
    state: dict[str, Any] = {}

    async def main() -> None:
        state["loop"], state["stop"] = asyncio.get_running_loop(), asyncio.Event()
        try:
            async with runtime.serving(run_command)(None):
                state["resources"] = runtime.current()
                ready.set()
                await state["stop"].wait()
        except BaseException as exc:
            state["error"] = exc
            ready.set()
            raise

    thread = threading.Thread(target=asyncio.run, args=(main(),), daemon=True)
    thread.start()
    ready.wait(60)
    if "error" in state:
        raise state["error"]
    try:
        yield state["resources"]
    finally:
        state["loop"].call_soon_threadsafe(state["stop"].set)
        thread.join(60)
