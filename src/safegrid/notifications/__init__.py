"""The one notification channel interface (DESIGN.md): a ``Notifier`` protocol whose default
sink is the ``notifications`` outbox table shown in the console."""
