"""Measured fast paths, one module per concern, each naming the benchmark that justifies it.

The services call these and stay plain ORM code; what each module saves is measured by
``bench/throughput.py`` (figures in the README and in the commits that introduced them).
"""
