"""Benchmark: memory of eight sign-in attempts at once with fresh names (finding 6).

Every attempt with a name that has no account costs a full argon2id check against a dummy hash
(64 MiB, about 0.3 s). Each case runs in a fresh process and prints its peak resident memory
above the baseline of the same process:

* uncapped: eight threads call the password hasher directly (what the sign-in did before);
* capped: eight threads call `accounts.verify` (at most MAX_CONCURRENT_CHECKS checks at once).

    PYTHONPATH=. .venv/bin/python bench/bench_signin_memory.py [ATTEMPTS]
"""

from __future__ import annotations

import subprocess
import sys
import tempfile

CASE = r"""
import resource, sys, tempfile, threading, time
from pathlib import Path
from lagesbild.access import accounts
attempts, capped = int(sys.argv[1]), sys.argv[2] == "capped"
folder = Path(tempfile.mkdtemp())
dummy = accounts._dummy_hash()  # made once, before the baseline
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
def attempt(i):
    if capped:
        accounts.verify(folder / "konton.json", f"okand{i}", "gissning 123456",
                        address=f"10.0.0.{i}")
    else:
        try:
            accounts.HASHER.verify(dummy, "gissning 123456")
        except Exception:
            pass
start = time.perf_counter()
threads = [threading.Thread(target=attempt, args=(i,)) for i in range(attempts)]
for t in threads: t.start()
for t in threads: t.join()
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print((peak - base) / 1024, time.perf_counter() - start)
"""


def run(attempts: int, mode: str) -> tuple[float, float]:
    out = subprocess.run([sys.executable, "-c", CASE, str(attempts), mode], check=True,
                         capture_output=True, text=True, cwd=tempfile.gettempdir(),
                         env=None).stdout.split()
    return float(out[0]), float(out[1])


def main() -> None:
    attempts = int(sys.argv[1]) if len(sys.argv) > 1 else 8
    uncapped_mb, uncapped_s = run(attempts, "uncapped")
    capped_mb, capped_s = run(attempts, "capped")
    print(f"{attempts} samtidiga försök med nya namn")
    print(f"  utan tak: {uncapped_mb:6.0f} MB över basen, {uncapped_s:.2f} s")
    print(f"  med tak:  {capped_mb:6.0f} MB över basen, {capped_s:.2f} s")
    print(f"  minne utan tak / med tak: {uncapped_mb / max(capped_mb, 1):.1f}x")


if __name__ == "__main__":
    main()
