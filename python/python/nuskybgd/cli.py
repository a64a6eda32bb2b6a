"""The command line's tasks as functions, with the port's calling convention: a list whose
first element is the task name, then the task's ``key=value`` arguments::

    mkinstrmap(['mkinstrmap', 'nu90201039002A01_cl.evt'])
    aspecthist(['aspecthist', 'nu90201039002A_det1.fits',
                'gtifile=nu90201039002A01_gti.fits', 'out=aspecthistA.fits'])

Each runs the same library code as the ``nuskybgd`` command and returns None; an error
raises :class:`nuskybgd.NuskybgdError` with the command line's one-line message. Task names
with a hyphen have an underscore here (``xcm-fit`` is ``xcm_fit``); the list may also start
with the hyphenated name. ``main`` is the ``nuskybgd`` console script.
"""

import sys

from . import _native
from ._native import NuskybgdError

#: Task names of the command line, in its help's order.
TASKS = [name for name, _ in _native.tasks()]


def _runner(task):
    def run(args=None):
        if args is None:
            args = [task]
        if isinstance(args, str):
            raise TypeError(f"{task}: give a list of arguments, such as ['{task}', ...]")
        args = [str(a) for a in args]
        if not args or args[0] not in (task, task.replace("-", "_")):
            args = [task] + args
        else:
            args = [task] + args[1:]
        _native.run(args)

    run.__name__ = run.__qualname__ = task.replace("-", "_")
    summary = dict(_native.tasks()).get(task, "")
    run.__doc__ = (
        f"nuskybgd {task}: {summary}.\n\n"
        f"Call as {run.__name__}(['{task}', 'key=value', ...]); "
        f"{run.__name__}(['{task}', '--help']) prints the usage. "
        "Raises NuskybgdError on failure."
    )
    return run


for _task in TASKS:
    globals()[_task.replace("-", "_")] = _runner(_task)
del _task


def _console_script():
    """The ``nuskybgd`` console script of this environment (what script links point at)."""
    import os
    import shutil

    here = os.path.join(os.path.dirname(sys.executable), "nuskybgd")
    found = here if os.path.isfile(here) else shutil.which("nuskybgd")
    if not found:
        raise NuskybgdError("install-scripts: no nuskybgd console script found (pip install nuskybgd)")
    return os.path.realpath(found)


def install_scripts(args=None):
    """nuskybgd install-scripts DIR [clobber=yes]: links named as the originals' scripts
    (phafix.py, getspecnoarf.py, ...) to the ``nuskybgd`` console script, in DIR.
    Raises NuskybgdError on failure."""
    args = [str(a) for a in (args or ["install-scripts"])]
    if args and args[0] in ("install-scripts", "install_scripts"):
        args = args[1:]
    if not args or "--help" in args or "-h" in args:
        _native.run(["install-scripts", "--help"])
        return
    for line in _native.install_scripts(["install-scripts"] + args, _console_script()):
        print(line)


def run_task(args):
    """Run any task: ``run_task(['fit', 'bgdinfo.json', 'savefile=bgd'])``."""
    args = [str(a) for a in args]
    if not args:
        raise NuskybgdError("missing argument TASK")
    _native.run([args[0].replace("_", "-") if args[0] not in TASKS else args[0]] + args[1:])


def main(argv=None):
    """The ``nuskybgd`` command: ``nuskybgd TASK [key=value ...]``; exits with its code."""
    if argv is None:
        argv = sys.argv
    sys.stdout.flush()
    code = _native.main([str(a) for a in argv])
    sys.exit(code)


__all__ = ["TASKS", "NuskybgdError", "run_task", "main"] + [t.replace("-", "_") for t in TASKS]
