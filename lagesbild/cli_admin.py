"""Command-line commands for admin (filled in by its issue)."""

from __future__ import annotations

import argparse
from collections.abc import Callable


def add_commands(sub: argparse._SubParsersAction, common: argparse.ArgumentParser,
                 command: Callable) -> None:
    """Register this module's commands on the `lagesbild` parser."""
