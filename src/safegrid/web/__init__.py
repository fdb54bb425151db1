"""Server-rendered console (Jinja2 + htmx), Chinese first with English."""
