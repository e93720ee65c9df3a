"""Code submissions, one module per job.

A submission row is committed with status ``queued`` before the caller hears "accepted"
(:mod:`.acceptance`); a worker claims it with a conditional UPDATE (queued -> running, or an
expired running lease), grades it, and finishes it only if it still holds the claim
(:mod:`.claims`). A duplicate delivery therefore never grades twice, and a worker that died
mid-job leaves a lease that a sweep hands to someone else. :mod:`.results` reads submissions
for their author and the staff, :mod:`.formatting` renders a result (JSON, JUnit, Gradescope),
:mod:`.regrading` queues an assignment's submissions again.
"""
