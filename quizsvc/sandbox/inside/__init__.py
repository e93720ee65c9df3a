"""Code that runs INSIDE the sandbox: the fork server, the per-child layers, and the child.

Standard library (+ NumPy) only, and nothing else of the project: the sandbox runs this package
from a read-only copy staged as ``inside`` (``bwrap.py``), while the grader imports the same
modules as ``quizsvc.sandbox.inside`` (the wire format, the array codec, and ``calls`` to run
trusted code through the same interpreter). So imports between them are relative.

``server`` the fork server; ``confine``, ``seccomp_filter``, ``landlock_rules`` the layers;
``wire`` the frames; ``codes`` the reasons reported instead of words; ``child`` a submission's
process, with ``calls``, ``values``, ``arrays``, ``result_stream``, ``capture``,
``import_block``, ``time_limit`` and ``rehearsal``.
"""
