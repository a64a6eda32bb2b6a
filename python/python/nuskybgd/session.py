"""A save file loaded into the native spectral engine, with numpy arrays out.

Data sets are named by their number (1-based, as XSPEC numbers them); sources by name
(``'apbgd'``, ``'source 1'`` for the unnamed one) or 0-based index; components of a source
by name (``'lorentz_3'``) or 0-based index; parameters by XSPEC reference (``'p3'`` for the
unnamed source, ``'apbgd:p2'``)::

    s = Session('bgdparams.xcm')
    s.statistic()                      # at the file's values
    report = s.fit()                   # the native fitter, as xcm-fit runs it
    d = s.data(1)                      # energies, counts and errors of spectrum 1
    m = s.model(1, per='component')    # predicted counts per source and component
"""

import numpy as np

from . import _native


class Session:
    """An XSPEC save file (data, responses, models, parameters) in the spectral engine."""

    def __init__(self, path):
        self._s = _native.Session(str(path))

    # --- what is loaded -------------------------------------------------------------
    @property
    def path(self):
        """The save file the session was loaded from."""
        return self._s.path

    @property
    def statistic_name(self):
        """``'chi'`` or ``'cstat'``; assignable."""
        return self._s.statistic_name

    @statistic_name.setter
    def statistic_name(self, name):
        self._s.statistic_name = name

    def datasets(self):
        """The data sets: number, group, file, instrume, exposure (s), channels, bins."""
        return self._s.datasets()

    def sources(self):
        """Source names, in order."""
        return self._s.sources()

    def components(self, source):
        """Component names of ``source`` (name or 0-based index)."""
        return self._s.components(self._source(source))

    def parameters(self):
        """Every parameter as a dict: source, index (pN), ref, name, value, frozen, free,
        link (text or None), delta, min, bot, top, max."""
        return self._s.parameters()

    def values(self):
        """{ref: value} of every parameter."""
        return {p["ref"]: p["value"] for p in self.parameters()}

    # --- changing it ----------------------------------------------------------------
    def set(self, par, value):
        """Set parameter ``par`` (``'p3'``, ``'apbgd:p2'``) to ``value``."""
        self._s.set(str(par), float(value))

    def freeze(self, par):
        """Freeze parameter ``par``."""
        self._s.freeze(str(par), True)

    def thaw(self, par):
        """Let parameter ``par`` vary in fits."""
        self._s.freeze(str(par), False)

    def fit(self, force=False, niter=None):
        """Fit the free parameters (the native fitter with the save file's method and
        delta, as ``xcm-fit`` runs it). Returns a dict: statistic, dof, converged,
        iterations, summary, notes, table (the CLI's parameter table), free (refs) and
        sigma (1-sigma errors). Not converging raises NuskybgdError unless ``force``."""
        return self._s.fit(force, niter)

    def save(self, path, clobber=False):
        """Write the current state as an XSPEC save file."""
        self._s.save(str(path), clobber)

    # --- numbers --------------------------------------------------------------------
    def statistic(self):
        """The fit statistic at the current values."""
        return self._s.statistic()

    def dof(self):
        """Noticed bins less free parameters."""
        return self._s.dof()

    def n_bins(self):
        """Noticed bins over all data sets."""
        return self._s.n_bins()

    def data(self, spectrum, min_sig=None, max_bins=10):
        """Spectrum ``spectrum`` (number) in its plotted bins, as a dict of numpy arrays:
        e_lo, e_hi, energy (centre), de (half width), counts (background subtracted),
        error, rate and rate_error (counts/s/keV), model (total predicted counts), and
        exposure. ``min_sig`` rebins for display as XSPEC's ``setplot rebin``."""
        d = self._s.plot_data(self._dataset(spectrum), min_sig, max_bins)
        out = {k: d[k] for k in ("e_lo", "e_hi", "counts", "variance", "model", "exposure")}
        width = d["e_hi"] - d["e_lo"]
        out["energy"] = 0.5 * (d["e_lo"] + d["e_hi"])
        out["de"] = 0.5 * width
        out["error"] = np.sqrt(d["variance"])
        scale = d["exposure"] * width
        out["rate"] = d["counts"] / scale
        out["rate_error"] = out["error"] / scale
        out["model_rate"] = d["model"] / scale
        out["sources"] = d["sources"]
        return out

    def model(self, spectrum, per="source", space="energy", min_sig=None, max_bins=10):
        """Predicted counts of spectrum ``spectrum``: a dict {name: numpy array}, per
        source (``per='source'``) or per component (``per='component'``, names
        ``'source/component'``; sources that are not plain sums give their total).
        ``space='energy'`` gives the plotted bins (those of :meth:`data`, rebinned alike);
        ``space='channel'`` every channel, ungrouped."""
        di = self._dataset(spectrum)
        out = {}
        for si, name in enumerate(self.sources()):
            if per == "component":
                comps = self._s.components(si)
                try:
                    for ci, c in enumerate(comps):
                        out[f"{name}/{c}"] = self._counts(di, si, ci, space)
                    continue
                except _native.NuskybgdError:
                    pass
            out[name] = self._counts(di, si, None, space)
        if space == "energy" and min_sig is not None:
            edges = self._s.plot_data(di, None, 10)["e_lo"]
            rebinned = self._s.plot_data(di, min_sig, max_bins)["e_lo"]
            starts = np.searchsorted(edges, rebinned)
            out = {k: np.add.reduceat(v, starts) if len(v) else v for k, v in out.items()}
        return out

    def channel_energies(self, spectrum):
        """(e_lo, e_hi) in keV of every channel of spectrum ``spectrum``."""
        return self._s.channel_energies(self._dataset(spectrum))

    def channel_data(self, spectrum):
        """Observed counts of every channel of spectrum ``spectrum``."""
        return self._s.channel_data(self._dataset(spectrum))

    # --- helpers --------------------------------------------------------------------
    def _counts(self, di, si, ci, space):
        if space == "channel":
            return self._s.channel_counts(di, si, ci)
        if space == "energy":
            return self._s.bin_counts(di, si, ci)
        raise ValueError(f"space={space!r}: use 'energy' or 'channel'")

    def _dataset(self, number):
        for k, d in enumerate(self._s.datasets()):
            if d["number"] == number:
                return k
        raise IndexError(f"no data set {number} in {self.path}")

    def _source(self, source):
        if isinstance(source, int):
            return source
        names = self.sources()
        if source not in names:
            raise KeyError(f"no source {source!r}; the sources are {names}")
        return names.index(source)

    def __repr__(self):
        return f"Session({str(self.path)!r}: {len(self.datasets())} spectra, sources {self.sources()})"
