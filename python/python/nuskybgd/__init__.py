"""nuskybgd: NuSTAR sky-background modelling, from Python.

``nuskybgd.cli`` has one function per task of the command line, called as the port's are::

    from nuskybgd.cli import mkinstrmap, fit
    mkinstrmap(['mkinstrmap', 'nu90201039002A01_cl.evt'])
    fit(['fit', 'bgdinfo.json', 'savefile=IC342bgd'])

``nuskybgd.Session`` loads an XSPEC save file into the spectral engine (parameters, fit,
statistic, predicted counts as numpy arrays). Errors raise ``NuskybgdError``.
"""

from ._native import NuskybgdError, __version__
from . import cli
from .session import Session

__all__ = ["NuskybgdError", "Session", "__version__"]
