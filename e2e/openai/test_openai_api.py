"""The official `openai` Python client against a real `gonka-worker serve`.

The worker serves the committed Qwen2 fixture (kernels/llm/fixtures/qwen2), whose greedy
completions and log-probabilities transformers computed (reference.json), so the answers are
checked against transformers, not only for their shape.

    GONKA_WORKER_BIN=target/testnet/gonka-worker $GONKA_VENV/bin/python -m pytest e2e/openai -q
"""

import json
import os
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import openai
import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "kernels" / "llm" / "fixtures" / "qwen2"
REFERENCE = json.loads((FIXTURE / "reference.json").read_text())
KEY = "sk-gonka-test-key-0001"


def worker_bin():
    env = os.environ.get("GONKA_WORKER_BIN")
    if env:
        return env
    target = os.environ.get("CARGO_TARGET_DIR", str(Path.home() / ".cache" / "gonka" / "target"))
    return str(Path(target) / os.environ.get("GONKA_PROFILE", "testnet") / "gonka-worker")


METRICS = {}


def scrape(url):
    """The samples of a Prometheus text exposition: {'name{labels}': value}."""
    text = urllib.request.urlopen(url, timeout=5).read().decode()
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            out[name] = float(value)
    return out


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    keys = tmp_path_factory.mktemp("keys") / "api-keys"
    keys.write_text(f"# test developers\n{KEY}\n")
    port, metrics_port = free_port(), free_port()
    METRICS["url"] = f"http://127.0.0.1:{metrics_port}/metrics"
    log = open(tmp_path_factory.mktemp("log") / "worker.log", "w+")
    proc = subprocess.Popen(
        [worker_bin(), "serve", "--model", str(FIXTURE), "--listen", f"127.0.0.1:{port}",
         "--metrics-listen", f"127.0.0.1:{metrics_port}",
         "--api-keys", str(keys), "--max-batch", "8", "--max-queue", "64"],
        stdout=log, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while True:
        try:
            urllib.request.urlopen(base + "/health", timeout=1).read()
            break
        except (urllib.error.URLError, ConnectionError):
            if proc.poll() is not None or time.time() > deadline:
                log.seek(0)
                raise RuntimeError("gonka-worker serve did not start:\n" + log.read())
            time.sleep(0.1)
    yield base
    proc.terminate()
    assert proc.wait(timeout=20) == 0, "serve exits cleanly on SIGTERM"


@pytest.fixture
def client(server):
    return openai.OpenAI(base_url=server + "/v1", api_key=KEY, max_retries=0, timeout=60)


def health(server):
    return json.loads(urllib.request.urlopen(server + "/health", timeout=5).read())


def chat0():
    return REFERENCE["chats"][0]


def user_messages(chat):
    return chat["messages"]


def test_models(client):
    models = client.models.list()
    assert [m.id for m in models.data] == ["qwen2"]
    assert client.models.retrieve("qwen2").id == "qwen2"
    with pytest.raises(openai.NotFoundError):
        client.models.retrieve("gpt-4o")


def test_greedy_chat_is_transformers_completion(client):
    c = chat0()
    r = client.chat.completions.create(
        model="qwen2", messages=user_messages(c), temperature=0, max_tokens=REFERENCE["new_tokens"]
    )
    assert r.object == "chat.completion"
    assert r.choices[0].message.role == "assistant"
    assert r.choices[0].message.content == c["greedy_text"]
    ended_on_stop = c["greedy_ids"][-1] in REFERENCE["stop_ids"]
    assert r.choices[0].finish_reason == ("stop" if ended_on_stop else "length")
    assert r.usage.prompt_tokens == len(c["prompt_ids"])
    assert r.usage.completion_tokens == len(c["greedy_ids"])
    assert r.usage.total_tokens == r.usage.prompt_tokens + r.usage.completion_tokens


def test_streaming_chat_in_openai_chunk_order(client):
    c = chat0()
    stream = client.chat.completions.create(
        model="qwen2", messages=user_messages(c), temperature=0, max_tokens=REFERENCE["new_tokens"],
        stream=True, stream_options={"include_usage": True},
    )
    chunks = list(stream)
    assert chunks[0].choices[0].delta.role == "assistant"
    text = "".join(ch.choices[0].delta.content or "" for ch in chunks if ch.choices)
    assert text == c["greedy_text"]
    finish = [ch for ch in chunks if ch.choices and ch.choices[0].finish_reason]
    assert len(finish) == 1 and chunks.index(finish[0]) == len(chunks) - 2
    last = chunks[-1]
    assert last.choices == [] and last.usage.completion_tokens == len(c["greedy_ids"])
    assert all(ch.usage is None for ch in chunks[:-1])
    assert len({ch.id for ch in chunks}) == 1


def test_completions_stream_and_json_agree(client):
    prompt = "Hello, world! How are"
    r = client.completions.create(model="qwen2", prompt=prompt, temperature=0, max_tokens=10)
    assert r.object == "text_completion" and r.usage.completion_tokens == 10
    streamed = "".join(ch.choices[0].text for ch in client.completions.create(
        model="qwen2", prompt=prompt, temperature=0, max_tokens=10, stream=True) if ch.choices)
    assert streamed == r.choices[0].text


def test_logprobs_are_transformers_ones(client):
    c = chat0()
    r = client.chat.completions.create(
        model="qwen2", messages=user_messages(c), temperature=0, max_tokens=REFERENCE["new_tokens"],
        logprobs=True, top_logprobs=5,
    )
    content = r.choices[0].logprobs.content
    assert len(content) == r.usage.completion_tokens
    for pos, entry in enumerate(content):
        want = c["top5"][pos]
        assert len(entry.top_logprobs) == 5
        assert abs(entry.logprob - want[0][1]) < 1e-4
        for alt, (_, lp) in zip(entry.top_logprobs, want):
            assert abs(alt.logprob - lp) < 1e-4
    r = client.completions.create(model="qwen2", prompt="Hello", temperature=0, max_tokens=4, logprobs=3)
    lp = r.choices[0].logprobs
    assert len(lp.tokens) == len(lp.token_logprobs) == 4 and all(len(t) == 3 for t in lp.top_logprobs)


def test_stop_strings_cut_the_text(client):
    c = chat0()
    full = c["greedy_text"]
    stop = full[3:5]
    assert stop and full.index(stop) == 3
    for stream in (False, True):
        args = dict(model="qwen2", messages=user_messages(c), temperature=0, max_tokens=REFERENCE["new_tokens"],
                    stop=[stop, "never-appears"])
        if stream:
            chunks = list(client.chat.completions.create(stream=True, **args))
            text = "".join(ch.choices[0].delta.content or "" for ch in chunks if ch.choices)
            reason = [ch.choices[0].finish_reason for ch in chunks if ch.choices and ch.choices[0].finish_reason]
            assert reason == ["stop"]
        else:
            r = client.chat.completions.create(**args)
            text, reason = r.choices[0].message.content, r.choices[0].finish_reason
            assert reason == "stop"
        assert text == full[:3], (stream, text)


def test_seed_reproducibility(client):
    def once(seed):
        r = client.chat.completions.create(
            model="qwen2", messages=[{"role": "user", "content": "Tell me about tokens"}],
            temperature=1.0, max_tokens=16, seed=seed)
        return r.choices[0].message.content
    assert once(123) == once(123)
    assert len({once(s) for s in range(124, 128)} | {once(123)}) > 1


def test_bad_key_and_no_key(server):
    bad = openai.OpenAI(base_url=server + "/v1", api_key="sk-wrong-key", max_retries=0)
    with pytest.raises(openai.AuthenticationError) as e:
        bad.models.list()
    assert e.value.status_code == 401
    req = urllib.request.Request(server + "/v1/models")
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(req)
    assert e.value.code == 401
    assert json.loads(e.value.read())["error"]["code"] == "invalid_api_key"


def test_too_long_prompt_and_bad_fields(client):
    with pytest.raises(openai.BadRequestError) as e:
        client.chat.completions.create(model="qwen2", messages=[{"role": "user", "content": "token " * 400}])
    assert e.value.code == "context_length_exceeded"
    with pytest.raises(openai.BadRequestError) as e:
        client.chat.completions.create(model="qwen2", messages=[{"role": "user", "content": "hi"}], n=2)
    assert e.value.param == "n"
    with pytest.raises(openai.BadRequestError) as e:
        client.chat.completions.create(model="qwen2", messages=[])
    assert e.value.param == "messages"
    with pytest.raises(openai.BadRequestError) as e:
        client.chat.completions.create(model="qwen2", messages=[{"role": "user", "content": "hi"}], max_tokens=0)
    assert e.value.param == "max_tokens"
    with pytest.raises(openai.BadRequestError) as e:
        client.chat.completions.create(model="qwen2", messages=[{"role": "user", "content": "hi"}],
                                       stop=["a", "b", "c", "d", "e"])
    assert e.value.param == "stop"
    with pytest.raises(openai.NotFoundError) as e:
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}])
    assert e.value.code == "model_not_found"


