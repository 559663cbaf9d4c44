"""Statements of account (对账单): computed, issued as immutable versions, confirmed or disputed."""
