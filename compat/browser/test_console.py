"""The web console in a real headless Chromium against a real broker.

The tests share one broker and run in file order: topics made by the first tests are
browsed by later ones. Each main page is saved as a screenshot (target/console-screenshots,
or $ARUS_SCREENSHOTS).
"""

import json
import re
import time
import urllib.request

from confluent_kafka import Consumer, TopicPartition
from playwright.sync_api import expect

from conftest import arus, screenshot_dir

SCRIPT_VALUE = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">'


def shot(page, name):
    page.screenshot(path=str(screenshot_dir() / ("%s.png" % name)), full_page=True)


def rows(page):
    """(partition, offset, key, value) of every row of the message table."""
    out = []
    for r in page.locator("#records tbody tr").all():
        cells = [c.text_content() for c in r.locator("td").all()]
        out.append((int(cells[0]), int(cells[1]), cells[3], cells[5]))
    return out


def produce_cli(broker, topic, lines):
    arus(
        "console-producer", "--bootstrap-server", broker.bootstrap, "--topic", topic,
        "--property", "parse.key=true",
        input="".join("%s\t%s\n" % kv for kv in lines),
    )


def metrics(broker):
    text = urllib.request.urlopen(broker.console_url + "/metrics", timeout=30).read().decode()
    samples = {}
    types = {}
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            types[name] = kind
            continue
        if not line or line.startswith("#"):
            continue
        m = re.match(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)$', line)
        assert m, "not Prometheus text: %r" % line
        name, labels, value = m.group(1), m.group(2) or "", m.group(3)
        parsed = tuple(sorted(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', labels)))
        samples[(name, parsed)] = float(value)
    return samples, types


def test_create_topic_from_the_ui(page, broker):
    page.goto("/topics")
    page.fill("#create-topic [name=name]", "orders")
    page.fill("#create-topic [name=partitions]", "3")
    page.fill("#create-topic [name=configs]", "retention.ms=3600000")
    page.click("#create-topic button")
    expect(page).to_have_url(re.compile(r"/topics/orders\?ok="))
    expect(page.locator("#partitions tbody tr")).to_have_count(3)
    expect(page.locator("#configs tr.override", has_text="retention.ms")).to_contain_text("3600000")
    described = arus("topics", "--bootstrap-server", broker.bootstrap, "--describe", "--topic", "orders")
    assert "PartitionCount: 3" in described
    shot(page, "topic")

    # Add a partition, change a config, from the same page.
    page.fill("#add-partitions [name=count]", "4")
    page.click("#add-partitions button")
    expect(page.locator("#partitions tbody tr")).to_have_count(4)
    page.fill("#edit-config [name=key]", "cleanup.policy")
    page.fill("#edit-config [name=value]", "compact")
    page.click("#edit-config button[value=set]")
    expect(page.locator("#configs tr.override", has_text="cleanup.policy")).to_contain_text("compact")
    configs = arus("configs", "--bootstrap-server", broker.bootstrap, "--describe",
                   "--entity-type", "topics", "--entity-name", "orders")
    assert "cleanup.policy=compact" in configs
    assert "PartitionCount: 4" in arus(
        "topics", "--bootstrap-server", broker.bootstrap, "--describe", "--topic", "orders")


def test_topics_list_filters_and_deletes(page, broker):
    arus("topics", "--bootstrap-server", broker.bootstrap, "--create", "--topic", "scratch")
    page.goto("/topics")
    expect(page.locator("#topics tbody tr[data-topic=orders]")).to_have_count(1)
    expect(page.locator("#topics tbody tr[data-topic=scratch]")).to_have_count(1)
    page.fill("#topic-filter", "scr")
    page.click("form.filter button")
    expect(page.locator("#topics tbody tr")).to_have_count(1)
    expect(page.locator("#topics tbody tr")).to_have_attribute("data-topic", "scratch")

    page.goto("/topics/scratch")
    page.fill("#delete-topic [name=confirm]", "wrong")
    page.click("#delete-topic button")
    expect(page.locator("p.error")).to_contain_text("Type the topic's name")
    page.fill("#delete-topic [name=confirm]", "scratch")
    page.click("#delete-topic button")
    expect(page).to_have_url(re.compile(r"/topics\?ok="))
    expect(page.locator("#topics tbody tr[data-topic=scratch]")).to_have_count(0)
    listed = arus("topics", "--bootstrap-server", broker.bootstrap, "--list").split()
    assert "scratch" not in listed and "orders" in listed


def test_cli_messages_in_the_browser(page, broker):
    arus("topics", "--bootstrap-server", broker.bootstrap, "--create", "--topic", "events")
    lines = [("k%d" % i, "value-%d" % i) for i in range(5)]
    lines.append(("json", '{"user":"ana","n":[1,2]}'))
    lines.append(("xss", SCRIPT_VALUE))
    produce_cli(broker, "events", lines)

    page.goto("/topics/events/messages")
    expect(page.locator("#records tbody tr")).to_have_count(7)
    assert rows(page) == [(0, i, k, v) for i, (k, v) in enumerate(lines)]

    # The <script> value is shown as text and never runs.
    xss = page.locator("#records tbody tr[data-offset='6'] td.value")
    expect(xss).to_have_text(SCRIPT_VALUE)
    assert page.locator("#records img").count() == 0
    assert page.locator("#records script").count() == 0
    assert page.evaluate("window.__pwned") is None

    # JSON pretty-printing and hex.
    page.select_option("#browse [name=format]", "json")
    expect(page.locator("#records tbody tr[data-offset='5'] td.value")).to_have_text(
        '{\n  "user": "ana",\n  "n": [\n    1,\n    2\n  ]\n}')
    page.select_option("#browse [name=format]", "hex")
    expect(page.locator("#records tbody tr[data-offset='0'] td.value")).to_have_text(
        "76 61 6c 75 65 2d 30")
    page.select_option("#browse [name=format]", "text")
    shot(page, "messages")

    # Paging: two per page from offset 1.
    page.select_option("#browse [name=start]", "offset")
    page.fill("#browse [name=at]", "1")
    page.fill("#browse [name=limit]", "2")
    page.click("#load")
    expect(page.locator("#records tbody tr")).to_have_count(2)
    assert [r[1] for r in rows(page)] == [1, 2]
    page.click("#next")
    expect(page.locator("#records tbody tr[data-offset='3']")).to_have_count(1)
    assert [r[1] for r in rows(page)] == [3, 4]

    # Last N.
    page.select_option("#browse [name=start]", "last")
    page.fill("#browse [name=at]", "3")
    page.fill("#browse [name=limit]", "50")
    page.click("#load")
    # Offset 4 was already on the previous page: wait for the new page's own shape.
    expect(page.locator("#records tbody tr")).to_have_count(3)
    expect(page.locator("#records tbody tr[data-offset='6']")).to_have_count(1)
    assert [r[1] for r in rows(page)] == [4, 5, 6]


def test_filter_is_evaluated_on_the_server(page, broker):
    page.goto("/topics/events/messages")
    expect(page.locator("#records tbody tr")).to_have_count(7)
    page.fill("#browse [name=filter]", "value-3")
    page.click("#load")
    expect(page.locator("#records tbody tr")).to_have_count(1)
    assert rows(page) == [(0, 3, "k3", "value-3")]
    # The filter also looks at keys.
    page.fill("#browse [name=filter]", "json")
    page.click("#load")
    expect(page.locator("#records tbody tr")).to_have_count(1)
    assert rows(page)[0][2] == "json"
    api = urllib.request.urlopen(
        broker.console_url + "/api/topics/events/messages?filter=nothing-matches", timeout=30).read()
    assert b'"records":[]' in api and b'"scanned":7' in api


def test_live_tail(page, broker):
    page.goto("/topics/events/messages")
    expect(page.locator("#records tbody tr")).to_have_count(7)
    page.check("#tail")
    expect(page.locator("#status")).to_contain_text("live tail")
    time.sleep(0.5)
    produce_cli(broker, "events", [("live-1", "tailed value")])
    row = page.locator("#records tbody tr[data-offset='7']")
    expect(row).to_have_count(1, timeout=15_000)
    expect(row.locator("td.key")).to_have_text("live-1")
    expect(row.locator("td.value")).to_have_text("tailed value")
    page.uncheck("#tail")


def test_produce_from_the_page(page, broker):
    page.goto("/topics/events/messages")
    page.fill("#produce [name=key]", "from-ui")
    page.fill("#produce [name=value]", "hello from the browser")
    page.fill("#produce [name=headers]", "trace: abc-1")
    page.click("#produce button")
    expect(page.locator("#produce-status")).to_have_text("written to partition 0 at offset 8")
    out = arus("console-consumer", "--bootstrap-server", broker.bootstrap, "--topic", "events",
               "--from-beginning", "--max-messages", "9", "--property", "print.key=true",
               "--property", "print.headers=true")
    assert out.splitlines()[-1] == "trace:abc-1\tfrom-ui\thello from the browser"
    page.click("#load")
    row = page.locator("#records tbody tr[data-offset='8']")
    expect(row.locator("td.headers")).to_have_text("trace: abc-1")

    # A tombstone: the key with a null value.
    page.fill("#produce [name=key]", "gone")
    page.fill("#produce [name=value]", "")
    page.fill("#produce [name=headers]", "")
    page.check("#produce [name=tombstone]")
    page.click("#produce button")
    expect(page.locator("#produce-status")).to_have_text("written to partition 0 at offset 9")
    out = arus("console-consumer", "--bootstrap-server", broker.bootstrap, "--topic", "events",
               "--from-beginning", "--max-messages", "10", "--property", "print.key=true")
    assert out.splitlines()[-1] == "gone\tnull"


def test_partitions_and_start_points(page, broker):
    produce_cli(broker, "orders", [("order-%d" % i, "o%d" % i) for i in range(12)])
    page.goto("/topics/orders/messages")
    expect(page.locator("#records tbody tr")).to_have_count(12)
    everything = rows(page)
    assert sorted(r[2] for r in everything) == sorted("order-%d" % i for i in range(12))
    by_partition = {}
    for p, _, k, _ in everything:
        by_partition.setdefault(p, []).append(k)
    assert len(by_partition) > 1, "12 keys over 4 partitions land in more than one"
    chosen = sorted(by_partition)[:2]
    page.select_option("#browse [name=partitions]", [str(p) for p in chosen])
    page.click("#load")
    want = sum(len(by_partition[p]) for p in chosen)
    expect(page.locator("#records tbody tr")).to_have_count(want)
    assert {r[0] for r in rows(page)} == set(chosen)

    def api(query):
        url = broker.console_url + "/api/topics/orders/messages?" + query
        return json.loads(urllib.request.urlopen(url, timeout=30).read())

    future = int(time.time() * 1000) + 3_600_000
    assert api("start=timestamp&at=%d" % future)["records"] == []
    assert len(api("start=timestamp&at=0")["records"]) == 12
    assert api("start=latest")["records"] == []
    assert api("start=latest")["end"] is True
    # A cursor naming only partition 0 (made before partitions were added) reads the others
    # from their start.
    assert len(api("cursor=0:0")["records"]) == 12


def consumer(broker, group):
    return Consumer({
        "bootstrap.servers": broker.bootstrap,
        "group.id": group,
        "auto.offset.reset": "earliest",
        "enable.auto.commit": False,
    })


def consume(c, n):
    got = []
    deadline = time.time() + 30
    while len(got) < n and time.time() < deadline:
        m = c.poll(0.5)
        if m is not None and m.error() is None:
            got.append(m)
    assert len(got) == n
    return got


def test_group_lag_goes_to_zero_and_reset(page, broker):
    arus("topics", "--bootstrap-server", broker.bootstrap, "--create", "--topic", "jobs")
    produce_cli(broker, "jobs", [("j%d" % i, "job %d" % i) for i in range(20)])

    # A consumer reads 5 and commits, then leaves: lag 15.
    c = consumer(broker, "workers")
    c.subscribe(["jobs"])
    got = consume(c, 5)
    c.commit(message=got[-1], asynchronous=False)
    c.close()

    page.goto("/groups")
    row = page.locator("#groups tbody tr[data-group=workers]")
    expect(row.locator("td.lag")).to_have_text("15")
    page.goto("/groups/workers")
    expect(page.locator("#lag-total")).to_have_text("15")
    expect(page.locator("#offsets tr[data-tp='jobs-0'] td.committed")).to_have_text("5")

    # A consumer catches up while the page watches: 15 → 0 without a reload.
    c = consumer(broker, "workers")
    c.subscribe(["jobs"])
    got = consume(c, 15)
    c.commit(message=got[-1], asynchronous=False)
    expect(page.locator("#lag-total")).to_have_text("0", timeout=20_000)
    expect(page.locator("#offsets tr[data-tp='jobs-0'] td.lag")).to_have_text("0")
    expect(page.locator("#group-state")).to_have_text("Stable")
    page.reload()
    expect(page.locator("#members tbody")).to_contain_text("jobs-0")
    expect(page.locator("#members tbody")).to_contain_text("rdkafka")
    page.goto("/groups")
    expect(page.locator("#groups tbody tr[data-group=workers] td.lag")).to_have_text("0")
    shot(page, "groups")
    page.goto("/groups/workers")
    page.wait_for_timeout(2500)  # a few lag samples for the chart
    shot(page, "group")

    # Offsets of an active group cannot be reset, nor previewed (as with the CLI).
    page.select_option("#reset [name=to]", "earliest")
    expect(page.locator("#reset button[value=apply]")).to_be_disabled()
    page.click("#reset button[value=preview]")
    expect(page.locator("body")).to_contain_text(
        "Assignments can only be reset if the group 'workers' is inactive, but the current state is Stable."
    )
    c.close()

    # Inactive now: preview (dry run) first, nothing changes.
    page.goto("/groups/workers")
    expect(page.locator("#group-state")).to_have_text("Empty")
    page.select_option("#reset [name=to]", "earliest")
    page.click("#reset button[value=preview]")
    expect(page.locator("#reset-result.preview")).to_contain_text("Dry run")
    expect(page.locator("#reset-plan tbody tr td.new")).to_have_text("0")
    described = arus("consumer-groups", "--bootstrap-server", broker.bootstrap, "--describe",
                     "--group", "workers")
    assert re.search(r"workers\s+jobs\s+0\s+20\s+20\s+0\s", described), described

    # Apply: to earliest.
    page.select_option("#reset [name=to]", "earliest")
    page.click("#reset button[value=apply]")
    expect(page.locator("#reset-result.applied")).to_contain_text("Offsets reset")
    described = arus("consumer-groups", "--bootstrap-server", broker.bootstrap, "--describe",
                     "--group", "workers")
    assert re.search(r"workers\s+jobs\s+0\s+0\s+20\s+20\s", described), described

    # Apply: to a time after every record (no offset at or after it: the end).
    page.select_option("#reset [name=to]", "timestamp")
    page.fill("#reset [name=value]", str(int(time.time() * 1000) + 3_600_000))
    page.click("#reset button[value=apply]")
    expect(page.locator("#reset-result.applied")).to_contain_text("Offsets reset")
    described = arus("consumer-groups", "--bootstrap-server", broker.bootstrap, "--describe",
                     "--group", "workers")
    assert re.search(r"workers\s+jobs\s+0\s+20\s+20\s+0\s", described), described

    # Apply: to a given offset.
    page.select_option("#reset [name=to]", "offset")
    page.fill("#reset [name=value]", "7")
    page.click("#reset button[value=apply]")
    expect(page.locator("#reset-result.applied")).to_contain_text("Offsets reset")
    described = arus("consumer-groups", "--bootstrap-server", broker.bootstrap, "--describe",
                     "--group", "workers")
    assert re.search(r"workers\s+jobs\s+0\s+7\s+20\s+13\s", described), described

    # A real consumer of the group now starts at 7.
    c = consumer(broker, "workers")
    c.subscribe(["jobs"])
    assert consume(c, 1)[0].offset() == 7
    c.close()


EVIL_GROUP = '<img src=x onerror="window.__pwned = 3">\\"\'&g'


def test_untrusted_group_id_is_shown_as_text(page, broker):
    c = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": EVIL_GROUP,
                  "enable.auto.commit": False})
    c.commit(offsets=[TopicPartition("events", 0, 3)], asynchronous=False)
    c.close()
    page.goto("/groups")
    link = page.locator("#groups tbody a", has_text="onerror")
    expect(link).to_have_text(EVIL_GROUP)
    assert page.locator("#groups img").count() == 0
    link.click()
    expect(page.locator("h1")).to_have_text("Group " + EVIL_GROUP)
    expect(page.locator("#lag-total")).to_have_text("7")  # events: 10 records, committed 3
    page.wait_for_timeout(2500)  # the page's script polled the lag API with this ID
    expect(page.locator("#lag-total")).to_have_text("7")
    assert page.locator("main img").count() == 0
    assert page.evaluate("window.__pwned") is None


