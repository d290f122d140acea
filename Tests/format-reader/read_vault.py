#!/usr/bin/env python3
"""An independent reader of twvault vaults, written from docs/FORMAT.md alone.

Usage: read_vault.py VAULT            passphrase from $TWVAULT_PASSPHRASE_FILE or $TWVAULT_PASSPHRASE
       read_vault.py --identity FILE VAULT
                                      the passphrase opens the identity FILE, which opens its member slot
       read_vault.py --session VAULT  data key from $TWVAULT_SESSION and the session directory
                                      ($TWVAULT_SESSION_DIR, else the default of FORMAT.md)

Unlocks the vault, verifies the vault MAC (the format-3 state, or the format-1 MAC of a vault
no write has converted yet), opens every record and prints
{"profile": {"kind": payload}} as JSON. Exits 77 on a wrong passphrase or unusable session,
65 on a tampered or damaged vault, 78 on a newer format or a slot outside the KDF policy.
Needs only PyNaCl and the standard library.
"""
import base64
import hmac
import json
import os
import sqlite3
import struct
import sys
import time
import unicodedata

import nacl.encoding
import nacl.exceptions
import nacl.hash
import nacl.public
import nacl.pwhash.argon2id
import nacl.secret

KNOWN_MIGRATIONS = {1, 2, 3, 4}
APPLICATION_ID = 0x54575631
FLOOR_OPS, FLOOR_MEM = 2, 67108864
CAP_OPS, CAP_MEM = 10, 4294967296


