-- The vault's sealed state (DESIGN §5a) beside its revision, the key check beside the key
-- material, and the version each item's blob holds as its writer named it. NULL for vaults and
-- items of the legacy protocol; the service never reads any of them.
ALTER TABLE vaults ADD COLUMN state BYTEA;
ALTER TABLE vaults ADD COLUMN key_check BYTEA;
ALTER TABLE vault_items ADD COLUMN version_counter BIGINT;
ALTER TABLE vault_items ADD COLUMN version_writer TEXT;
