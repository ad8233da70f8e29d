"""bvp_lib: the helper package of the BVP workbench.

Data flows one way: files -> database -> forecasts -> schedules -> value -> report.
Each arrow is one module: :mod:`bvp_lib.data`, :mod:`bvp_lib.db`,
:mod:`bvp_lib.forecasting`, :mod:`bvp_lib.scheduling`, :mod:`bvp_lib.valuation`,
:mod:`bvp_lib.reporting`. Time series are read and written with
:func:`bvp_lib.beliefs.save_beliefs` and :func:`bvp_lib.beliefs.load_beliefs`.

Conventions: timestamps timezone-aware (stored UTC); power in MW, production positive
and consumption negative; energy in MWh; prices in EUR/MWh.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("bvp-workbench")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0+unknown"

from bvp_lib.config import get_settings  # noqa: E402
from bvp_lib.redact import install_log_redaction  # noqa: E402

# every log record (a notebook's, papermill's, a Dask worker's) passes through bvp_lib.redact.mask_text
install_log_redaction()

__all__ = ["__version__", "get_settings"]
