"""One module per assignment; each defines ``ASSIGNMENT`` (see :mod:`quizsvc.grading.registry`)."""
