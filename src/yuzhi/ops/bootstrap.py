"""First start: the schema and the first office administrator on an empty database (``yuzhi init``).

Without it the only way to an administrator was ``yuzhi demo``, which also loads demo data. The
password is checked before anything is written, so a refused ``init`` leaves the database as it
was; a second administrator by ``init`` needs ``--force`` and leaves its own audit event.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import ValidationError
from sqlalchemy import select

from yuzhi.errors import Conflict, InvalidInput
from yuzhi.ops.passwords import password_problems


@dataclass(frozen=True)
class InitResult:
    user_id: int
    username: str
    schema_before: str  # SchemaStatus value before init
    forced: bool
    existing_admins: tuple[str, ...]


def check_new_admin(username: str, password: str) -> None:
    """Refuse a bad username or a weak password before anything is touched."""
    from yuzhi.accounts.schemas import UserCreate

    problems = password_problems(password, username=username)
    if problems:
        raise InvalidInput("the password is too weak: " + "; ".join(problems) + ". Nothing was changed",
                           field="password", fix="choose a longer, unguessable password (e.g. four unrelated "
                           "words), and run yuzhi init again")
    try:
        UserCreate(username=username, password=password, role="office_admin")
    except ValidationError as exc:
        first = exc.errors()[0]
        if first["loc"] and first["loc"][0] == "username":
            raise InvalidInput(f"username {username!r} is not allowed: {first['msg']}", field="--admin",
                               fix="use 3 to 64 letters, digits or . _ @ -") from None
        raise InvalidInput(f"password refused: {first['msg']}", field="password",
                           fix="use at most 200 characters") from None


def init_database(url: str, *, username: str, password: str, force: bool = False) -> InitResult:
    """Migrate ``url`` to head and create the first office administrator, in one audited transaction.

    Refused, with nothing changed, for a weak password, a database from a newer yuzhi, or when an
    office administrator exists already (unless ``force``: the extra administrator is then recorded
    with an ``admin.init_forced`` audit event naming the administrators that were there).
    """
    from yuzhi.accounts.actor import SYSTEM, Role
    from yuzhi.accounts.models import User
    from yuzhi.accounts.schemas import UserCreate
    from yuzhi.accounts.service import create_user
    from yuzhi.audit.service import record
    from yuzhi.db import import_all_models, make_engine, migrate, session_factory
    from yuzhi.ops.schema import SchemaStatus, refuse_if_ahead, schema_state

    check_new_admin(username, password)
    engine = make_engine(url)
    try:
        before = schema_state(engine)
        refuse_if_ahead(before)
        if before.status != SchemaStatus.EMPTY:  # look before migrating: a refusal must change nothing
            with session_factory(engine)() as s:
                admins = _admins(s, User, Role)
            if admins and not force:
                raise Conflict(f"an office administrator already exists ({', '.join(admins)}); nothing was changed",
                               field="--admin", fix="log in as that administrator and create users in the web UI, "
                               "or run yuzhi init --force to add another (it is recorded in the audit log)")
        if before.status != SchemaStatus.CURRENT:
            migrate(url)
        import_all_models()
        with session_factory(engine)() as s, s.begin():
            admins = _admins(s, User, Role)
            if admins and not force:  # created between our look and now
                raise Conflict(f"an office administrator already exists ({', '.join(admins)}); nothing was changed",
                               field="--admin", fix="run yuzhi init --force to add another")
            user = create_user(s, actor=SYSTEM, user_in=UserCreate(
                username=username, password=password, role=Role.OFFICE_ADMIN.value,
                display_name=username))
            if admins:
                record(s, actor=SYSTEM, action="admin.init_forced", entity="user", entity_id=user.id,
                       after={"username": username, "existing_admins": list(admins)})
            else:
                record(s, actor=SYSTEM, action="admin.init", entity="user", entity_id=user.id,
                       after={"username": username})
            return InitResult(user.id, username, before.status.value, bool(admins), tuple(admins))
    finally:
        engine.dispose()


def _admins(session, User, Role) -> tuple[str, ...]:
    return tuple(session.scalars(select(User.username).where(User.role == Role.OFFICE_ADMIN.value,
                                                             User.active.is_(True)).order_by(User.id)))


def read_password_file(path: str) -> str:
    """The first line of ``path`` (without its line break): how scripts pass a password safely."""
    from pathlib import Path

    p = Path(path)
    if not p.is_file():
        raise InvalidInput(f"password file {path} does not exist or is not a file", field="--password-file",
                           fix="give the path of a file whose first line is the password")
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"password file {path} cannot be read as UTF-8 text ({type(exc).__name__})",
                           field="--password-file", fix="write the password as the first line of a text file") \
            from None
    first = text.splitlines()[0] if text else ""
    if not first:
        raise InvalidInput(f"password file {path} has an empty first line", field="--password-file",
                           fix="write the password on the first line")
    return first
