"""Closing a SQLite store while other threads use it (a push sender, waitress workers): each
thread goes on with a connection of its own; none is closed under it. Closing a connection that
another thread is using crashes CPython's sqlite3, so the check runs in a child process."""
from __future__ import annotations

import subprocess
import sys
import textwrap


def test_closing_the_store_never_closes_a_connection_another_thread_is_using(tmp_path):
    script = textwrap.dedent(f"""
        import threading
        from mockserver.core.store_sqlite import SqliteStore

        store = SqliteStore({str(tmp_path / "state.db")!r})
        stop, failures, calls = threading.Event(), [], [0]

        def work():
            while not stop.is_set():
                try:
                    store.put("ns", "k", {{"v": "x" * 500}})
                    store.get("ns", "k")
                    calls[0] += 1
                except Exception as exc:
                    failures.append(repr(exc))
                    return

        threads = [threading.Thread(target=work) for _ in range(4)]
        for thread in threads:
            thread.start()
        for _ in range(300):
            store.close()
        stop.set()
        for thread in threads:
            thread.join()
        print("failures", failures[:3], "calls", calls[0] > 0)
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, (done.returncode, done.stderr[-2000:])
    assert done.stdout.strip() == "failures [] calls True", done.stdout