def test_metrics_match_what_the_tests_did(broker):
    samples, types = metrics(broker)

    def get(name, **labels):
        return samples.get((name, tuple(sorted(labels.items()))))

    # Records produced by the CLI and the page: events 7 + 1 (tail) + 2 (page); jobs 20.
    assert get("arus_topic_messages_in_total", topic="events") == 10
    assert get("arus_topic_messages_in_total", topic="jobs") == 20
    assert get("arus_topic_messages_in_total", topic="orders") == 12
    assert get("arus_log_end_offset", topic="jobs", partition="0") == 20
    assert get("arus_topic_messages_out_total", topic="jobs") >= 20
    assert get("arus_messages_in_total") >= 30
    # The group's lag after the reset to 7 (the last consumer committed nothing).
    assert types["arus_consumer_group_lag"] == "gauge"
    assert types["arus_consumer_group_max_lag"] == "gauge"
    assert get("arus_consumer_group_lag", group="workers", topic="jobs", partition="0") == 13
    assert get("arus_consumer_group_max_lag", group="workers") == 13
    escaped = EVIL_GROUP.replace("\\", "\\\\").replace('"', '\\"')
    assert get("arus_consumer_group_max_lag", group=escaped) == 7
    assert get("arus_partitions") >= 4 + 1 + 1
    assert get("arus_under_replicated_partitions") == 0
    assert "arus_request_duration_seconds" in types


def test_overview_and_topics_pages(page, broker):
    page.goto("/")
    expect(page.locator("#topic-count")).to_have_text("3")  # orders, events, jobs
    expect(page.locator("#chart-msgs path.line").first).to_be_attached(timeout=15_000)
    shot(page, "overview")
    page.goto("/topics")
    expect(page.locator("#topics tbody tr")).to_have_count(3)
    expect(page.locator("#topics tbody tr[data-topic=jobs] td").nth(4)).to_have_text("20")
    shot(page, "topics")
