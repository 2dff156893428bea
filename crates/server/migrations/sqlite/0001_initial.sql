-- Keyhaven Account service schema (SQLite). Times are Unix milliseconds.

CREATE TABLE statements (
    version      INTEGER PRIMARY KEY,
    text         TEXT    NOT NULL,
    published_at INTEGER NOT NULL
);

CREATE TABLE accounts (
    id                    TEXT    PRIMARY KEY,
    email                 TEXT    NOT NULL UNIQUE,
    password_hash         TEXT    NOT NULL,
    phone                 TEXT    NOT NULL,
    two_step_enabled      INTEGER NOT NULL,
    statement_version     INTEGER NOT NULL,
    statement_accepted_at INTEGER NOT NULL,
    activated_at          INTEGER,
    sms_serial            INTEGER NOT NULL DEFAULT 0,
    created_at            INTEGER NOT NULL
);

CREATE TABLE challenges (
    id          TEXT    PRIMARY KEY,
    account_id  TEXT    NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    purpose     TEXT    NOT NULL,
    phone       TEXT    NOT NULL,
    code_hash   TEXT    NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    payload     TEXT    NOT NULL,
    expires_at  INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    finished_at INTEGER
);
CREATE INDEX challenges_account ON challenges (account_id);

CREATE TABLE sms_sends (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id TEXT    NOT NULL,
    phone      TEXT    NOT NULL,
    sent_at    INTEGER NOT NULL
);
CREATE INDEX sms_sends_account ON sms_sends (account_id, sent_at);
CREATE INDEX sms_sends_phone ON sms_sends (phone, sent_at);

CREATE TABLE devices (
    id                TEXT    PRIMARY KEY,
    account_id        TEXT    NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name              TEXT    NOT NULL,
    platform          TEXT    NOT NULL,
    machine_hash      TEXT    NOT NULL,
    machine_user_hash TEXT    NOT NULL,
    created_at        INTEGER NOT NULL,
    last_seen_at      INTEGER NOT NULL,
    revoked_at        INTEGER
);
CREATE INDEX devices_account ON devices (account_id);

CREATE TABLE access_tokens (
    token_hash TEXT    PRIMARY KEY,
    device_id  TEXT    NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    account_id TEXT    NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX access_tokens_device ON access_tokens (device_id);

CREATE TABLE refresh_tokens (
    token_hash TEXT    PRIMARY KEY,
    device_id  TEXT    NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    account_id TEXT    NOT NULL,
    expires_at INTEGER NOT NULL,
    rotated_at INTEGER
);
CREATE INDEX refresh_tokens_device ON refresh_tokens (device_id);

CREATE TABLE sign_in_attempts (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    throttle   TEXT    NOT NULL,
    at         INTEGER NOT NULL
);
CREATE INDEX sign_in_attempts_throttle ON sign_in_attempts (throttle, at);

CREATE TABLE vaults (
    account_id        TEXT    PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    vault_id          TEXT    NOT NULL,
    wrapped_vault_key BLOB    NOT NULL,
    salt              BLOB    NOT NULL,
    kdf_memory_kib    INTEGER NOT NULL,
    kdf_iterations    INTEGER NOT NULL,
    kdf_parallelism   INTEGER NOT NULL,
    revision          INTEGER NOT NULL,
    created_at        INTEGER NOT NULL
);

CREATE TABLE vault_items (
    account_id TEXT    NOT NULL REFERENCES vaults (account_id) ON DELETE CASCADE,
    item_id    TEXT    NOT NULL,
    revision   INTEGER NOT NULL,
    blob       BLOB,
    PRIMARY KEY (account_id, item_id)
);
CREATE INDEX vault_items_revision ON vault_items (account_id, revision);
