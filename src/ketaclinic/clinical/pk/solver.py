"""Exact plasma concentrations for many patients at once.

The model is linear with constant coefficients and the input (infusion rate) is
piecewise constant, so the solution is a sum of exponentials with no stepping
error:

1. **Decay modes** (``kinetics.decay_modes``): rates ``alpha_j`` and shares ``w_j``.
2. **Segments.** Infusion starts and ends cut time into segments of constant
   rate ``r``. On one, each mode's amount moves from its value ``x`` at the
   segment start towards ``r / alpha`` as ``r/alpha + (x - r/alpha) exp(-alpha dt)``;
   carrying that across segment boundaries gives every mode's amount there.
3. **Samples.** At ``delta`` minutes into a segment the concentration is a
   constant plus a weighted sum of ``exp(-alpha_j delta)``. Those exponentials
   are computed once per distinct ``delta``: a regular schedule (every minute for
   4 h after each infusion) repeats the same offsets after every infusion, so a
   course of six infusions costs little more than one, and the weighted sums
   for all those infusions are one batched matrix product.

Vectorised over patients; the Python loops run over segments (a dozen for a
course), never over patients. ``workers > 1`` splits the patients into blocks
computed in threads: numpy releases the GIL in the heavy calls.
"""

from __future__ import annotations

from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from itertools import pairwise

import numpy as np
from numpy.typing import NDArray

from ketaclinic.clinical.pk.infusions import Schedule
from ketaclinic.clinical.pk.kinetics import FloatArray, Kinetics, decay_modes

# mg over litres gives mg/L, which is ug/mL; the clinic reads ng/mL.
NG_PER_ML_PER_MG_PER_L = 1000.0
# Below this a thread costs more than it saves.
MIN_PATIENTS_PER_WORKER = 1000


