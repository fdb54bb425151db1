"""Field work console pages: the offline field app shell, dispatch, the safety dashboard."""
