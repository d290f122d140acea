-- Vault format 2: the lock generation. `twvault lock` raises it; every unlock session seals
-- the value it was made under, and one made under an older value is refused, even when its
-- session file survived the lock (a session directory `lock` did not look in).
-- See docs/FORMAT.md. Never edit this file once shipped; add the next number instead.

ALTER TABLE vault ADD COLUMN lock_generation INTEGER NOT NULL DEFAULT 0 CHECK (lock_generation >= 0);
