"""Tables of contracts (migration 0027): the contract, its versions, its events, its signed files and
the invoices its approved schedule made.

- `contracts`: one per contract number, of one customer.
- `contract_versions`: what the contract says (dates, amount, currency, payment, interest and fee
  terms). A change is a new version; `status` draft → approved, an approved one superseded when a
  later version is approved. Whoever drafted a version (`drafted_by`) cannot approve it.
- `contract_events`: the day delivery or acceptance happened; a part of the terms waiting for one
  falls due from it.
- `contract_attachments`: the signed PDF (or a scan) with its SHA-256.
- `contract_invoices`: the invoice of the ledger each schedule line became (`CT-<number>-<line>`).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import cast

from sqlalchemy import BigInteger, Date, DateTime, ForeignKey, LargeBinary, String, Table, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from dunmore.store.base import Base


class Contract(Base):
    __tablename__ = "contracts"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ContractVersion(Base):
    __tablename__ = "contract_versions"
    __table_args__ = (
        UniqueConstraint("contract_id", "version", name="uq_contract_versions_contract_version"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id", ondelete="CASCADE"))
    version: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    signed_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    currency: Mapped[str] = mapped_column(String(3))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    terms: Mapped[str] = mapped_column(String(500))
    interest_terms: Mapped[str | None] = mapped_column(String(40))
    fee_terms: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(12))  # draft | approved | superseded
    drafted_by: Mapped[str] = mapped_column(String(100))
    drafted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    approved_by: Mapped[str | None] = mapped_column(String(100))
    approved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ContractEvent(Base):
    __tablename__ = "contract_events"

    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id", ondelete="CASCADE"), primary_key=True)
    event: Mapped[str] = mapped_column(String(12), primary_key=True)  # delivery | acceptance
    happened_on: Mapped[date] = mapped_column(Date)
    recorded_by: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ContractAttachment(Base):
    __tablename__ = "contract_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    media_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    added_by: Mapped[str] = mapped_column(String(100))
    added_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ContractInvoice(Base):
    __tablename__ = "contract_invoices"

    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id", ondelete="CASCADE"), primary_key=True)
    line: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"), index=True)
    version: Mapped[int]


CONTRACTS = cast(Table, Contract.__table__)
CONTRACT_VERSIONS = cast(Table, ContractVersion.__table__)
CONTRACT_EVENTS = cast(Table, ContractEvent.__table__)
CONTRACT_ATTACHMENTS = cast(Table, ContractAttachment.__table__)
CONTRACT_INVOICES = cast(Table, ContractInvoice.__table__)
