"""Field terminals (DATA-7): registry, per-terminal credentials, encrypted reading upload,
remote wipe through an acknowledged command queue."""
