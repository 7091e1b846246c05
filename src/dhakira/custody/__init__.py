"""Tamper-evident custody log: RFC 9162 Merkle trees, C2SP signed notes, proof checking."""