class Failure(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


def u32be(n):
    return struct.pack(">I", n)


def u64be(n):
    return struct.pack(">Q", n)


def lp(b):
    return u32be(len(b)) + b


def kdf(subkey_id, context, key):
    # crypto_kdf_derive_from_key(32, id, ctx, K) as keyed BLAKE2b with salt and personal.
    return nacl.hash.blake2b(b"", digest_size=32, key=key,
                             salt=struct.pack("<Q", subkey_id) + bytes(8),
                             person=context + bytes(8), encoder=nacl.encoding.RawEncoder)


def keyed_hash(key, message):
    return nacl.hash.blake2b(message, digest_size=32, key=key, encoder=nacl.encoding.RawEncoder)


def open_box(sealed, key):
    if len(sealed) < 40:
        raise nacl.exceptions.CryptoError("too short")
    return nacl.secret.SecretBox(key).decrypt(sealed[24:], sealed[:24])


def typed(row, types):
    for value, kind in zip(row, types):
        if not isinstance(value, kind):
            raise Failure(65, f"a column holds {type(value).__name__} where {kind.__name__} belongs")
    return row


def read_passphrase():
    path = os.environ.get("TWVAULT_PASSPHRASE_FILE")
    if path:
        with open(path, "rb") as f:
            raw = f.read()
        if raw.endswith(b"\n"):
            raw = raw[:-1]
    elif "TWVAULT_PASSPHRASE" in os.environ:
        raw = os.environb[b"TWVAULT_PASSPHRASE"]
    else:
        raise Failure(77, "no passphrase: set TWVAULT_PASSPHRASE_FILE or TWVAULT_PASSPHRASE")
    # Slots made from bytes that are not UTF-8 (accepted before format 2) used U+FFFD for every
    # invalid sequence; twvault no longer accepts such a passphrase for a new slot.
    return unicodedata.normalize("NFC", raw.decode("utf-8", errors="replace")).encode("utf-8")


def read_slots(db, applied):
    """Every slot as (label, algorithm, ops, mem, salt, wrapped, kind, public_key), in label order."""
    extra = ", kind, public_key" if 4 in applied else ", 'passphrase', NULL"
    slots = []
    for r in db.execute(f"SELECT label, algorithm, ops_limit, mem_limit, salt, wrapped_key{extra} FROM slot"):
        typed(r, (str, int, int, int, bytes, bytes, str))
        if r[7] is not None:
            typed((r[7],), (bytes,))
        if r[6] == "member":
            if r[7] is None or len(r[7]) != 32 or r[1:4] != (0, 0, 0) or r[4] != b"" or len(r[5]) != 96:
                raise Failure(65, f"member slot {r[0]}: wrong fields")
        elif r[6] != "passphrase" or r[7] is not None:
            raise Failure(65, f"slot {r[0]}: unknown kind or a passphrase slot with a public key")
        slots.append(r)
    slots.sort(key=lambda s: s[0].encode())
    if not slots:
        raise Failure(65, "no slots")
    return slots


def unlock_with_identity(slots, vault_id, identity_path):
    # "TWVIDEN1" || u64be ops || u64be mem || salt (16) || public key (32) || sealed (120)
    with open(identity_path, "rb") as f:
        data = f.read()
    if len(data) != 192 or data[:8] != b"TWVIDEN1":
        raise Failure(65, "damaged identity file")
    ops, mem = struct.unpack(">QQ", data[8:24])
    if not (FLOOR_OPS <= ops <= CAP_OPS and FLOOR_MEM <= mem <= CAP_MEM):
        raise Failure(78, "identity file: KDF limits outside policy")
    salt, public_key, sealed = data[24:40], data[40:72], data[72:]
    kek = nacl.pwhash.argon2id.kdf(32, read_passphrase(), salt, opslimit=ops, memlimit=mem)
    try:
        inner = open_box(sealed, kek)
    except nacl.exceptions.CryptoError:
        raise Failure(77, "wrong passphrase")
    if inner[:48] != b"twvault-identity" + public_key:
        raise Failure(65, "the identity file does not match its public key")
    secret_key = nacl.public.PrivateKey(inner[48:80])
    for label, _a, _o, _m, _s, wrapped, kind, key in slots:
        if kind == "member" and key == public_key:
            try:
                opened = nacl.public.SealedBox(secret_key).decrypt(wrapped)
            except nacl.exceptions.CryptoError:
                raise Failure(65, f"member slot {label} does not open with its member's key")
            if opened[:16] != vault_id:
                raise Failure(65, f"slot {label} belongs to another vault")
            return opened[16:]
    raise Failure(77, "no member slot for this identity")


def unlock_with_passphrase(slots, vault_id):
    slots = [s[:6] for s in slots if s[6] == "passphrase"]
    for label, algorithm, ops, mem, salt, wrapped in slots:  # policy first, for every slot
        if algorithm != 2:
            raise Failure(78, f"slot {label}: unknown algorithm {algorithm}")
        if not (FLOOR_OPS <= ops <= CAP_OPS and FLOOR_MEM <= mem <= CAP_MEM):
            raise Failure(78, f"slot {label}: KDF limits outside policy")
        if len(salt) != 16 or len(wrapped) != 88:
            raise Failure(65, f"slot {label}: wrong field sizes")
    return open_with_passphrase([(label, ops, mem, salt, wrapped) for label, _, ops, mem, salt, wrapped in slots],
                                vault_id)


def open_with_passphrase(slots, vault_id):
    """The data key from the first of (label, ops, mem, salt, wrapped) the passphrase opens."""
    passphrase = read_passphrase()
    for label, ops, mem, salt, wrapped in slots:
        kek = nacl.pwhash.argon2id.kdf(32, passphrase, salt, opslimit=ops, memlimit=mem)
        try:
            inner = open_box(wrapped, kek)
        except nacl.exceptions.CryptoError:
            continue
        if inner[:16] != vault_id:
            raise Failure(65, f"slot {label} belongs to another vault")
        return inner[16:]
    raise Failure(77, "wrong passphrase")


def session_directory():
    if os.environ.get("TWVAULT_SESSION_DIR"):
        return os.environ["TWVAULT_SESSION_DIR"]
    runtime = os.environ.get("XDG_RUNTIME_DIR", "")
    if runtime.startswith("/"):
        return runtime + "/twvault"
    temp = os.environ.get("TMPDIR", "")
    return f"{temp if temp.startswith('/') else '/tmp'}/twvault-{os.geteuid()}"


def b64url_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


B64URL = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def session_entries(value, vault_id):
    """The entries of a TWVAULT_SESSION value that may open this vault, newest first: those
    naming it ("twv2.<hex vault_id>.<body>"), then first-layout tokens ("twv1.<body>")."""
    named, unnamed, well_formed = [], [], 0
    for piece in reversed(value.split(":")):
        if piece.startswith("twv2.") and len(piece) == 5 + 32 + 1 + 64 and piece[37] == "." \
                and all(c in "0123456789abcdef" for c in piece[5:37]) and set(piece[38:]) <= B64URL:
            well_formed += 1
            if piece[5:37] == vault_id.hex():
                named.append(piece[38:])
        elif piece.startswith("twv1.") and len(piece) == 5 + 64 and set(piece[5:]) <= B64URL:
            well_formed += 1
            unnamed.append(piece[5:])
    if not well_formed:
        raise Failure(77, "malformed session token")
    candidates = named + unnamed
    if not candidates:
        raise Failure(77, "TWVAULT_SESSION holds no unlock of this vault")
    return candidates[:16]


def unlock_with_session(vault_id, lock_generation):
    first_failure = None
    for body in session_entries(os.environ.get("TWVAULT_SESSION", ""), vault_id):
        try:
            return unlock_with_session_entry(vault_id, lock_generation, body)
        except Failure as failure:
            first_failure = first_failure or failure
    raise first_failure


def unlock_with_session_entry(vault_id, lock_generation, body):
    raw = b64url_decode(body)
    if len(raw) != 48:
        raise Failure(77, "malformed session token")
    session_id, session_key = raw[:16], raw[16:]
    path = f"{session_directory()}/{vault_id.hex()}-{session_id.hex()}.session"
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        raise Failure(77, "session expired or locked")
    if len(data) < 16 or data[:8] not in (b"TWVSESS1", b"TWVSESS2"):
        raise Failure(77, "damaged session file")
    first_layout = data[:8] == b"TWVSESS1"
    (expires,) = struct.unpack(">Q", data[8:16])
    if expires <= int(time.time()):
        raise Failure(77, "session expired")
    try:
        inner = open_box(data[16:], session_key)
    except nacl.exceptions.CryptoError:
        raise Failure(77, "session file does not open with this token")
    key_offset = 40 if first_layout else 48
    # A session made through a member slot carries the identity's keys (64 bytes) after the DEK.
    lengths = (key_offset + 32,) if first_layout else (key_offset + 32, key_offset + 96)
    if len(inner) not in lengths or inner[:40] != vault_id + session_id + u64be(expires):
        raise Failure(77, "session belongs to another vault or was altered")
    generation = 0 if first_layout else struct.unpack(">Q", inner[40:48])[0]
    if generation != lock_generation:
        raise Failure(77, "session ended by a lock" if generation < lock_generation else "session from another lock state")
    return inner[key_offset:key_offset + 32]


def check_format1_mac(mac_key, vault_id, slot_bytes, records, stored_mac, only_passphrase_slots):
    if not only_passphrase_slots:
        raise Failure(65, "a member slot in a vault whose MAC was never converted")
    m = b"twvault-mac-v1" + vault_id + slot_bytes + u32be(len(records))
    for profile, kind, sealed in records:
        m += lp(profile.encode()) + lp(kind.encode()) + lp(sealed)
    if not hmac.compare_digest(keyed_hash(mac_key, m), stored_mac):
        raise Failure(65, "the vault MAC does not match")


def check_state(tag_key, state_key, vault_id, slot_bytes, slot_bytes_v3, records, state, only_passphrase_slots):
    try:
        plain = open_box(state, state_key)
    except nacl.exceptions.CryptoError:
        raise Failure(65, "the vault MAC state does not authenticate")
    if len(plain) != 112 or plain[:16] != b"twvault-state-v2" or plain[16:32] != vault_id:
        raise Failure(65, "the vault MAC state belongs to another vault or format")
    (_write_counter, count) = struct.unpack(">QQ", plain[32:48])
    stored_sum, stored_slots = plain[48:80], plain[80:112]
    total = 0
    for profile, kind, sealed in records:
        tag = keyed_hash(tag_key, b"twvault-tag-v2" + vault_id + lp(profile.encode()) + lp(kind.encode()) + lp(sealed))
        total += int.from_bytes(tag, "little")
    total %= 1 << 256
    digest_v3 = keyed_hash(tag_key, b"twvault-slots-v3" + vault_id + slot_bytes_v3)
    # A state last written before format 4 holds the v2 digest, valid while every slot is a passphrase slot.
    digest_v2 = keyed_hash(tag_key, b"twvault-slots-v2" + vault_id + slot_bytes)
    if count != len(records):
        raise Failure(65, "the vault MAC counts another number of records")
    if not (hmac.compare_digest(digest_v3, stored_slots)
            or (only_passphrase_slots and hmac.compare_digest(digest_v2, stored_slots))):
        raise Failure(65, "the vault MAC does not match the slots")
    if not hmac.compare_digest(total.to_bytes(32, "little"), stored_sum):
        raise Failure(65, "the vault MAC does not match the records")


def main(argv):
    use_session = "--session" in argv
    argv = [a for a in argv if a != "--session"]
    identity = None
    if "--identity" in argv:
        at = argv.index("--identity")
        if at + 1 >= len(argv):
            raise Failure(64, __doc__)
        identity = argv[at + 1]
        argv = argv[:at] + argv[at + 2:]
    paths = argv
    if len(paths) != 1:
        raise Failure(64, __doc__)
    path = paths[0]
    if not os.path.isfile(path):
        raise Failure(66, "no vault there")
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        if db.execute("PRAGMA application_id").fetchone()[0] != APPLICATION_ID:
            raise Failure(65, "not a twvault vault")
        applied = {r[0] for r in db.execute("SELECT id FROM schema_migrations")}
    except sqlite3.DatabaseError as error:
        raise Failure(65, f"not a twvault vault ({error})")
    if applied - KNOWN_MIGRATIONS:
        raise Failure(78, f"newer format: migrations {sorted(applied - KNOWN_MIGRATIONS)}")
    columns = "vault_id, mac"
    columns += ", lock_generation" if 2 in applied else ", 0"
    columns += ", mac_state" if 3 in applied else ", NULL"
    vault_id, stored_mac, lock_generation, state = db.execute(
        f"SELECT {columns} FROM vault WHERE singleton = 1").fetchone()
    typed((vault_id, stored_mac, lock_generation), (bytes, bytes, int))
    if state is not None:
        typed((state,), (bytes,))
    if len(vault_id) != 16:
        raise Failure(65, "vault id has the wrong size")
    if lock_generation < 0:
        raise Failure(65, "negative lock generation")

    slots = read_slots(db, applied)
    if use_session:
        dek = unlock_with_session(vault_id, lock_generation)
    elif identity is not None:
        dek = unlock_with_identity(slots, vault_id, identity)
    else:
        dek = unlock_with_passphrase(slots, vault_id)
    record_root = kdf(1, b"vaultrec", dek)

    records = [typed(r, (str, str, bytes)) for r in db.execute("SELECT profile, kind, sealed FROM record")]
    records.sort(key=lambda r: (r[0].encode(), r[1].encode()))
    slot_bytes = u32be(len(slots))
    slot_bytes_v3 = u32be(len(slots))
    for label, algorithm, ops, mem, salt, wrapped, kind, key in slots:
        slot_bytes += lp(label.encode()) + u64be(algorithm) + u64be(ops) + u64be(mem) + lp(salt) + lp(wrapped)
        slot_bytes_v3 += (lp(label.encode()) + lp(kind.encode()) + u64be(algorithm) + u64be(ops) + u64be(mem)
                          + lp(salt) + lp(wrapped) + lp(key or b""))
    only_passphrase = all(s[6] == "passphrase" for s in slots)

    if state is None:
        check_format1_mac(kdf(2, b"vaultmac", dek), vault_id, slot_bytes, records, stored_mac, only_passphrase)
    else:
        check_state(kdf(3, b"vaulttag", dek), kdf(4, b"vaultsta", dek), vault_id, slot_bytes, slot_bytes_v3,
                    records, state, only_passphrase)

    out = {}
    for profile, kind, sealed in records:
        out.setdefault(profile, {})[kind] = open_record(record_root, vault_id, profile, kind, sealed)
    return out


def open_record(record_root, vault_id, profile, kind, sealed):
    """The JSON of one sealed record, checked against the context it is bound to."""
    p, k = profile.encode(), kind.encode()
    context = vault_id + bytes([len(p)]) + p + bytes([len(k)]) + k
    try:
        plaintext = open_box(sealed, keyed_hash(record_root, context))
    except nacl.exceptions.CryptoError:
        raise Failure(65, f"record {kind} of {profile} does not authenticate")
    prefix = struct.pack(">H", len(context)) + context
    if plaintext[:len(prefix)] != prefix:
        raise Failure(65, f"record {kind} of {profile} carries another context")
    return json.loads(plaintext[len(prefix):].decode("utf-8"))


def run(main, name):
    """Prints main's result as JSON, or one line on stderr and the failure's exit code."""
    try:
        json.dump(main(sys.argv[1:]), sys.stdout, sort_keys=True)
        sys.stdout.write("\n")
    except Failure as failure:
        print(f"{name}: {failure}", file=sys.stderr)
        sys.exit(failure.code)


if __name__ == "__main__":
    run(main, "read_vault")
