"""Makes an Evonic installation folder for tests: shared/db/evonic.db (agents) and
agents/<id>/chat.db (chat_sessions), with Evonic's columns and WAL journal mode, and a .env."""
import os
import sqlite3

AGENTS_SCHEMA = """CREATE TABLE IF NOT EXISTS agents (
  id TEXT PRIMARY KEY, name TEXT NOT NULL, sandbox_enabled BOOLEAN DEFAULT 0,
  enabled BOOLEAN DEFAULT 1, system_prompt TEXT, model TEXT, created_at TEXT, updated_at TEXT)"""
SESSIONS_SCHEMA = """CREATE TABLE IF NOT EXISTS chat_sessions (
  id TEXT PRIMARY KEY, agent_id TEXT NOT NULL, channel_id TEXT, external_user_id TEXT NOT NULL,
  bot_enabled BOOLEAN DEFAULT 1, archived BOOLEAN DEFAULT 0, created_at TEXT, updated_at TEXT)"""


# Evonic's view of the fake engine's scenario (tests/fixtures/fake-scenario): five agents, one with
# the sandbox disabled and one without a sandbox; hand-made-box's session is not in the database.
SCENARIO_AGENTS = [("admin", "Admin Assistant", True), ("data-analyst", "Data Analyst", True),
                   ("netuser", "Network User", True), ("ops", "Operations", False),
                   ("idle", "Idle Agent", True)]
SCENARIO_SESSIONS = [("admin-6f07b262", "admin", "alice@example.com"),
                     ("data-analyst-e0d4d663", "data-analyst", "+15551234567"),
                     ("netuser-0a1b2c3d", "netuser", "bob@example.com"),
                     ("ops-12345678", "ops", "carol@example.com"),
                     ("idle-00000000", "idle", "dave@example.com")]


def _open(path):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    return db


def make_evonic_root(root, agents, sessions, env=None):
    """agents: [(id, name, sandbox_enabled)]; sessions: [(id, agent_id, external_user_id)]."""
    db = _open(os.path.join(root, "shared", "db", "evonic.db"))
    db.execute(AGENTS_SCHEMA)
    db.executemany("INSERT OR REPLACE INTO agents (id, name, sandbox_enabled) VALUES (?, ?, ?)",
                   [(a, n, 1 if e else 0) for a, n, e in agents])
    db.commit()
    db.close()
    for agent_id, _, _ in agents:
        chat = _open(os.path.join(root, "agents", agent_id, "chat.db"))
        chat.execute(SESSIONS_SCHEMA)
        chat.executemany(
            "INSERT OR REPLACE INTO chat_sessions (id, agent_id, external_user_id) VALUES (?, ?, ?)",
            [s for s in sessions if s[1] == agent_id])
        chat.commit()
        chat.close()
    if env is not None:
        with open(os.path.join(root, ".env"), "w") as f:
            f.write("".join(f"{k}={v}\n" for k, v in env.items()))
