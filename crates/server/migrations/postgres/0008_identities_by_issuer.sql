-- A provider identity is the issuer's subject: the key is (issuer, subject), so pointing a
-- provider name at another issuer cannot map that issuer's subjects onto existing accounts.
-- `provider` is the configured name it was linked with, for display. Rows linked before this
-- change get the issuer "unresolved:<name>", which the service replaces with that name's
-- configured issuer at start (`social_identities::resolve_legacy`).
CREATE TABLE social_identities_by_issuer (
    issuer     TEXT    NOT NULL,
    subject    TEXT    NOT NULL,
    provider   TEXT    NOT NULL,
    account_id TEXT    NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at BIGINT  NOT NULL,
    PRIMARY KEY (issuer, subject)
);
INSERT INTO social_identities_by_issuer (issuer, subject, provider, account_id, created_at)
    SELECT 'unresolved:' || provider, subject, provider, account_id, created_at
    FROM social_identities;
DROP TABLE social_identities;
ALTER TABLE social_identities_by_issuer RENAME TO social_identities;
CREATE INDEX social_identities_account ON social_identities (account_id);

-- A one-time code names the issuer that vouched for the person; codes in flight (60 s) are
-- dropped rather than guessed.
DELETE FROM oauth_codes;
ALTER TABLE oauth_codes ADD COLUMN issuer TEXT NOT NULL DEFAULT '';