def test_malformed_and_oversized_bodies(server):
    def post(body):
        req = urllib.request.Request(server + "/v1/chat/completions", data=body, method="POST",
                                     headers={"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"})
        try:
            urllib.request.urlopen(req, timeout=10)
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read())["error"]
        raise AssertionError("accepted")
    code, err = post(b"{not json")
    assert code == 400 and err["type"] == "invalid_request_error"
    code, err = post(json.dumps({"model": "qwen2", "messages": [{"role": "user", "content": "x" * (2 << 20)}]}).encode())
    assert code == 413 and err["code"] == "request_too_large"
    code, err = post(json.dumps({"model": "qwen2", "messages": [{"role": "user", "content": "hi"}], "temperature": "hot"}).encode())
    assert code == 400 and err["param"] == "temperature"


def test_32_concurrent_streams_all_finish_with_correct_usage(client, server):
    c = chat0()
    want = client.chat.completions.create(
        model="qwen2", messages=user_messages(c), temperature=0, max_tokens=REFERENCE["new_tokens"])
    results, errors = [None] * 32, []

    def one(i):
        try:
            chunks = list(client.chat.completions.create(
                model="qwen2", messages=user_messages(c), temperature=0, max_tokens=REFERENCE["new_tokens"],
                stream=True, stream_options={"include_usage": True}))
            text = "".join(ch.choices[0].delta.content or "" for ch in chunks if ch.choices)
            results[i] = (text, chunks[-1].usage.completion_tokens, chunks[-1].usage.prompt_tokens)
        except Exception as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(32)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    for r in results:
        assert r == (want.choices[0].message.content, want.usage.completion_tokens, want.usage.prompt_tokens)


