"""Email: an outbox table written with the change that causes it, delivered by a Celery task."""
