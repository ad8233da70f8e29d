"""Exceptions of :mod:`bvp_lib.scheduling`.

All input errors are raised *before* the solver runs wherever the problem can be seen
from the data alone; errors found by the solver name the asset(s) and the constraint
family that cannot hold.
"""

from __future__ import annotations

from dataclasses import dataclass


class SchedulingInputError(ValueError):
    """Bad input data or asset parameters, found before the solver runs.

    Attributes
    ----------
    asset : str or None
        The asset (or connection point) the problem belongs to, if any.
    family : str or None
        The constraint family the bad value feeds (for example ``"soc_target"``).
    """

    def __init__(self, message: str, *, asset: str | None = None, family: str | None = None):
        super().__init__(message)
        self.asset = asset
        self.family = family


@dataclass(frozen=True)
class Culprit:
    """One constraint family of one asset that, relaxed, makes the schedule feasible."""

    asset: str | None
    family: str

    def __str__(self) -> str:
        return f"{self.family} of {self.asset}" if self.asset else self.family


class InfeasibleScheduleError(ValueError):
    """The solver found no schedule satisfying all constraints.

    Attributes
    ----------
    asset : str or None
        The first asset named by the diagnosis.
    family : str or None
        The first constraint family named by the diagnosis.
    culprits : list of Culprit
        Every (asset, family) whose relaxation alone makes the problem feasible, in
        the order of the assets; empty when the diagnosis could not pin it down.
    """

    def __init__(self, message: str, culprits: list[Culprit] | None = None):
        super().__init__(message)
        self.culprits = list(culprits or [])
        self.asset = self.culprits[0].asset if self.culprits else None
        self.family = self.culprits[0].family if self.culprits else None


class UnboundedScheduleError(ValueError):
    """The objective is unbounded (only possible through custom constraints/variables).

    Attributes
    ----------
    asset, family : str or None
        The first asset and variable kind found to run off to infinity.
    culprits : list of Culprit
    """

    def __init__(self, message: str, culprits: list[Culprit] | None = None):
        super().__init__(message)
        self.culprits = list(culprits or [])
        self.asset = self.culprits[0].asset if self.culprits else None
        self.family = self.culprits[0].family if self.culprits else None


class SolverError(RuntimeError):
    """The solver stopped without a usable solution (time limit, numerical trouble)."""
