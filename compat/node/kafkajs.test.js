// KafkaJS (which speaks only older protocol versions: Produce <= 7, Metadata <= 6) creates
// topics, produces and reads offsets against Arus exactly as against Apache Kafka.
const test = require('node:test');
const assert = require('node:assert/strict');
const { Kafka, logLevel, Partitioners } = require('kafkajs');
const { startBroker } = require('./broker');

test('kafkajs admin and producer', async () => {
  const broker = await startBroker();
  const kafka = new Kafka({ clientId: 'arus-compat', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  try {
    const admin = kafka.admin();
    await admin.connect();
    assert.equal(await admin.createTopics({ topics: [{ topic: 'kjs', numPartitions: 2 }] }), true);
    assert.equal(await admin.createTopics({ topics: [{ topic: 'kjs', numPartitions: 2 }] }), false);
    assert.deepEqual(await admin.listTopics(), ['kjs']);
    const meta = await admin.fetchTopicMetadata({ topics: ['kjs'] });
    assert.deepEqual(meta.topics[0].partitions.map((p) => [p.partitionId, p.leader, p.replicas, p.isr]).sort(),
      [[0, 1, [1], [1]], [1, 1, [1], [1]]]);

    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    const sent = await producer.send({
      topic: 'kjs',
      messages: [
        { key: 'a', value: 'one', partition: 0 },
        { key: 'b', value: 'two', partition: 0 },
        { key: 'c', value: 'three', partition: 1, headers: { h: 'x' } },
      ],
    });
    await producer.disconnect();
    assert.deepEqual(sent.map((r) => [r.partition, r.errorCode, r.baseOffset]).sort(),
      [[0, 0, '0'], [1, 0, '0']]);

    const offsets = await admin.fetchTopicOffsets('kjs');
    assert.deepEqual(offsets.map((o) => [o.partition, o.low, o.high]).sort(),
      [[0, '0', '2'], [1, '0', '1']]);
    await admin.deleteTopics({ topics: ['kjs'] });
    assert.deepEqual(await admin.listTopics(), []);
    await admin.disconnect();
  } finally {
    await broker.stop();
  }
});
