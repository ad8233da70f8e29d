"""The ``bvp`` command line: a thin layer over bvp_lib's Python API."""
