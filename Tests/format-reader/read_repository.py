#!/usr/bin/env python3
"""An independent reader of twvault repositories (docs/FORMAT.md, "Repository"), written from
that text alone.

Usage: read_repository.py DIRECTORY   a checkout of the repository's `main` branch;
                                      passphrase from $TWVAULT_PASSPHRASE_FILE or $TWVAULT_PASSPHRASE

Opens a slot with the passphrase, opens the manifest, checks every file against it, opens every
record and prints {"profile": {"kind": payload}} as JSON. Exits 77 on a wrong passphrase, 65 on a
repository that fails a check, 78 on a newer format. Needs only PyNaCl and the standard library.
"""
import hashlib
import os
import re
import struct
import sys

import nacl.exceptions

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from read_vault import (  # noqa: E402  (the same primitives as the vault file)
    CAP_MEM, CAP_OPS, FLOOR_MEM, FLOOR_OPS, Failure, kdf, keyed_hash, open_box, open_record,
    open_with_passphrase, run)

KIND = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


class Reader:
    def __init__(self, data):
        self.data, self.offset = data, 0

    def take(self, n):
        if n < 0 or self.offset + n > len(self.data):
            raise Failure(65, "truncated")
        out = self.data[self.offset:self.offset + n]
        self.offset += n
        return out

    def u32(self):
        return struct.unpack(">I", self.take(4))[0]

    def u64(self):
        return struct.unpack(">Q", self.take(8))[0]

    def lp(self):
        return self.take(self.u32())


def files_of(root):
    out = {}
    for directory, subdirectories, names in os.walk(root):
        subdirectories[:] = [d for d in subdirectories if not (directory == root and d == ".git")]
        for name in names:
            full = os.path.join(directory, name)
            with open(full, "rb") as f:
                out[os.path.relpath(full, root)] = f.read()
    return out


def parse_slot(data, label):
    r = Reader(data)
    if r.take(8) != b"TWVSLOT1":
        raise Failure(65, "slot file magic")
    name = r.lp().decode()
    algorithm, ops, mem = r.u64(), r.u64(), r.u64()
    salt, wrapped = r.lp(), r.lp()
    r.u64()
    kind = r.lp().decode(errors="replace")
    public_key = r.lp()
    if r.offset != len(data) or name != label:
        raise Failure(65, f"slot {label}: malformed")
    if kind == "member":
        if len(public_key) != 32 or algorithm or ops or mem or salt or len(wrapped) != 96:
            raise Failure(65, f"member slot {label}: wrong fields")
        return None  # opened by an identity, not by a passphrase
    if kind != "passphrase":
        raise Failure(78, f"slot {label}: unknown kind {kind}")
    if public_key:
        raise Failure(65, f"slot {label}: a passphrase slot with a public key")
    if algorithm != 2:
        raise Failure(78, f"slot {label}: unknown algorithm")
    if not (FLOOR_OPS <= ops <= CAP_OPS and FLOOR_MEM <= mem <= CAP_MEM):
        raise Failure(78, f"slot {label}: KDF limits outside policy")
    if len(salt) != 16 or len(wrapped) != 88:
        raise Failure(65, f"slot {label}: wrong field sizes")
    return name, ops, mem, salt, wrapped


def place(path):
    parts = path.split("/")
    try:
        if len(parts) == 3 and parts[0] == "records":
            profile = bytes.fromhex(parts[1]).decode()
            if NAME.match(profile) and KIND.match(parts[2]) and parts[1] == profile.encode().hex():
                return ("record", profile, parts[2])
        if len(parts) == 2 and parts[0] == "slots":
            label = bytes.fromhex(parts[1]).decode()
            if NAME.match(label) and parts[1] == label.encode().hex():
                return ("slot", label, None)
    except (ValueError, UnicodeDecodeError):
        pass
    raise Failure(65, f"a file with a malformed name: {path!r}")


def main(argv):
    if len(argv) != 1:
        raise Failure(64, __doc__)
    files = files_of(argv[0])
    header = files.pop("header", None)
    sealed_manifest = files.pop("manifest", None)
    if header is None or sealed_manifest is None:
        raise Failure(65, "no header or no manifest")
    lines = header.decode("ascii", errors="replace").split("\n")
    if lines and lines[0].startswith("twvault-repository ") and lines[0] != "twvault-repository 1":
        raise Failure(78, "newer repository format")
    if (len(lines) != 5 or lines[0] != "twvault-repository 1" or lines[4] != ""
            or not re.fullmatch(r"vault-id [0-9a-f]{32}", lines[1])
            or not re.fullmatch(r"key-id [0-9a-f]{32}", lines[2])
            or not re.fullmatch(r"created-at -?[0-9]+", lines[3])):
        raise Failure(65, "malformed header")
    vault_id = bytes.fromhex(lines[1][9:])
    key_id = bytes.fromhex(lines[2][7:])

    places = {path: place(path) for path in files}
    parsed = [parse_slot(files[p], places[p][1]) for p in files if places[p][0] == "slot"]
    if not parsed:
        raise Failure(65, "no slots")
    slots = sorted((s for s in parsed if s is not None), key=lambda s: s[0].encode())
    dek = open_with_passphrase(slots, vault_id)
    if kdf(6, b"vaultkid", dek)[:16] != key_id:
        raise Failure(65, "the header names another data key")

    try:
        m = open_box(sealed_manifest, kdf(5, b"vaultsyn", dek))
    except nacl.exceptions.CryptoError:
        raise Failure(65, "the manifest does not open")
    r = Reader(m)
    if r.take(19) != b"twvault-manifest-v1" or r.take(16) != vault_id or r.take(16) != key_id:
        raise Failure(65, "the manifest names another vault or key")
    r.u64()  # write counter
    entries = {}
    previous = None
    for _ in range(r.u32()):
        path = r.lp()
        if previous is not None and not previous < path:
            raise Failure(65, "manifest entries out of order")
        previous = path
        r.u64()  # version
        r.u64()  # updated_at
        entries[path.decode()] = r.take(32)
    if r.offset != len(m):
        raise Failure(65, "trailing bytes in the manifest")
    if set(entries) != set(files):
        raise Failure(65, "the files are not the ones the manifest lists")
    for path, data in files.items():
        if hashlib.sha256(data).digest() != entries[path]:
            raise Failure(65, f"{path} does not match the manifest")

    record_root = kdf(1, b"vaultrec", dek)
    out = {}
    for path in sorted(files):
        what, profile, kind = places[path]
        if what != "record":
            continue
        out.setdefault(profile, {})[kind] = open_record(record_root, vault_id, profile, kind, files[path])
    return out


if __name__ == "__main__":
    run(main, "read_repository")
