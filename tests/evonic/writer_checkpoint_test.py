#!/usr/bin/env python3
"""Evonic-like writer process against the exporter's reader (evonic_refresh_probe).

The writer keeps inserting sessions into a WAL chat.db and runs PRAGMA wal_checkpoint(TRUNCATE)
after each insert; every checkpoint must report busy=0 (the reader never keeps a read transaction
between refreshes), and each inserted session must show up in the reader's next Refresh().

Run as root, the writer runs as `daemon` (Evonic, owner of the files) and the reader as `nobody`,
in two layouts: files group-writable by Evonic's group with the reader in that group (the
recommended deployment), and files readable only, in a folder writable by all. Each layout also
checks that a reader started while Evonic has the database closed does not create -wal/-shm files
that would lock Evonic's writes out. Run as non-root, both processes keep the current user.

Usage: writer_checkpoint_test.py --probe PATH      (the writer role: --writer ROOT)
"""

import argparse
import os
import pwd
import grp
import queue
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

AGENT = "data-analyst"
DEADLINE_S = 20.0


def writer_main(root):
    """The writer role: commands on stdin, one answer line each."""
    chat_path = os.path.join(root, "agents", AGENT, "chat.db")
    evonic_path = os.path.join(root, "shared", "db", "evonic.db")
    conns = {}

    def open_all():
        for name, path in (("evonic", evonic_path), ("chat", chat_path)):
            # A short busy timeout: a reader holding a read transaction makes each checkpoint wait
            # this long and then report busy=1.
            conn = sqlite3.connect(path, timeout=0.5, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conns[name] = conn

    def close_all():
        for conn in conns.values():
            conn.close()
        conns.clear()

    def insert(session_id):
        try:
            conns["chat"].execute(
                "INSERT INTO chat_sessions (id, agent_id, external_user_id) VALUES (?, ?, ?)",
                (session_id, AGENT, session_id + "@example.com"))
            busy, log, done = conns["chat"].execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            return "ckpt %s busy=%d log=%d checkpointed=%d" % (session_id, busy, log, done)
        except sqlite3.Error as e:
            return "error %s %s" % (session_id, str(e).replace("\n", " "))

    open_all()
    conns["evonic"].execute(
        "CREATE TABLE IF NOT EXISTS agents (id TEXT PRIMARY KEY, name TEXT NOT NULL, "
        "sandbox_enabled BOOLEAN DEFAULT 0, enabled BOOLEAN DEFAULT 1)")
    conns["evonic"].execute(
        "INSERT OR REPLACE INTO agents (id, name, sandbox_enabled) VALUES (?, 'Data Analyst', 1)",
        (AGENT,))
    conns["chat"].execute(
        "CREATE TABLE IF NOT EXISTS chat_sessions (id TEXT PRIMARY KEY, agent_id TEXT NOT NULL, "
        "channel_id TEXT, external_user_id TEXT NOT NULL, bot_enabled BOOLEAN DEFAULT 1, "
        "archived BOOLEAN DEFAULT 0, created_at TIMESTAMP, updated_at TIMESTAMP)")
    print("ready", flush=True)
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        if words[0] == "insert":
            print(insert(words[1]), flush=True)
        elif words[0] == "burst":
            for i in range(int(words[2])):
                print(insert("%s-%06d" % (words[1], i)), flush=True)
            print("burst-done", flush=True)
        elif words[0] == "close":
            close_all()
            print("closed", flush=True)
        elif words[0] == "open":
            open_all()
            print("opened", flush=True)
        elif words[0] == "quit":
            break
    close_all()


class Process:
    """A child with line-based stdin/stdout; answers are awaited with a deadline."""

    def __init__(self, argv, stderr_path):
        self.stderr = open(stderr_path, "w")
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self.stderr, text=True, bufsize=1)
        self.lines = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self):
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def send(self, text):
        self.proc.stdin.write(text + "\n")
        self.proc.stdin.flush()

    def answer(self):
        try:
            line = self.lines.get(timeout=DEADLINE_S)
        except queue.Empty:
            raise AssertionError("no answer within %.0f s from %s" % (DEADLINE_S, self.proc.args))
        if line is None:
            raise AssertionError("%s exited (%s)" % (self.proc.args, self.proc.wait()))
        return line

    def ask(self, text):
        self.send(text)
        return self.answer()

    def stop(self, command="quit"):
        try:
            self.send(command)
            self.proc.stdin.close()
        except BrokenPipeError:
            pass
        try:
            self.proc.wait(timeout=DEADLINE_S)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.stderr.close()


def fields(line):
    return dict(word.split("=", 1) for word in line.split() if "=" in word)


def check_ckpt(line, failures):
    if not line.startswith("ckpt ") or fields(line).get("busy") != "0":
        failures.append(line)


def as_user(user, groups):
    if user is None:
        return []
    argv = ["setpriv", "--reuid=" + user, "--regid=" + pwd.getpwnam(user).pw_gid.__str__()]
    return argv + (["--groups=" + ",".join(groups)] if groups else ["--clear-groups"])


