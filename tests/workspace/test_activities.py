"""Logging contacts and reading a customer's timeline: bounds, scoping, evidence files, codes."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Connection, Engine, select

from dunmore.access.models import AUDIT_LOG
from dunmore.access.values import Language, Role, User
from dunmore.errors import BadArgument, NotFound, PermissionDenied
from dunmore.ledger.models import CONTACTS
from dunmore.workspace import codes
from dunmore.workspace.activities import (
    NewActivity,
    Upload,
    customer_id_of,
    get_attachment,
    latest_reason,
    list_activities,
    log_activity,
)
from dunmore.workspace.kinds import ActivityKind, Channel, CodeKind
from dunmore.workspace.timeline import Filter, timeline, whole_timeline
from tests.store.ledger_rows import add_customer, add_payment

NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
TODAY = date(2026, 3, 10)
PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n"
ZIP = b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + b"\x00" * 30
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 20


def user(role: Role, login: str = "li", portfolios: frozenset[str] = frozenset({"east"})) -> User:
    return User(1, login, role, Language.EN, portfolios, False, NOW)


ADMIN = user(Role.ADMIN, "root", frozenset())
COLLECTOR = user(Role.COLLECTOR)


def ledger(conn: Connection) -> None:
    east = add_customer(conn, "C1", portfolio="east")
    add_customer(conn, "W1", portfolio="west")
    conn.execute(CONTACTS.insert().values(customer_id=east, name="Zhang Wei", phone="+8613800000000"))


def call(**fields: object) -> NewActivity:
    values: dict[str, object] = {"kind": ActivityKind.CALL, "channel": Channel.PHONE, "outcome": "reached"}
    return NewActivity(**(values | fields))  # type: ignore[arg-type]


def log(
    conn: Connection, new: NewActivity, *, who: User = COLLECTOR, customer: str = "C1", now: datetime = NOW
) -> int:
    return log_activity(conn, user=who, customer=customer, new=new, now=now, today=now.date()).id


def test_a_call_is_logged_with_its_contact_reason_and_evidence_and_audited(engine: Engine) -> None:
    with engine.begin() as conn:
        ledger(conn)
        new = call(
            contact="zhang wei",
            reason="cash_flow",
            duration_minutes=7,
            note=" asked for a week ",
            attachments=[Upload("C:\\scans\\receipt.pdf", PDF)],
        )
        logged = log_activity(conn, user=COLLECTOR, customer="C1", new=new, now=NOW, today=TODAY)
        audit = conn.execute(select(AUDIT_LOG.c.action, AUDIT_LOG.c.object, AUDIT_LOG.c.actor)).all()
        file = get_attachment(conn, user=COLLECTOR, customer="C1", attachment_id=logged.attachments[0].id)
    assert (logged.contact, logged.reason, logged.duration_minutes, logged.note) == (
        "Zhang Wei",
        "cash_flow",
        7,
        "asked for a week",
    )
    assert logged.attachments[0].filename == "receipt.pdf"
    assert logged.attachments[0].sha256 == hashlib.sha256(PDF).hexdigest()
    assert (file.media_type, file.content) == ("application/pdf", PDF)
    assert [tuple(r) for r in audit] == [("activity.add", "customer:C1", "li")]


def test_a_collector_cannot_reach_a_customer_of_another_portfolio(engine: Engine) -> None:
    with engine.begin() as conn:
        ledger(conn)
        with pytest.raises(NotFound):
            log(conn, call(), customer="W1")
        with pytest.raises(NotFound):
            list_activities(conn, user=COLLECTOR, customer="W1")
        with pytest.raises(NotFound):
            timeline(conn, user=COLLECTOR, customer="W1")
        log(conn, call(), customer="W1", who=ADMIN)
        with pytest.raises(PermissionDenied):
            log(conn, call(), who=user(Role.VIEWER))


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        ({"at": NOW + timedelta(minutes=2)}, "in the future"),
        ({"at": NOW - timedelta(days=400)}, "more than a year ago"),
        ({"outcome": "call_back"}, "needs the date to call back"),
        (
            {"outcome": "call_back", "follow_up_on": TODAY - timedelta(days=1)},
            "a follow-up date is from today",
        ),
        ({"outcome": "flew_away"}, "not an active outcome code"),
        ({"reason": "reached"}, "not an active reason code"),
        ({"note": "x" * 4001}, "at most 4000 characters"),
        ({"duration_minutes": 24 * 60 + 1}, "a duration is 0 to 1440 minutes"),
        ({"contact": "Nobody"}, "has no contact"),
        ({"attachments": [Upload("contract.pdf", ZIP)]}, "only PDF, PNG, JPEG and WebP"),
        ({"attachments": [Upload("photo.pdf", PNG)]}, "only PDF, PNG, JPEG and WebP"),
        ({"attachments": [Upload("empty.pdf", b"")]}, "1 byte to 10 MiB"),
        ({"attachments": [Upload("big.pdf", PDF + b"\x00" * (10 * 1024 * 1024))]}, "1 byte to 10 MiB"),
        ({"attachments": [Upload(f"{n}.pdf", PDF) for n in range(6)]}, "at most 5 files"),
    ],
)
def test_what_is_out_of_bounds_is_refused_and_nothing_is_written(
    sqlite_engine: Engine, fields: dict[str, object], says: str
) -> None:
    with sqlite_engine.begin() as conn:
        ledger(conn)
        with pytest.raises((BadArgument, NotFound), match=says):
            log(conn, call(**fields))
        assert list_activities(conn, user=COLLECTOR, customer="C1") == []


def test_a_moment_a_minute_ahead_and_a_webp_and_jpeg_are_accepted(sqlite_engine: Engine) -> None:
    webp = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 20
    jpeg = b"\xff\xd8\xff\xe0" + b"\x00" * 20
    with sqlite_engine.begin() as conn:
        ledger(conn)
        files = [Upload("a.webp", webp), Upload("b.JPG", jpeg), Upload("scan", PNG)]
        log(conn, call(at=NOW + timedelta(seconds=50), attachments=files))
        shown = list_activities(conn, user=COLLECTOR, customer="C1")[0].attachments
    assert [f.media_type for f in shown] == ["image/webp", "image/jpeg", "image/png"]


def test_an_admin_code_is_offered_until_disabled_and_old_contacts_keep_its_label(engine: Engine) -> None:
    labels = {"zh-CN": "银行假日", "zh-TW": "銀行假日", "en": "Bank holiday"}
    with engine.begin() as conn:
        ledger(conn)
        codes.add_code(conn, user=ADMIN, kind=CodeKind.REASON, code="bank_holiday", labels=labels, now=NOW)
        log(conn, call(reason="bank_holiday"))
        codes.disable_code(conn, user=ADMIN, kind=CodeKind.REASON, code="bank_holiday", now=NOW)
        with pytest.raises(BadArgument, match="not an active reason code"):
            log(conn, call(reason="bank_holiday"))
        with pytest.raises(BadArgument, match="exists already"):
            codes.add_code(
                conn, user=ADMIN, kind=CodeKind.REASON, code="bank_holiday", labels=labels, now=NOW
            )
        with pytest.raises(BadArgument, match="built-in"):
            codes.disable_code(conn, user=ADMIN, kind=CodeKind.OUTCOME, code="reached", now=NOW)
        with pytest.raises(PermissionDenied):
            codes.add_code(conn, user=COLLECTOR, kind=CodeKind.REASON, code="x_y", labels=labels, now=NOW)
        said = codes.labels_of(conn, "zh-TW")
        listed = codes.list_codes(conn, kind=CodeKind.REASON, active_only=True)
    assert said[("reason", "bank_holiday")] == "銀行假日"
    assert said[("outcome", "no_answer")] != "No answer"  # the built-in labels are translated
    assert "bank_holiday" not in [c.code for c in listed]
    assert [c.code for c in listed][:7] == list(codes.BUILT_IN[CodeKind.REASON])


def test_a_label_must_be_given_in_each_language(sqlite_engine: Engine) -> None:
    with sqlite_engine.begin() as conn, pytest.raises(BadArgument, match="zh-TW label"):
        codes.add_code(
            conn,
            user=ADMIN,
            kind=CodeKind.OUTCOME,
            code="left_message",
            labels={"zh-CN": "留言", "en": "Left a message"},
            now=NOW,
        )


def test_no_answer_then_a_call_back_two_days_later_with_cash_flow(engine: Engine) -> None:
    """2026-03-10 09:00 Shanghai: Li calls C1, nobody answers, she will call back on the 12th. On
    the 12th Zhang Wei answers: cash-flow difficulty. C1 paid 500.00 on the 11th."""
    tenth, twelfth = NOW + timedelta(hours=-1), NOW + timedelta(days=2)
    with engine.begin() as conn:
        ledger(conn)
        customer = customer_id_of(conn, user=COLLECTOR, code="C1")
        add_payment(conn, "PAY-1", customer, "2026-03-11", 50000)
        log(conn, call(outcome="call_back", follow_up_on=date(2026, 3, 12), at=tenth), now=tenth)
        assert latest_reason(conn, customer_id=customer) is None
        log(conn, call(contact="Zhang Wei", reason="cash_flow", at=twelfth), now=twelfth)
        page = timeline(conn, user=COLLECTOR, customer="C1")
        reason = latest_reason(conn, customer_id=customer)
    assert [(e.source, e.status, e.at.date().isoformat()) for e in page.events] == [
        ("activity", "reached", "2026-03-12"),
        ("payment", None, "2026-03-11"),
        ("activity", "call_back", "2026-03-10"),
    ]
    assert page.events[2].on == date(2026, 3, 12)
    assert reason is not None
    assert (reason.reason, reason.at) == ("cash_flow", twelfth)


def test_the_timeline_pages_by_keyset_without_losing_or_repeating_an_event(engine: Engine) -> None:
    with engine.begin() as conn:
        ledger(conn)
        customer = customer_id_of(conn, user=ADMIN, code="C1")
        for n in range(7):
            add_payment(conn, f"PAY-{n}", customer, f"2026-03-0{1 + n % 3}", 1000 + n)
            log(conn, call(at=datetime(2026, 3, 1 + n % 3, tzinfo=UTC)), who=ADMIN)  # midnight ties
        seen, after = [], None
        while True:
            page = timeline(conn, user=ADMIN, customer="C1", after=after, limit=3)
            seen += [(e.source, e.ref) for e in page.events]
            if (after := page.next_cursor) is None:
                break
        whole = whole_timeline(conn, user=ADMIN, customer="C1")
        payments = timeline(
            conn,
            user=ADMIN,
            customer="C1",
            which=Filter(frozenset({"payment"}), since=date(2026, 3, 2), until=date(2026, 3, 2)),
        )
    assert len(seen) == len(set(seen)) == 14
    assert seen == [(e.source, e.ref) for e in whole]
    keys = [(e.at, e.source, e.ref) for e in whole]
    assert keys == sorted(keys, reverse=True)
    assert {(e.source, e.at.day) for e in payments.events} == {("payment", 2)}
    assert len(payments.events) == 2


def test_a_damaged_cursor_or_an_unknown_kind_is_refused(sqlite_engine: Engine) -> None:
    with sqlite_engine.begin() as conn:
        ledger(conn)
        with pytest.raises(BadArgument, match="damaged"):
            timeline(conn, user=ADMIN, customer="C1", after="bm9wZQ")
        with pytest.raises(BadArgument, match="no kind of event"):
            timeline(conn, user=ADMIN, customer="C1", which=Filter(frozenset({"gossip"})))
