"""The shipped call playbook: what a collector may answer to each built-in overdue reason.

Each answer is an English msgid of the catalogs (`playbook.po`), so it exists in zh-CN, zh-TW and
en like every text of Dunmore. The wording is firm and polite: amounts, dates, next steps, a plan or
a dispute — never a threat, a blacklist, a court or a fee the policy does not charge (the wording
lint of `delivery.lint` checks every one, tests/workspace/test_playbook.py). A manager's answer
(`playbook_answers`) replaces the shipped one of its reason and language.
"""

from __future__ import annotations

from dunmore.i18n import N_

SHIPPED: dict[str, str] = {
    "forgot": N_(
        "Thank the customer for taking the call. Confirm the invoice numbers, the open amount, the due "
        "date and the bank details for the transfer. Ask on which date the payment will be made and "
        "record it as a promise to pay. Send a short written summary after the call."
    ),
    "not_received": N_(
        "Apologise for the trouble and confirm the billing address and the person who receives "
        "invoices. Offer to send a copy of the invoice by e-mail today. Agree a date to pay once the "
        "copy has arrived, and record the new contact details."
    ),
    "awaiting_approval": N_(
        "Ask who approves the payment, where the invoice stands in the approval and what is still "
        "missing. Offer the documents the approver needs (delivery note, contract, statement). Agree "
        "a date to call back and, where possible, a date to pay."
    ),
    "dispute": N_(
        "Listen, and note exactly what is disputed: which invoice, which amount and why (quality, "
        "quantity, price, delivery). Explain that the disputed amount will be reviewed while the "
        "undisputed amount stays due. Open a dispute with these details and agree a date to pay the "
        "undisputed part."
    ),
    "cash_flow": N_(
        "Thank the customer for explaining the situation. Ask how much can be paid now and when. "
        "Offer a payment plan in instalments over the open items, and record the promise to pay. "
        "Agree amounts the customer can keep to."
    ),
    "refuses": N_(
        "Stay calm and polite. Ask why the customer refuses and note it in the customer's own words. "
        "Restate the open amount, the due dates and the agreed terms. Say that the account will be "
        "referred to a manager for internal review, and offer to look into any issue the customer "
        "raises."
    ),
    "other": N_(
        "Ask what stands in the way of the payment and note it. Restate the open amount and agree a "
        "next step with a date: a payment, a promise to pay or a call back."
    ),
}
