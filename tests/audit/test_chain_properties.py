"""Property-based tests of the audit hash chain (pure core, ``yuzhi.audit.chain``).

Any chain built by linking events verifies clean; editing any field of any event, deleting any
event but the newest, or swapping two events is reported; trimming the newest events leaves a
clean chain with a different head — which is why heads are anchored outside the database."""

import dataclasses
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from yuzhi.audit.chain import GENESIS, EventFields, event_hash, verify

T0 = datetime(2026, 1, 1, tzinfo=UTC)
texts = st.text(min_size=0, max_size=12)
events = st.lists(st.tuples(texts, st.one_of(st.none(), st.integers(1, 99)), texts, texts, texts),
                  min_size=1, max_size=15)


def build(raw):
    rows, prev = [], GENESIS
    for i, (actor, org, action, entity, after) in enumerate(raw, start=1):
        ev = EventFields(seq=i, at=T0 + timedelta(seconds=i), actor=actor or "system", actor_user_id=None,
                         org_id=org, action=action or "x.y", entity=entity or "thing", entity_id=str(i),
                         before="{}", after=after)
        h = event_hash(prev, ev)
        rows.append((ev, prev, h))
        prev = h
    return rows


@given(events)
def test_a_linked_chain_verifies(raw):
    rows = build(raw)
    problems, head, count = verify(rows)
    assert problems == [] and count == len(rows) and head == rows[-1][2]


@given(events, st.data())
def test_editing_any_field_of_any_event_is_detected(raw, data):
    rows = build(raw)
    i = data.draw(st.integers(0, len(rows) - 1))
    ev, prev, h = rows[i]
    field = data.draw(st.sampled_from(["actor", "action", "entity", "entity_id", "after", "org_id", "at"]))
    new = {"org_id": (ev.org_id or 0) + 1, "at": ev.at + timedelta(microseconds=1)}.get(field, f"{getattr(ev, field)}!")
    rows[i] = (dataclasses.replace(ev, **{field: new}), prev, h)
    assert verify(rows)[0] != []


@given(events.filter(lambda r: len(r) >= 2), st.data())
def test_deleting_or_swapping_events_is_detected(raw, data):
    rows = build(raw)
    i = data.draw(st.integers(0, len(rows) - 2))  # not the newest
    assert verify(rows[:i] + rows[i + 1:])[0] != []
    swapped = list(rows)
    swapped[i], swapped[i + 1] = swapped[i + 1], swapped[i]
    assert verify(swapped)[0] != []


@given(events.filter(lambda r: len(r) >= 2), st.data())
def test_trimming_the_newest_events_changes_the_head(raw, data):
    rows = build(raw)
    keep = data.draw(st.integers(1, len(rows) - 1))
    problems, head, _ = verify(rows[:keep])
    assert problems == [] and head != verify(rows)[1]  # only an anchored head shows the trim
