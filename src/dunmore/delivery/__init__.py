"""Delivery: notices rendered from templates (Jinja2 + Babel) and sent through channels (email, SMS,
PDF letter, tasks) by the outbox worker, behind the compliance guard. See docs/design/delivery.md.
"""
