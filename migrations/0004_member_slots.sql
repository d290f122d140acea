-- Vault format 4: slot kinds. A slot is a passphrase slot (as before: Argon2id of a passphrase
-- wraps the data key) or a member slot: the data key sealed with crypto_box_seal to a member's
-- X25519 public key, which `public_key` holds. A member slot has no KDF fields of its own
-- (algorithm, ops_limit, mem_limit 0, salt empty). The kind and the public key are covered by
-- the vault MAC's slots digest (docs/FORMAT.md, "Vault MAC").
-- Never edit this file once shipped; add the next number instead.

ALTER TABLE slot ADD COLUMN kind TEXT NOT NULL DEFAULT 'passphrase' CHECK (kind IN ('passphrase', 'member'));
ALTER TABLE slot ADD COLUMN public_key BLOB;
