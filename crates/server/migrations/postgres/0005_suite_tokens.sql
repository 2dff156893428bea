-- Suite sessions: a signed-in device lets the other Keyhaven apps of the same computer (and OS
-- user) sign in as the same account. Only the token's hash is kept; it works only from the
-- computer that published it and only while its device is signed in.
CREATE TABLE suite_tokens (
    token_hash   TEXT    PRIMARY KEY,
    device_id    TEXT    NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    account_id   TEXT    NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    machine_hash TEXT    NOT NULL,
    expires_at   BIGINT NOT NULL
);

CREATE INDEX suite_tokens_device ON suite_tokens (device_id);