def plasma_ng_per_ml(
    kinetics: Kinetics,
    infusions: Schedule,
    amounts_mg: FloatArray,
    times_min: FloatArray,
    *,
    workers: int = 1,
) -> FloatArray:
    """Plasma concentration ``(N, len(times_min))`` in ng/mL.

    ``amounts_mg`` is ``(N, infusions)``: each patient's amount of each infusion.
    ``times_min`` must be sorted; before the first infusion the concentration is 0.
    The result does not depend on ``workers``.
    """
    result = np.empty((kinetics.patients, times_min.shape[0]))
    blocks = min(workers, kinetics.patients // MIN_PATIENTS_PER_WORKER) or 1
    edges = np.linspace(0, kinetics.patients, blocks + 1).astype(int).tolist()

    def fill(rows: slice) -> None:
        _fill(kinetics.rows(rows), infusions, amounts_mg[rows], times_min, result[rows])

    rows = [slice(lo, hi) for lo, hi in pairwise(edges)]
    if blocks == 1:
        fill(rows[0])
    else:
        with ThreadPoolExecutor(blocks) as pool:
            list(pool.map(fill, rows))
    return result


def _fill(
    kinetics: Kinetics,
    infusions: Schedule,
    amounts_mg: FloatArray,
    times_min: FloatArray,
    out: FloatArray,
) -> None:
    alpha, share = decay_modes(kinetics)
    bounds, rate_mg_per_min = _segments(infusions, amounts_mg)
    # While a rate holds, each mode's amount heads for rate / alpha.
    settles = rate_mg_per_min[:, :, None] / alpha  # (segments, N, modes)
    # Fast modes underflow to 0 between treatment days, as they should.
    with np.errstate(under="ignore"):
        at_bounds = _mode_amounts_at_bounds(bounds, alpha, settles)

        to_ng_per_ml = share * (NG_PER_ML_PER_MG_PER_L / kinetics.v1_l[:, None])
        # At delta minutes into segment k the concentration is
        #   level[k] + sum_j transient[k, j] * exp(-alpha_j * delta);
        # the level rides along as one more mode, one that never decays.
        coefficients = np.empty((*settles.shape[:2], settles.shape[2] + 1))
        np.multiply(at_bounds - settles, to_ng_per_ml, out=coefficients[:, :, :-1])
        np.einsum("kpj,pj->kp", settles, to_ng_per_ml, out=coefficients[:, :, -1])
        decay_per_min = np.pad(alpha, ((0, 0), (0, 1)))
        _evaluate(bounds, decay_per_min, coefficients, times_min, out)


def _segments(infusions: Schedule, amounts_mg: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Where the total infusion rate changes, and the rate ``(segments, N)`` from each
    change to the next (the last segment, after every infusion, has rate 0)."""
    ends = infusions.start_min + infusions.duration_min
    bounds = np.unique(np.concatenate([infusions.start_min, ends]))
    running = (infusions.start_min <= bounds[:, None]) & (bounds[:, None] < ends)
    return bounds, running @ (amounts_mg / infusions.duration_min).T


def _mode_amounts_at_bounds(
    bounds: FloatArray, alpha: FloatArray, settles: FloatArray
) -> FloatArray:
    """Each mode's amount at each segment start, from none before the first."""
    at_bounds = np.zeros_like(settles)
    for k, length_min in enumerate(np.diff(bounds)):
        kept = np.exp(-alpha * length_min)
        at_bounds[k + 1] = settles[k] + (at_bounds[k] - settles[k]) * kept
    return at_bounds


def _evaluate(
    bounds: FloatArray,
    decay_per_min: FloatArray,
    coefficients: FloatArray,
    times_min: FloatArray,
    out: FloatArray,
) -> None:
    """``out[:, t] = sum_j coefficients[k, :, j] * exp(-decay_per_min_j * delta)``, with ``k``
    the segment of time ``t`` and ``delta`` the minutes since that segment began."""
    segment = np.searchsorted(bounds, times_min, side="right") - 1
    first = int(np.searchsorted(segment, 0))
    out[:, :first] = 0.0  # no drug given yet
    if first == times_min.shape[0]:
        return
    offsets, column = np.unique(times_min[first:] - bounds[segment[first:]], return_inverse=True)
    decay = _decay_table(decay_per_min, offsets).transpose(1, 2, 0)  # (N, modes, offsets), a view

    starts = first + np.searchsorted(segment[first:], np.unique(segment[first:]))
    stops = np.append(starts[1:], times_min.shape[0])
    # Segments sampled at the same offsets share one batched matrix product.
    groups: defaultdict[bytes, list[int]] = defaultdict(list)
    for lo, hi in zip(starts.tolist(), stops.tolist(), strict=True):
        groups[column[lo - first : hi - first].tobytes()].append(lo)
    lengths = dict(zip(starts.tolist(), (stops - starts).tolist(), strict=True))
    for los in groups.values():
        length = lengths[los[0]]
        columns = _consecutive(column[los[0] - first : los[0] - first + length])
        rows = coefficients[segment[los]].transpose(1, 0, 2)  # (N, segments, modes)
        modes = rows.shape[2] if rows[:, :, -1].any() else -1  # no infusion running: no level
        _matmul_into(out, los, length, rows[:, :, :modes], decay[:, :modes, columns])


def _matmul_into(
    out: FloatArray, los: list[int], length: int, rows: FloatArray, decay: FloatArray
) -> None:
    """``rows @ decay`` into ``out``'s columns ``lo : lo + length`` for each ``lo``.

    Evenly spaced spans (one per infusion of a regular course) are a strided view
    of ``out``, so the product lands in place; otherwise each span is copied.
    """
    spacing = np.diff(los)
    if spacing.size == 0 or np.all(spacing == spacing[0]):
        step = int(spacing[0]) if spacing.size else length
        row, item = out.strides
        spans = np.lib.stride_tricks.as_strided(
            out[:, los[0] :], (out.shape[0], len(los), length), (row, step * item, item)
        )
        np.matmul(rows, decay, out=spans)
        # Where an infusion has just started, its level and transient cancel, and
        # round-off may leave a hair below zero.
        np.maximum(spans, 0.0, out=spans)
        return
    values = np.maximum(np.matmul(rows, decay), 0.0)
    for index, lo in enumerate(los):
        out[:, lo : lo + length] = values[:, index, :]


def _decay_table(decay_per_min: FloatArray, offsets: FloatArray) -> FloatArray:
    """``exp(-decay_per_min * offset)`` as ``(offsets, N, modes)``.

    ``np.exp`` costs ~10 ns here and a population needs millions, so evenly
    spaced offsets (the usual sampling grid) are filled by doubling instead: the
    next block of rows is the rows so far times one exponential. Each entry is
    then a product of at most log2(offsets) + 1 exponentials: relative error
    ~1e-14, plus the grid tolerance of ``_evenly_spaced`` times the rate.
    """
    table = np.empty((offsets.shape[0], *decay_per_min.shape))
    if not _evenly_spaced(offsets):
        np.multiply.outer(-offsets, decay_per_min, out=table)
        return np.exp(table, out=table)
    step = (offsets[-1] - offsets[0]) / max(offsets.shape[0] - 1, 1)
    np.exp(-decay_per_min * offsets[0], out=table[0])
    filled = 1
    while filled < offsets.shape[0]:
        block = min(filled, offsets.shape[0] - filled)
        factor = np.exp(-decay_per_min * (filled * step))
        np.multiply(table[:block], factor, out=table[filled : filled + block])
        filled += block
    return table


def _evenly_spaced(offsets: FloatArray) -> bool:
    """True when every offset is within 1e-9 min of a regular grid: far below any
    clock, yet loose enough for grids built in floating point (start + k * step)."""
    grid = np.linspace(offsets[0], offsets[-1], offsets.shape[0])
    return bool(np.all(np.abs(offsets - grid) <= 1e-9))


def _consecutive(indices: NDArray[np.intp]) -> slice | NDArray[np.intp]:
    """A slice when the indices are consecutive, so the product reads a view, not a copy."""
    if indices.size and np.all(np.diff(indices) == 1):
        return slice(int(indices[0]), int(indices[-1]) + 1)
    return indices