def run_layout(layout, probe, logdir):
    root_user = os.geteuid() == 0
    evonic_user = "daemon" if root_user else None
    reader_user = "nobody" if root_user else None
    reader_groups = ["daemon"] if layout == "group-writable" else []

    root = tempfile.mkdtemp(prefix="evonic-writer-")
    os.chmod(root, 0o755)
    folders = [os.path.join(root, "shared", "db"), os.path.join(root, "agents", AGENT)]
    for folder in folders:
        os.makedirs(folder)
    if root_user:
        uid, gid = pwd.getpwnam(evonic_user).pw_uid, grp.getgrnam("daemon").gr_gid
        for dirpath, _, _ in os.walk(root):
            os.chown(dirpath, uid, gid)
        for folder in folders:
            # Group-writable (set-group-ID, so new files keep Evonic's group) for the group layout;
            # writable by all, files readable only, for the other.
            os.chmod(folder, 0o2775 if layout == "group-writable" else 0o777)
    umask = "0002" if layout == "group-writable" else "0022"
    python = "/usr/bin/python3" if root_user and os.path.exists("/usr/bin/python3") else sys.executable
    writer_argv = as_user(evonic_user, []) + [
        "sh", "-c", 'umask %s && exec "$0" "$@"' % umask, python, os.path.abspath(__file__),
        "--writer", root]
    reader_argv = as_user(reader_user, reader_groups) + [probe, root]

    failures = []
    writer = Process(writer_argv, os.path.join(logdir, layout + "-writer.log"))
    assert writer.answer() == "ready"
    if root_user and layout == "group-writable":
        # SQLite makes database files 0644 whatever the umask; Evonic's group gets write access
        # here by hand, and SQLite gives new -wal/-shm files the database file's mode.
        for folder in folders:
            for name in os.listdir(folder):
                os.chmod(os.path.join(folder, name), 0o664)
    reader = Process(reader_argv, os.path.join(logdir, layout + "-reader-1.log"))
    try:
        # Lockstep: each checkpoint between two refreshes, each insert seen by the next refresh.
        for i in range(50):
            sid = "%s-step%04d" % (AGENT, i)
            check_ckpt(writer.ask("insert " + sid), failures)
            got = fields(reader.ask("refresh " + sid))
            if got.get("found") != "1" or got.get("db_up") != "1":
                failures.append("lockstep: %s not in the next refresh: %s" % (sid, got))
            if len(failures) >= 5:
                raise AssertionError("stopping after 5 failures")

        # Concurrent: the writer inserts and checkpoints as fast as it can while the reader
        # refreshes back to back.
        writer.send("burst %s-burst 300" % AGENT)
        refreshes, last = 0, None
        deadline = time.monotonic() + DEADLINE_S * 3
        while True:
            line = writer.answer()
            if line == "burst-done":
                break
            check_ckpt(line, failures)
            last = line.split()[1]
            reader.ask("refresh " + last)
            refreshes += 1
            if len(failures) >= 5:
                raise AssertionError("stopping after 5 failures")
            if time.monotonic() > deadline:
                raise AssertionError("burst did not finish in time")
        got = fields(reader.ask("refresh " + last))
        if got.get("found") != "1":
            failures.append("burst: last session %s missing after the burst" % last)
        print("%s: 50 lockstep + 300 concurrent checkpoints, %d concurrent refreshes" %
              (layout, refreshes))

        if root_user:
            # Evonic closes the database; a reader starting now must not create -wal/-shm files.
            assert writer.ask("close") == "closed"
            reader.stop()
            assert writer.ask("open") == "opened"
            assert writer.ask("close") == "closed"  # last connection: Evonic removes -wal/-shm
            chat = os.path.join(root, "agents", AGENT, "chat.db")
            for suffix in ("-wal", "-shm"):
                assert not os.path.exists(chat + suffix), "Evonic left " + chat + suffix
            reader = Process(reader_argv, os.path.join(logdir, layout + "-reader-2.log"))
            got = fields(reader.ask("refresh " + last))
            if got.get("found") != "1" or got.get("db_up") != "1":
                failures.append("closed database: not read: %s" % got)
            created = [s for s in ("-wal", "-shm") if os.path.exists(chat + s) and
                       os.stat(chat + s).st_uid == pwd.getpwnam(reader_user).pw_uid]
            print("%s: closed database read; side files created by the reader: %s" %
                  (layout, created or "none"))
            if layout == "group-writable" and created:
                mode = os.stat(chat + "-shm").st_mode & 0o777
                if mode != 0o664 or os.stat(chat + "-shm").st_gid != grp.getgrnam("daemon").gr_gid:
                    failures.append("reader-created -shm not writable by Evonic's group")
            if layout != "group-writable" and created:
                failures.append("reader created %s next to a database it may not" % created)
            assert writer.ask("open") == "opened"
            sid = AGENT + "-after-reopen"
            line = writer.ask("insert " + sid)  # fails if the reader's side files lock Evonic out
            check_ckpt(line, failures)
            if fields(reader.ask("refresh " + sid)).get("found") != "1":
                failures.append("after reopen: %s not in the next refresh" % sid)
    except AssertionError as e:
        failures.append(str(e))
    finally:
        reader.stop()
        writer.stop()
    for name in os.listdir(logdir):
        with open(os.path.join(logdir, name)) as f:
            if "@example.com" in f.read():
                failures.append("%s contains an external user id" % name)
    shutil.rmtree(root, ignore_errors=True)
    return failures


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--probe")
    parser.add_argument("--writer")
    args = parser.parse_args()
    if args.writer:
        writer_main(args.writer)
        return 0
    probe = os.path.abspath(args.probe)
    logdir = tempfile.mkdtemp(prefix="evonic-writer-logs-")
    os.chmod(logdir, 0o755)
    failures = []
    layouts = ["group-writable", "read-only-files"] if os.geteuid() == 0 else ["same-user"]
    for layout in layouts:
        failures += ["%s: %s" % (layout, f) for f in run_layout(layout, probe, logdir)]
    for failure in failures[:50]:
        print("FAIL", failure)
    if failures:
        print("logs kept in", logdir)
        return 1
    shutil.rmtree(logdir, ignore_errors=True)
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
