"""The web application: staff pages, the JSON API, the SMS status callbacks (see docs/web.md)."""
