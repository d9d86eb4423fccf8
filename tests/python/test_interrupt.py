"""Ctrl-C stops a long call of the Python package promptly and cleanly.

A child Python process starts a call that takes several seconds and the test sends it SIGINT
once the call has started. The call must raise KeyboardInterrupt within moments (the engine
checks a cancel flag often; the calling thread runs Python's signal handlers while it waits),
the child must exit normally, and nothing may be left behind: its temporary directory is
empty (results are held in memory, never in a scratch file) and so is the directory the call
writes into (no output, no staging directory: outputs are staged and appear whole or not at
all).

The calls:
- `rank`: every person of tiny under personalized PageRank pushed to a small threshold (about
  20 ms per target; the ranking checks the flag before each target);
- `generate`: a dataset of 30,000 people (tens of seconds; the generator checks the flag per
  person while building friendships and drawing events, and per block of rows written);
- `compare`: every person of tiny under the three costliest heuristics (seconds in a release
  build; the evaluation checks the flag before each target it scores).
Each case costs about a second: the call is stopped 0.5 s after it started.
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

# The child: argv is the dataset, the directory to write into and the case; prints `started`
# just before the long call, then how the call ended.
CHILD = r"""
import sys, time
import tierank as tr

data, outputs, case = sys.argv[1], sys.argv[2], sys.argv[3]
if case == "rank":
    g = tr.load(data)
    call = lambda: g.rank(sample=g.num_people, heuristics="ppr", k=15, ppr_epsilon=1e-6)
elif case == "generate":
    call = lambda: tr.generate(preset="small", persons=30_000, seed=1, out=f"{outputs}/data")
elif case == "compare":
    call = lambda: tr.compare(
        data, out=f"{outputs}/report", sample=1_000,
        heuristics="dispersion,recursive_dispersion,ppr", learned=False, resamples=0,
    )
else:
    raise SystemExit(f"unknown case {case}")
print("started", flush=True)
began = time.perf_counter()
try:
    call()
except KeyboardInterrupt:
    print(f"interrupted {time.perf_counter() - began:.2f}", flush=True)
    sys.exit(0)
print(f"finished {time.perf_counter() - began:.2f}", flush=True)
sys.exit(3)
"""

# Seconds between the call's start and SIGINT: enough for the call to be under way.
DELAY = 0.5
# The most the interrupt may take to surface.
PROMPT = 2.0


@pytest.mark.parametrize("case", ["rank", "generate", "compare"])
def test_ctrl_c_interrupts_a_long_call_promptly(case: str, dataset: Path, tmp_path: Path) -> None:
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    outputs = tmp_path / "outputs"
    outputs.mkdir()
    env = {**os.environ, "TMPDIR": str(scratch)}
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(dataset), str(outputs), case],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "started"
        time.sleep(DELAY)
        child.send_signal(signal.SIGINT)
        sent = time.perf_counter()
        out, err = child.communicate(timeout=60)
        waited = time.perf_counter() - sent
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == 0, f"exit {child.returncode}\n{out}\n{err}"
    assert out.startswith("interrupted"), out + err
    assert waited < PROMPT, f"KeyboardInterrupt took {waited:.2f}s after SIGINT"
    assert list(scratch.iterdir()) == []
    assert list(outputs.iterdir()) == []
