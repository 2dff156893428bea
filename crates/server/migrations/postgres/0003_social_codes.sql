-- Social sign-in: the one-time code handed to the desktop app after the provider vouched for the
-- person. Stored hashed; bound to the app's client id, redirect URI and PKCE challenge; 60 s.
CREATE TABLE oauth_codes (
    code_hash      TEXT    PRIMARY KEY,
    client_id      TEXT    NOT NULL,
    redirect_uri   TEXT    NOT NULL,
    code_challenge TEXT    NOT NULL,
    provider       TEXT    NOT NULL,
    subject        TEXT    NOT NULL,
    email          TEXT,
    email_verified BIGINT  NOT NULL,
    expires_at     BIGINT  NOT NULL
);
