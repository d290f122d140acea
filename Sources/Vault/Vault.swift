import VaultStore
