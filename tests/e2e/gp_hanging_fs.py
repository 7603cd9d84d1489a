"""A FUSE file system whose free-space query never answers, as a network mount does once its
server has gone: `python3 gp_hanging_fs.py MOUNTPOINT` mounts it (in the foreground, until it is
killed or unmounted; it is killed with the process that started it). It holds one empty folder,
`root`, and answers everything else at once: only statfs (what statvfs(3) and `df` ask) waits,
for ever. Only its own user (the tests' and the node's) reaches it."""
import ctypes
import errno
import signal
import stat
import sys
import threading
import time

from fusepy import FUSE, FuseOSError, Operations

FOLDERS = {"/", "/root"}


class HangingStatfs(Operations):
    def __init__(self):
        self.never = threading.Event()
        self.now = time.time()

    def getattr(self, path, fh=None):
        if path not in FOLDERS:
            raise FuseOSError(errno.ENOENT)
        return {"st_mode": stat.S_IFDIR | 0o755, "st_nlink": 2, "st_uid": 0, "st_gid": 0,
                "st_size": 0, "st_atime": self.now, "st_mtime": self.now, "st_ctime": self.now}

    def readdir(self, path, fh):
        if path not in FOLDERS:
            raise FuseOSError(errno.ENOENT)
        return [".", ".."] + (["root"] if path == "/" else [])

    def statfs(self, path):
        self.never.wait()
        return {}


if __name__ == "__main__":
    # Ends with the test that started it, even one killed: a daemon left behind would keep its
    # mount answering nothing (scripts/test unmounts what such runs leave).
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    # One thread per request: a statfs waiting holds its own thread only.
    FUSE(HangingStatfs(), sys.argv[1], foreground=True, nothreads=False)
