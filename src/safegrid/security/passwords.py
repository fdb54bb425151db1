"""Password policy and hashing (IAM-2): ≥ 10 characters of four classes, Argon2,
90-day expiry, the last five never reused."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 10
MAX_AGE = timedelta(days=90)
HISTORY_DEPTH = 5


def password_problems(password: str) -> list[str]:
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(f"at least {MIN_LENGTH} characters")
    if not any(c.isupper() for c in password):
        problems.append("an upper-case letter")
    if not any(c.islower() for c in password):
        problems.append("a lower-case letter")
    if not any(c.isdigit() for c in password):
        problems.append("a digit")
    if not any(not c.isalnum() and not c.isspace() for c in password):
        problems.append("a special character")
    return problems


@lru_cache
def hasher(time_cost: int, memory_kib: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=1)


def verify(ph: PasswordHasher, stored_hash: str, password: str) -> bool:
    try:
        return bool(ph.verify(stored_hash, password))
    except (VerificationError, InvalidHashError):
        return False


def is_expired(changed_at: datetime, now: datetime) -> bool:
    return now - changed_at > MAX_AGE
