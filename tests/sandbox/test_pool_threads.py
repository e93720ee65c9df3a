"""A fork server outlives the thread that started it.

PR_SET_PDEATHSIG (bubblewrap's --die-with-parent, the fallback tier's preexec_fn) fires when the
*thread* that forked the server exits. Servers started from a short-lived thread used to die with
it, and the next submission sent to them came back aborted.
"""

from __future__ import annotations

import threading

import pytest
from sandbox_support import SMALL, TIERS, assert_full_marks, require_tier

from quizsvc.sandbox.pool import WarmPool


@pytest.mark.parametrize("tier", TIERS)
def test_a_server_started_by_a_thread_that_exits_keeps_grading(tier: str) -> None:
    require_tier(tier)
    with WarmPool(size=1, limits=SMALL, isolation=tier) as pool:
        starter = threading.Thread(target=pool.start)
        starter.start()
        starter.join()  # the thread that started the server is gone
        (server,) = pool._servers
        pid = server.proc.pid if server.proc else None
        assert_full_marks(pool)
        assert server.proc is not None and server.proc.pid == pid, "the server was replaced"
        assert pool.respawns == 0
