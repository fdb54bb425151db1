"""What the attack shield recognises (OPS-8), as data: scanner fingerprints, injection
patterns, and the thresholds of the per-network windows. Kept apart from the middleware so
the rules can be read (and reviewed) on one page."""

from __future__ import annotations

import re
from typing import Final

# Tools announce themselves in the User-Agent; a disguised scanner is caught by its bursts.
SCANNERS: Final = re.compile(
    r"sqlmap|nikto|nmap|masscan|zgrab|acunetix|nessus|openvas|wpscan|dirbuster|gobuster|"
    r"feroxbuster|nuclei|w3af|havij|appscan|netsparker|burpcollaborator",
    re.IGNORECASE,
)
# Injection attempts in the path or query (after URL-decoding): SQL, script, traversal.
INJECTION: Final = re.compile(
    r"(\bunion\b[\s/*]+(all[\s/*]+)?select\b)|(\b(or|and)\b\s+['\"]?\d+['\"]?\s*=\s*['\"]?\d+)|"
    r"('\s*(or|and)\s+')|(;\s*(drop|delete|insert|update|shutdown)\b)|(--\s*$)|"
    r"(\b(sleep|pg_sleep|benchmark|waitfor\s+delay)\s*\()|(<\s*script\b)|(\bjavascript:)|"
    r"(\.\./|\.\.\\)|(\bxp_cmdshell\b)|(\binformation_schema\b)",
    re.IGNORECASE,
)
WINDOW_SECONDS: Final = 60
# Refused answers (401/403/404) from one network in a window before it is blocked.
DENIED_BURST: Final = 40
# Distinct object ids (or pages) one caller reads in a window before it is blocked.
EXTRACTION_IDS: Final = 120
BLOCK_SECONDS: Final = 600
# Path segments that are object ids: /customers/123, /api/customers/123/…, ?page=N.
ID_SEGMENT: Final = re.compile(r"/(\d{1,12})(?=/|$)")
