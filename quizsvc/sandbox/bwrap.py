"""What the sandbox sees: the host paths it needs, and the bubblewrap command line.

Nothing of the project is mounted: only /usr (and the /lib, /bin links into it), the Python
installation, the NumPy package, ld.so.cache and a private staging copy of the fork server's
few standalone files (the ``inside`` package). The environment is cleared. A tiny tmpfs is the
only writable place.
"""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

INSIDE = Path(__file__).with_name("inside")
LIB, SITE = "/opt/quizsvc/lib", "/opt/quizsvc/site"
TMP = "/tmp"
ROOT_LINKS = ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
# Kept by the fork server (never by a child, which switches uid and loses them all): switch
# uid, hand the job dir to that uid, and wipe whatever the child left behind.
SERVER_CAPS = ("CAP_SETUID", "CAP_SETGID", "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER",
               "CAP_KILL")


def thread_env() -> dict[str, str]:
    # Must be set before NumPy is imported: a BLAS thread pool in a fork server hangs children.
    threads = {k: "1" for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
                                "NUMEXPR_NUM_THREADS", "VECLIB_MAXIMUM_THREADS")}
    return {"PATH": "/usr/bin:/bin", "LC_ALL": "C.UTF-8", "PYTHONIOENCODING": "utf-8",
            "PYTHONDONTWRITEBYTECODE": "1", "PYTHONHASHSEED": "0", **threads}


@dataclass(frozen=True)
class Layout:
    python: str  # the real interpreter (not the venv's symlink: no site-packages at all)
    prefix: str  # its installation (stdlib, lib-dynload, libpython)
    numpy_dir: str
    numpy_libs: str | None  # the wheel's vendored OpenBLAS, found through $ORIGIN/../../
    staging: str  # holds a private copy of the inside package: code only, never data

    @property
    def site_dir(self) -> str:
        return str(Path(self.numpy_dir).parent)


@cache
def layout() -> Layout:
    import numpy

    numpy_dir = os.path.realpath(os.path.dirname(numpy.__file__))
    libs = os.path.join(os.path.dirname(numpy_dir), "numpy.libs")
    python = os.path.realpath(sys.executable)
    prefix = os.path.realpath(sys.base_prefix)
    return Layout(python, prefix, numpy_dir, libs if os.path.isdir(libs) else None, _stage())


def _stage() -> str:
    """Copy the inside package once per process: the sandbox binds this, not the source tree."""
    staging = tempfile.mkdtemp(prefix="quizsvc-sandbox-lib-")
    package = os.path.join(staging, "inside")
    os.mkdir(package)
    for path in INSIDE.glob("*.py"):
        shutil.copy(path, os.path.join(package, path.name))
        os.chmod(os.path.join(package, path.name), 0o644)
    os.chmod(package, 0o755)
    os.chmod(staging, 0o755)
    atexit.register(shutil.rmtree, staging, True)
    return staging


def _ancestors(path: str) -> list[str]:
    parts = Path(path).parents
    return [str(p) for p in reversed(parts) if str(p) != "/"]


def _launch(lib: str) -> str:
    """``python -c`` code that starts the fork server from the staged package in ``lib``."""
    return f"import sys; sys.path.insert(0, {lib!r}); from inside.server import main; main()"


def server_command(lay: Layout) -> list[str]:
    return [lay.python, "-I", "-S", "-c", _launch(LIB)]


def bwrap_argv(bwrap: str, lay: Layout, tmp_bytes: int, command: list[str]) -> list[str]:
    argv = [bwrap, "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts",
            "--unshare-cgroup-try", "--die-with-parent", "--new-session", "--clearenv",
            "--cap-drop", "ALL"]
    for cap in SERVER_CAPS:
        argv += ["--cap-add", cap]
    for key, value in thread_env().items():
        argv += ["--setenv", key, value]
    argv += ["--ro-bind", "/usr", "/usr"]
    for link in ROOT_LINKS:
        if os.path.islink(link):
            argv += ["--symlink", os.readlink(link), link]
        elif os.path.isdir(link):
            argv += ["--ro-bind", link, link]
    # bwrap creates missing parents of mount points as 0700: children could not traverse them.
    for folder in ("/etc", "/opt", "/opt/quizsvc", SITE):
        argv += ["--perms", "0755", "--dir", folder]
    argv += ["--ro-bind-try", "/etc/ld.so.cache", "/etc/ld.so.cache"]
    if not lay.prefix.startswith("/usr/"):
        # Ancestors such as /root are 0700 on the host; in here they only need to be traversed.
        for parent in _ancestors(lay.prefix):
            argv += ["--perms", "0755", "--dir", parent]
        argv += ["--ro-bind", lay.prefix, lay.prefix]
    argv += ["--ro-bind", lay.staging, LIB, "--ro-bind", lay.numpy_dir, f"{SITE}/numpy"]
    if lay.numpy_libs:
        argv += ["--ro-bind", lay.numpy_libs, f"{SITE}/numpy.libs"]
    argv += ["--proc", "/proc", "--dev", "/dev", "--size", str(tmp_bytes), "--tmpfs", TMP,
             "--chdir", TMP, *command]
    return argv


def fallback_argv(lay: Layout) -> list[str]:
    return [lay.python, "-I", "-S", "-c", _launch(lay.staging)]


def landlock_paths(lay: Layout, in_bwrap: bool) -> dict[str, list[str]]:
    """Read-only and writable (besides the temp dir) paths for the children's Landlock rules."""
    system = ["/usr", *[p for p in ROOT_LINKS if os.path.isdir(p) and not os.path.islink(p)],
              "/etc/ld.so.cache", "/dev/urandom", lay.prefix]
    own = ["/opt/quizsvc"] if in_bwrap else [lay.staging, lay.numpy_dir, *(
        [lay.numpy_libs] if lay.numpy_libs else [])]
    return {"read_only": system + own, "writable": ["/dev/null"]}
