"""A pre-forked child's rehearsal of the job it waits for (see :func:`rehearse`)."""

from __future__ import annotations

import select
import sys
from typing import Any

import numpy as np

from .calls import execute_calls
from .capture import capture
from .result_stream import ResultStream

# Stands in for a submission in the rehearsal: the compiler's working memory gets copied too.
_REHEARSAL_SOURCE = """
import numpy as np


def forward(x, gamma, beta, eps=1e-5):
    mu = x.mean(axis=0)
    var = ((x - mu) ** 2).mean(axis=0)
    x_hat = (x - mu) / np.sqrt(var + eps)
    return gamma * x_hat + beta, (x_hat, var, eps)


def backward(dout, cache):
    x_hat, var, eps = cache
    n = dout.shape[0]
    dx_hat = dout / np.sqrt(var + eps)
    return (n * dx_hat - dx_hat.sum(axis=0) - x_hat * (dx_hat * x_hat).sum(axis=0)) / n
"""


def rehearse(job_fd: int, programs: dict[int, tuple[list[Any], Any]], hold_off: float) -> None:
    """Until the job arrives: run the newest program's calls through the whole protocol with
    stand-in functions (our code, the public inputs, output to /dev/null). Every page of the
    fork server's memory this process writes costs a copy-on-write fault (~5 us in a VM);
    taking most of them now, while it waits, keeps them off the job's clock: ~1 ms less
    latency for a layer-norm job. It costs more CPU than it saves (~2.6 ms for ~0.9 ms), so it
    only starts once the job has kept us waiting ``hold_off`` seconds: an idle server's next
    student gets the faster answer, while a server under steady load, whose jobs arrive with
    gaps of tens of milliseconds, gets none (at a 50 ms hold-off such gaps made the sandbox
    cost ~25% more CPU per job in the throughput benchmark)."""
    def arrived(wait: float = 0.0) -> bool:
        return bool(select.select([job_fd], [], [], wait)[0])

    if arrived(hold_off):
        return
    calls, arrays = programs[max(programs)]

    def echo(*args: Any, **kwargs: Any) -> Any:
        first = args[0] if args else None
        return (first, first) if isinstance(first, np.ndarray) else first

    out = ResultStream(0)  # /dev/null, opened by the server
    try:
        compile(_REHEARSAL_SOURCE, "<rehearsal>", "exec")
        for record in execute_calls({c["fn"]: echo for c in calls}, calls, arrays, out.array,
                                    call_seconds=1.0, capture=capture):
            out.record(record)
            if arrived():
                break
    except Exception:  # noqa: BLE001, S110 - a rehearsal must never cost the real job
        pass
    finally:
        sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
