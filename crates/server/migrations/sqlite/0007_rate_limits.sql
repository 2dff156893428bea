-- Limits counted in one statement each (an upsert that checks and records at once), so parallel
-- requests cannot pass a limit together: one row per bucket (a limit and its subject, hashed so
-- that every key has the same small size) with the hits of its current window.
CREATE TABLE rate_limits (
    bucket       TEXT   PRIMARY KEY,
    window_start BIGINT NOT NULL,
    hits         BIGINT NOT NULL
);
DROP TABLE sign_in_attempts;

-- A rotated refresh token keeps its successor pair for a short grace period, sealed under a key
-- only the rotated token gives (the service cannot open it from its own data), so that a client
-- interrupted before storing the new pair gets the same pair again.
ALTER TABLE refresh_tokens ADD COLUMN successor TEXT;
