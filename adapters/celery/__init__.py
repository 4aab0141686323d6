"""Celery on Redis: the production ``TaskQueue`` (``tasks.CeleryTaskQueue``), the app
factory (``app.create_celery_app``) and the cross-worker ``DeliveryLedger``
(``ledger.RedisDeliveryLedger``)."""
