-- Vault format 3: the incremental vault MAC (docs/FORMAT.md, "Vault MAC").
-- Never edit this file once shipped.
--
-- `mac_state` holds the sealed integrity state: the write counter, the record count, the sum
-- of the per-record tags and the slots digest. SQL cannot compute keyed MACs, so the column
-- stays NULL until the first write made with the data key: that write checks the format-1 MAC
-- in `vault.mac`, then stores the state and zeroes `mac`, in one transaction. Until then the
-- format-1 MAC is the one that is checked.
ALTER TABLE vault ADD COLUMN mac_state BLOB;