def test_a_client_that_disconnects_frees_its_slot(tmp_path):
    # A server whose steps take 20 ms, so a 150-token generation is still running when the
    # client goes away.
    port = free_port()
    metrics = f"http://127.0.0.1:{free_port()}"
    proc = subprocess.Popen(
        [worker_bin(), "serve", "--model", str(FIXTURE), "--listen", f"127.0.0.1:{port}",
         "--metrics-listen", metrics[len("http://"):], "--test-step-delay-ms", "20"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while True:
            try:
                health(base)
                break
            except (urllib.error.URLError, ConnectionError):
                assert proc.poll() is None and time.time() < deadline, "serve did not start"
                time.sleep(0.1)
        slow = openai.OpenAI(base_url=base + "/v1", api_key="none", max_retries=0, timeout=60)
        for seed in range(5, 15):
            stream = slow.chat.completions.create(
                model="qwen2", messages=[{"role": "user", "content": "Write a long story"}],
                temperature=1.0, seed=seed, max_tokens=150, stream=True)
            seen = [next(iter(stream)) for _ in range(3)]
            if any(ch.choices and ch.choices[0].finish_reason for ch in seen):
                continue  # ended on its own (an EOS token): try another seed
            assert health(base)["active"] == 1
            stream.close()
            deadline = time.time() + 5
            while time.time() < deadline:
                h = health(base)
                if h["active"] == 0 and h["cancelled"] == 1:
                    m = scrape(metrics + "/metrics")
                    assert m['gonka_worker_inference_finished_total{reason="cancelled"}'] == 1, m
                    return
                time.sleep(0.02)
            raise AssertionError(f"the abandoned generation still runs: {health(base)}")
        raise AssertionError("every seed ended within three chunks")
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_metrics_count_requests_tokens_and_latency(client, server):
    before = scrape(METRICS["url"])
    r = client.chat.completions.create(model="qwen2", messages=chat0()["messages"], max_tokens=5, temperature=0)
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(model="nope", messages=chat0()["messages"])
    after = scrape(METRICS["url"])

    def grew(name):
        return after.get(name, 0) - before.get(name, 0)

    assert grew('gonka_worker_inference_requests_total{endpoint="chat",status="200"}') == 1
    assert grew('gonka_worker_inference_requests_total{endpoint="chat",status="404"}') == 1
    assert grew("gonka_worker_inference_prompt_tokens_total") == r.usage.prompt_tokens
    assert grew("gonka_worker_inference_completion_tokens_total") == r.usage.completion_tokens
    assert grew(f'gonka_worker_inference_finished_total{{reason="{r.choices[0].finish_reason}"}}') == 1
    assert grew("gonka_worker_inference_time_to_first_token_seconds_count") == 1
    assert grew("gonka_worker_inference_request_duration_seconds_count") == 1
    assert after["gonka_worker_inference_running"] == 0
    # The public API port serves no metrics.
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(server + "/metrics", timeout=5)
    assert e.value.code == 404
