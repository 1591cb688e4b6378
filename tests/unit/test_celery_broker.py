"""workers.broker without a broker: the Celery options per broker, the RabbitMQ queue arguments, the Kafka
dead letter made from a task RabbitMQ dead-lettered, and the masked amqp_url."""
import json

from newsgen.config import Settings
from workers.broker import broker_url, celery_options, dead_letter_queue, letter_of, task_queue
from workers.celery_app import make_app


def rabbit(**kw) -> Settings:
    return Settings(broker="rabbitmq", amqp_url="amqp://newsgen:s3cret@rabbitmq:5672/%2F", celery_queue="gpu", **kw)


def test_redis_is_the_default_and_keeps_its_visibility_timeout():
    s = Settings(visibility_timeout_s=99)
    assert s.broker == "redis" and broker_url(s) == s.redis_url
    assert celery_options(s) == {"broker_transport_options": {"visibility_timeout": 99}}
    app = make_app(s)
    assert app.conf.broker_url == s.redis_url and app.conf.task_default_queue == "gpu"


def test_rabbitmq_declares_a_quorum_queue_that_dead_letters_after_max_attempts_deliveries():
    s = rabbit(max_attempts=3)
    q = task_queue(s)
    # RabbitMQ counts returns: a limit of N lets a message be delivered N + 1 times
    assert q.queue_arguments == {"x-queue-type": "quorum", "x-delivery-limit": 2,
                                 "x-dead-letter-exchange": "gpu.dead-letter",
                                 "x-dead-letter-strategy": "at-least-once", "x-overflow": "reject-publish"}
    assert q.durable and q.exchange.type == "topic"      # native delayed delivery needs a topic exchange
    dlq = dead_letter_queue(s)
    assert dlq.name == "gpu.dead-letter" and dlq.exchange.name == "gpu.dead-letter"
    assert dlq.queue_arguments == {"x-queue-type": "quorum"}


def test_rabbitmq_app_confirms_publishes_and_keeps_prefetch_and_heartbeats():
    s = rabbit(broker_heartbeat_s=20)
    conf = make_app(s).conf
    assert conf.broker_url == s.amqp_url and conf.result_backend == s.redis_url
    assert conf.broker_transport_options == {"confirm_publish": True}
    assert conf.worker_detect_quorum_queues and conf.task_default_queue_type == "quorum"
    assert conf.worker_prefetch_multiplier == 1 and conf.task_acks_late and conf.task_reject_on_worker_lost
    assert conf.broker_heartbeat == 20
    [queue] = conf.task_queues
    assert queue.name == "gpu" and conf.task_default_exchange_type == "topic"


def test_a_dead_lettered_task_becomes_a_max_attempts_dead_letter():
    task = {"key": "m1:note:0", "record_id": "m1", "task": "note"}
    headers = {"id": "m1:note:0", "task": "newsgen.generate_note",
               "x-death": [{"count": 1, "reason": "delivery_limit", "queue": "gpu"}]}
    letter = letter_of([[task], {}, {}], headers, rabbit(max_attempts=3))
    assert letter.reason == "max_attempts" and letter.stage == "generate" and letter.key == "m1:note:0"
    assert json.loads(letter.original()) == task
    assert "delivery_limit" in letter.error and "3 deliveries" in letter.error


def test_the_amqp_password_is_masked_in_the_effective_settings():
    data = rabbit().public_dict()
    assert data["amqp_url"] == "amqp://newsgen:***@rabbitmq:5672/%2F"
    assert "s3cret" not in json.dumps(data)
