"""Ctrl-C stops a long call of the Python package promptly and cleanly.

A child Python process loads the tiny dataset and starts a ranking that takes several seconds
(personalized PageRank pushed to a small threshold, about 20 ms per target, every person a
target); the test sends it SIGINT once the call has started. The call must raise KeyboardInterrupt within moments (the
engine checks a cancel flag before each target; the calling thread runs Python's signal
handlers while it waits), the child must exit normally, and nothing may be left behind (its
temporary directory is empty: results are held in memory, never in a scratch file).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("tierank", reason="the tierank Python package is not installed")

# The child: prints `started` just before the long call, then how the call ended.
CHILD = r"""
import sys, time
import tierank as tr

g = tr.load(sys.argv[1])
print("started", flush=True)
began = time.perf_counter()
try:
    g.rank(sample=g.num_people, heuristics="ppr", k=15, ppr_epsilon=1e-6)
except KeyboardInterrupt:
    print(f"interrupted {time.perf_counter() - began:.2f}", flush=True)
    sys.exit(0)
print(f"finished {time.perf_counter() - began:.2f}", flush=True)
sys.exit(3)
"""

# Seconds between the call's start and SIGINT: enough for the ranking to be under way.
DELAY = 0.5
# The most the interrupt may take to surface.
PROMPT = 2.0


def test_ctrl_c_interrupts_a_long_rank_promptly(dataset: Path, tmp_path: Path) -> None:
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = {**os.environ, "TMPDIR": str(scratch)}
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(dataset)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "started"
        time.sleep(DELAY)
        child.send_signal(signal.SIGINT)
        sent = time.perf_counter()
        out, err = child.communicate(timeout=30)
        waited = time.perf_counter() - sent
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == 0, f"exit {child.returncode}\n{out}\n{err}"
    assert out.startswith("interrupted"), out + err
    assert waited < PROMPT, f"KeyboardInterrupt took {waited:.2f}s after SIGINT"
    assert list(scratch.iterdir()) == []
