-- Social sign-in: an authorization request of a desktop app waiting for the provider's answer.
-- `id` is the state sent to the provider; `app_state`, `redirect_uri` and `code_challenge` are
-- the app's own, returned to it or checked when it redeems its one-time code.
CREATE TABLE oauth_requests (
    id                TEXT    PRIMARY KEY,
    provider          TEXT    NOT NULL,
    client_id         TEXT    NOT NULL,
    redirect_uri      TEXT    NOT NULL,
    app_state         TEXT    NOT NULL,
    code_challenge    TEXT    NOT NULL,
    nonce             TEXT    NOT NULL,
    provider_verifier TEXT    NOT NULL,
    created_at        INTEGER NOT NULL,
    expires_at        INTEGER NOT NULL
);

CREATE INDEX oauth_requests_expiry ON oauth_requests (expires_at);
