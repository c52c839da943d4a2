-- Up Migration

-- Password reset by email: the SHA-256 of the one link a user may follow (never the link itself)
-- and when it stops working. Following it clears both, so a link works once.
ALTER TABLE users ADD COLUMN password_reset_hash text UNIQUE;
ALTER TABLE users ADD COLUMN password_reset_expires_at timestamptz;

-- Down Migration

ALTER TABLE users DROP COLUMN password_reset_expires_at;
ALTER TABLE users DROP COLUMN password_reset_hash;
