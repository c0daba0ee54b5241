"""aiokafka (asyncio, idempotent, gzip) produces and reads back exact records."""

import asyncio

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition


def test_aiokafka_round_trip(broker):
    async def scenario():
        producer = AIOKafkaProducer(
            bootstrap_servers=broker.bootstrap,
            enable_idempotence=True,
            compression_type="gzip",
        )
        await producer.start()
        try:
            sent = []
            for i in range(5):
                md = await producer.send_and_wait(
                    "aio", key=b"k%d" % i, value=b"v%d" % i, headers=[("h", b"x%d" % i)]
                )
                sent.append((md.partition, md.offset))
        finally:
            await producer.stop()
        consumer = AIOKafkaConsumer(
            bootstrap_servers=broker.bootstrap, enable_auto_commit=False
        )
        await consumer.start()
        try:
            tp = TopicPartition("aio", 0)
            consumer.assign([tp])
            await consumer.seek_to_beginning(tp)
            got = []
            for _ in range(20):
                batch = await consumer.getmany(timeout_ms=1000)
                for msgs in batch.values():
                    got += [(m.offset, m.key, m.value, list(m.headers)) for m in msgs]
                if len(got) >= 5:
                    break
            end = (await consumer.end_offsets([tp]))[tp]
        finally:
            await consumer.stop()
        return sent, got, end

    sent, got, end = asyncio.run(scenario())
    assert sent == [(0, i) for i in range(5)]
    assert got == [(i, b"k%d" % i, b"v%d" % i, [("h", b"x%d" % i)]) for i in range(5)]
    assert end == 5
