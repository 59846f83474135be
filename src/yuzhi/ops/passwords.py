"""Password strength rules for accounts created by operators (``yuzhi init``). Pure, no I/O.

The first office administrator holds the keys to public money, so a guessable password is refused
with the reason, rather than scored: length first (NIST SP 800-63B), then a few cheap checks
that catch what people actually type (the username, one repeated character, a keyboard run, a
well-known password).
"""

from __future__ import annotations

MIN_LENGTH = 12

#: The most common passwords and patterns of public breach lists, lower-cased, plus local favourites.
_COMMON = frozenset({
    "password", "password1", "password123", "passw0rd", "p@ssw0rd", "p@ssword", "qwerty", "qwertyuiop",
    "123456789012", "1234567890", "12345678", "123456789", "111111111111", "000000000000", "abc123",
    "iloveyou", "admin", "admin123", "administrator", "letmein", "welcome", "welcome1", "changeme",
    "changeme123", "zhengzhou", "henan", "yuzhi", "woaini1314", "5201314", "qwer1234", "1qaz2wsx",
    "1q2w3e4r", "1q2w3e4r5t6y", "asdfghjkl", "zxcvbnm", "monkey", "dragon", "sunshine", "football",
})
_RUNS = ("0123456789", "abcdefghijklmnopqrstuvwxyz", "qwertyuiop", "asdfghjkl", "zxcvbnm")


def password_problems(password: str, *, username: str = "") -> list[str]:
    """Every reason ``password`` is too weak (empty list: acceptable). Messages say how to fix it."""
    problems: list[str] = []
    if password != password.strip():
        problems.append("it starts or ends with a space (a copied line break?); remove it")
    pw = password.strip()
    if len(pw) < MIN_LENGTH:
        problems.append(f"it has {len(pw)} characters; use at least {MIN_LENGTH} (a few unrelated words work well)")
    low = pw.lower()
    if len(set(low)) <= 3 and pw:
        problems.append("it repeats one to three characters; mix different ones")
    core = low.rstrip("0123456789!@#$%^&*.?_-")
    if low in _COMMON or core in _COMMON:
        problems.append("it is on the list of the most common passwords; choose one nobody else uses")
    if username and len(username) >= 3 and username.lower() in low:
        problems.append("it contains the username; choose one that does not")
    if any(_is_run(low, run) for run in _RUNS):
        problems.append("it is a keyboard or alphabet run like 12345678 or qwertyui; choose something unguessable")
    return problems


def _is_run(low: str, run: str) -> bool:
    """True when the password is mostly one straight run of ``run`` (forwards or backwards, wrapping
    round, so 1234567890123 counts): a run of 8 or more covering all but at most 4 characters."""
    longest = 0
    for seq in (run * 2, run[::-1] * 2):
        for start in range(len(low)):
            n = longest + 1
            while start + n <= len(low) and low[start:start + n] in seq:
                longest = n
                n += 1
    return longest >= 8 and longest >= len(low) - 4
