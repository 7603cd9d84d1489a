"""File bodies are streamed: a file much larger than the body limit passes through without the
server's memory growing with it; a slow reader is not cut by the write timeout (restarted per
piece), and a reader that stops is dropped after it."""
import hashlib
import os
import socket
import time
import uuid

from gp_downloads import DownloadsCase, insert_request
from gp_e2e import log_events

BIG = 64 << 20


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS for %d" % pid)


class Streaming(DownloadsCase):
    # A short write timeout, so that a transfer longer than it shows the timer restarting; 2 s
    # rather than 1, so that a reader of these tests that the machine holds up for a second
    # under load is not taken for one that stopped.
    server_args = DownloadsCase.server_args + ["--set", "http.write_timeout_s=2"]

    def test_a_large_file_is_streamed_without_growing_the_server(self):
        big_dir = os.path.join(self.srv.storage, "silver", "ddh", "big", "main", "v1")
        os.makedirs(big_dir)
        digest = hashlib.sha256()
        with open(os.path.join(big_dir, "big.tif"), "wb") as f:
            block = os.urandom(1 << 20)
            for i in range(BIG >> 20):
                chunk = block[i:] + block[:i]
                digest.update(chunk)
                f.write(chunk)
        rid = insert_request(self.db.url, "ddh", "raster", "completed",
                             {"dir": big_dir, "download": "big.tif"})
        self.get(self.download(rid), method="HEAD")  # warm up: row cached, buffers allocated
        pid = self.srv.proc.pid
        before = rss_kib(pid)
        got = hashlib.sha256()
        received = 0
        started = time.monotonic()
        with socket.create_connection(("127.0.0.1", self.srv.port), timeout=10) as s:
            s.sendall(("GET %s HTTP/1.1\r\nHost: t\r\nX-Platform-API-Key: %s\r\n"
                       "Connection: close\r\n\r\n" % (self.download(rid), self.keys["internal"])
                       ).encode())
            head = b""
            while b"\r\n\r\n" not in head:
                head += s.recv(65536)
            head, rest = head.split(b"\r\n\r\n", 1)
            self.assertTrue(head.startswith(b"HTTP/1.1 200"), head)
            self.assertIn(b"Content-Length: %d" % BIG, head)
            got.update(rest)
            received += len(rest)
            peak = before
            while True:
                data = s.recv(1 << 20)
                if not data:
                    break
                got.update(data)
                received += len(data)
                if received % (8 << 20) < len(data):
                    peak = max(peak, rss_kib(pid))
        elapsed = time.monotonic() - started
        after = rss_kib(pid)
        self.assertEqual(received, BIG)
        self.assertEqual(got.hexdigest(), digest.hexdigest())
        grown_mib = (max(peak, after) - before) / 1024
        print("streamed %d MiB in %.2f s; server RSS %d -> peak %d -> %d KiB" % (
            BIG >> 20, elapsed, before, peak, after))
        self.assertLess(grown_mib, 16, "server RSS grew by %.1f MiB" % grown_mib)

    def test_a_slow_reader_is_not_cut_by_the_write_timeout(self):
        # write_timeout is 2 s here; a reader taking the 10 MiB file at under 3 MiB/s keeps the
        # server writing for well over 2 s (more than the socket buffers can absorb).
        path = self.files("wide.tif")
        with open(os.path.join(self.coll_dir, "wide.tif"), "rb") as f:
            want = f.read()
        cid = "slow-reader-" + uuid.uuid4().hex[:8]
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
        s.settimeout(10)
        s.connect(("127.0.0.1", self.srv.port))
        data = b""
        try:
            s.sendall(("GET %s HTTP/1.1\r\nHost: t\r\nX-Platform-API-Key: %s\r\n"
                       "X-Correlation-Id: %s\r\nConnection: close\r\n\r\n"
                       % (path, self.keys["internal"], cid)).encode())
            while True:
                piece = s.recv(128 * 1024)
                if not piece:
                    break
                data += piece
                time.sleep(0.04)
        finally:
            s.close()
        head, _, got = data.partition(b"\r\n\r\n")
        self.assertTrue(head.startswith(b"HTTP/1.1 200"), head)
        self.assertEqual(len(got), len(want))
        self.assertTrue(got == want)
        self.srv.wait_log("cid=" + cid)
        # The call's log line is written once the answer is: its time includes the transfer.
        took = [e for e in log_events(self.srv.output(), "http") if e["cid"] == cid]
        self.assertEqual([(e["method"], e["path"], e["status"]) for e in took],
                         [("GET", path, 200)])
        self.assertGreater(took[0]["duration_ms"], 2000.0)

    def test_a_reader_that_stops_is_dropped(self):
        path = self.files("wide.tif")
        want_size = os.path.getsize(os.path.join(self.coll_dir, "wide.tif"))
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
        s.settimeout(10)
        s.connect(("127.0.0.1", self.srv.port))
        try:
            s.sendall(("GET %s HTTP/1.1\r\nHost: t\r\nX-Platform-API-Key: %s\r\n"
                       "Connection: close\r\n\r\n" % (path, self.keys["internal"])).encode())
            time.sleep(5)  # 2 s without progress closes the connection
            received = 0
            try:
                while True:
                    data = s.recv(1 << 20)
                    if not data:
                        break
                    received += len(data)
            except ConnectionResetError:
                pass
        finally:
            s.close()
        self.assertLess(received, want_size)
