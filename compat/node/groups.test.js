// A KafkaJS consumer group (KafkaJS consumers always join a group) reads exactly what was
// produced and commits it; the next run with the same groupId reads nothing old, only what is
// produced after it joined.
const test = require('node:test');
const assert = require('node:assert/strict');
const { Kafka, logLevel } = require('kafkajs');
const { startBroker } = require('./broker');

const TOPIC = 'kjs-group';
const GROUP = 'kjs-readers';

async function waitFor(what, predicate, timeoutMs = 45000) {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// One member: joins, collects [partition, offset, value] until disconnected.
async function startMember(kafka) {
  const consumer = kafka.consumer({ groupId: GROUP, sessionTimeout: 10000, heartbeatInterval: 500 });
  const got = [];
  let joined = null;
  consumer.on(consumer.events.GROUP_JOIN, (e) => { joined = e.payload; });
  await consumer.connect();
  await consumer.subscribe({ topics: [TOPIC], fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      got.push([partition, Number(message.offset), message.value.toString()]);
    },
  });
  await waitFor('the member to join its group', () => joined !== null);
  return { consumer, got, joined: () => joined };
}

const sorted = (rows) => [...rows].sort((a, b) => a[0] - b[0] || a[1] - b[1]);

test('kafkajs consumer group commits and resumes', async () => {
  const broker = await startBroker();
  const kafka = new Kafka({ clientId: 'arus-compat-groups', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  const producer = kafka.producer();
  try {
    await admin.connect();
    await producer.connect();
    assert.equal(await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 3 }] }), true);
    const expected = [];
    const messages = [];
    for (let p = 0; p < 3; p += 1) {
      for (let i = 0; i < 10; i += 1) {
        messages.push({ partition: p, key: 'k', value: `first-${p}-${i}` });
        expected.push([p, i, `first-${p}-${i}`]);
      }
    }
    await producer.send({ topic: TOPIC, messages });

    // First run: everything, exactly once, then offsets 10 committed for each partition.
    const first = await startMember(kafka);
    assert.deepEqual([...first.joined().memberAssignment[TOPIC]].sort(), [0, 1, 2]);
    await waitFor('30 messages', () => first.got.length >= 30);
    await sleep(1000);
    const described = await admin.describeGroups([GROUP]);
    assert.deepEqual(described.groups.map((g) => [g.groupId, g.state, g.protocolType, g.protocol, g.members.length]),
      [[GROUP, 'Stable', 'consumer', 'RoundRobinAssigner', 1]]);
    await first.consumer.disconnect();
    assert.deepEqual(sorted(first.got), expected);

    const offsets = async () => (await admin.fetchOffsets({ groupId: GROUP, topics: [TOPIC] }))[0]
      .partitions.map((p) => [p.partition, p.offset]).sort((a, b) => a[0] - b[0]);
    assert.deepEqual(await offsets(), [[0, '10'], [1, '10'], [2, '10']]);
    const afterLeave = await admin.describeGroups([GROUP]);
    assert.deepEqual(afterLeave.groups.map((g) => [g.groupId, g.state, g.members.length]), [[GROUP, 'Empty', 0]]);
    const listed = await admin.listGroups();
    assert.deepEqual(listed.groups, [{ groupId: GROUP, protocolType: 'consumer' }]);

    // Second run, same groupId: nothing old arrives, only what is produced after it joined.
    const second = await startMember(kafka);
    await sleep(3000);
    assert.deepEqual(second.got, []);
    await producer.send({ topic: TOPIC, messages: [0, 1, 2].map((p) => ({ partition: p, key: 'k', value: `second-${p}` })) });
    await waitFor('3 new messages', () => second.got.length >= 3);
    await sleep(1000);
    await second.consumer.disconnect();
    assert.deepEqual(sorted(second.got), [[0, 10, 'second-0'], [1, 10, 'second-1'], [2, 10, 'second-2']]);
    assert.deepEqual(await offsets(), [[0, '11'], [1, '11'], [2, '11']]);
  } finally {
    await producer.disconnect().catch(() => {});
    await admin.disconnect().catch(() => {});
    await broker.stop();
  }
});
