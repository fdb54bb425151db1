"""A hall's offline node on disk (OPS-6, ADR 0035): one directory holding

* ``node.db`` — a SafeGrid database (the same migrations) with the hall's rows
  (:mod:`.snapshot`) and the node's queue (:mod:`.node`);
* ``node.key`` — the node's own master key (mode 600): the DATA-2 columns it carries
  (staff one-time-code secrets, customer names…) rest encrypted under it;
* ``node.secret`` — the node's session-signing secret.

:func:`claim` pairs a new directory with the one-time code an administrator gave the hall;
:meth:`NodeSite.platform` is the application's platform in the "offline node" profile (no
scheduler; receipts from the offline series), served by ``safegrid offline serve`` with the
same ``create_app`` as the server, so the cashier uses the same counter pages and the
checker confirms there as on the server. :meth:`NodeSite.sync` sends the confirmed receipts
and refreshes the hall staff's accounts (a frozen or departed one cannot sign in after it).
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any, Protocol

import httpx

from safegrid.bootstrap import Platform
from safegrid.config import Settings
from safegrid.platform.errors import ValidationProblem
from safegrid.secops.offline import handover, sealing, snapshot
from safegrid.secops.offline.node import HallNode, Pairing
from safegrid.security.actor import Actor

PAIR_PATH = "/api/counter/offline/pair"
SNAPSHOT_PATH = "/api/counter/offline/snapshot"


class Server(Protocol):
    """The server as the node reaches it (an HTTP client; the drill's link)."""

    def post(self, url: str, *, json: Any) -> Any: ...


class NodeSite:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.db = root / "node.db"
        self.key_file = root / "node.key"
        self.secret_file = root / "node.secret"

    def settings(self, **overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "database_url": f"sqlite:///{self.db}",
            "master_key_file": self.key_file,
            "secret_key": self.secret_file.read_text().strip(),
            "scheduler_enabled": False,
            "offline_node": True,
            "tmp_dir": self.root / "tmp",
            "audit_archive_dir": self.root / "audit-archive",
        }
        return Settings(**{**values, **overrides})

    def platform(self, **overrides: Any) -> Platform:
        return Platform(self.settings(**overrides))

    @property
    def queue(self) -> HallNode:
        return HallNode(self.db)

    def refresh(self, server: Server, *, staff_only: bool) -> dict[str, int] | None:
        """Fetch and load the hall's rows; ``None`` while the link is down."""
        queue = self.queue
        pairing, pending = queue.pairing, queue.pending()
        try:
            answer = server.post(
                SNAPSHOT_PATH,
                json=handover.request(pairing.key, pairing.node, staff_only, pending),
            )
        except httpx.TransportError:
            return None
        body = _answered(answer, "node")
        key = sealing.decode_key(pairing.key)
        rows = sealing.open_json(
            key, pairing.node, handover.ANSWER, body["sent_at"], body["sealed"]
        )
        platform = self.platform()
        try:
            return do_load_rows(platform, pairing.node, rows, staff_only=staff_only)
        finally:
            platform.dispose()

    def sync(self, server: httpx.Client, headers: dict[str, str]) -> list[dict[str, Any]] | None:
        """Send the queue, then refresh the staff; ``None`` while the link is down."""
        results = self.queue.sync(server, headers)
        if results is not None:
            self.refresh(server, staff_only=True)
        return results


def do_load_rows(
    platform: Platform, node: str, rows: list[dict[str, Any]], *, staff_only: bool
) -> dict[str, int]:
    """The server's rows into the node's database, in one unit of work, audited there."""
    with platform.uow(Actor.system("offline-node", "cli")) as uow:
        counts = snapshot.load(uow.session.connection(), rows)
        uow.audit(
            "offline.node_rows_loaded",
            object_type="offline_hall_node",
            after={"node": node, "staff_only": staff_only, "rows": counts},
        )
        uow.commit()
        return counts


def claim(root: Path, server: Server, pairing_code: str) -> NodeSite:
    """Pair a new node directory: key and secret drawn here, the database migrated, the
    node's sealing key claimed with the one-time code, the hall's rows loaded."""
    site = NodeSite(root)
    if site.db.exists() or site.key_file.exists():
        raise ValidationProblem(
            "节点目录已有节点 / the directory already holds a node", field="dir"
        )
    # The code first: a refused code leaves nothing behind to clear before the next try.
    pairing = Pairing(
        **_answered(server.post(PAIR_PATH, json={"pairing_code": pairing_code}), "code")
    )
    root.mkdir(parents=True, exist_ok=True)
    for path, text in (
        (site.key_file, secrets.token_hex(16)),
        (site.secret_file, secrets.token_urlsafe(48)),
    ):
        path.touch(mode=0o600)
        path.write_text(text + "\n")
    platform = site.platform()
    try:
        platform.migrate()
    finally:
        platform.dispose()
    HallNode.create(site.db, pairing)
    site.db.chmod(0o600)
    site.refresh(server, staff_only=False)
    return site


def _answered(answer: Any, field: str) -> Any:
    if answer.status_code >= 400:
        try:
            detail = str(answer.json().get("detail"))
        except ValueError:
            detail = answer.text[:200]
        raise ValidationProblem(
            f"服务器拒绝 / the server refused (HTTP {answer.status_code}): {detail}", field=field
        )
    return answer.json()
