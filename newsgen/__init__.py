"""newsgen core library: records, seeds, generation, notes. Knows nothing of Kafka or Celery."""

__version__ = "0.1.0"
