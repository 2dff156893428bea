-- A provider identity (issuer name + the provider's subject) linked to a Keyhaven Account.
CREATE TABLE social_identities (
    provider   TEXT    NOT NULL,
    subject    TEXT    NOT NULL,
    account_id TEXT    NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (provider, subject)
);

CREATE INDEX social_identities_account ON social_identities (account_id);
