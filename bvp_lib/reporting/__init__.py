"""Reports: papermill runs of parameterised notebooks rendered as self-contained HTML.

* :mod:`bvp_lib.reporting.runner`: execute a notebook atomically, render HTML with code hidden;
* :mod:`bvp_lib.reporting.index`: ``reports/index.html`` with every report's headline;
* figures and tables for the daily report live in :mod:`bvp_lib.reporting.figures`.
"""
