#!/usr/bin/env python3
"""The baseline of scripts/bench-llm: Hugging Face transformers (PyTorch eager, its default SDPA
attention) on the same checkpoint and device as gonka's llm_bench, measured the same way and
printed as the same JSON lines:

* prefill: one forward pass over a prompt of --prompt-len ids (best of three after a warm-up),
  and the time to first token (that pass plus picking the token);
* decode at batch 1 and at each --concurrency: greedy `generate` of exactly --new-tokens + 1
  tokens; the decode rate is the extra tokens over the extra time against a 1-token `generate`
  (so the prefill is not counted in it), every sequence of the batch together;
* memory: the parameters' bytes and the process's peak resident set.
"""

import argparse
import json
import resource
import time

import torch
from transformers import AutoModelForCausalLM


def prompt(n, salt, vocab):
    return [((i * 7919 + salt * 104729 + 13) % (vocab - 1)) for i in range(n)]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", required=True)
    p.add_argument("--device", default="cpu")
    p.add_argument("--dtype", default="float32", choices=["float32", "bfloat16", "float16"])
    p.add_argument("--prompt-len", type=int, default=512)
    p.add_argument("--new-tokens", type=int, default=32)
    p.add_argument("--batch-prompt-len", type=int, default=128)
    p.add_argument("--concurrency", default="8,32")
    a = p.parse_args()
    dev = torch.device(a.device)
    t = time.perf_counter()
    model = AutoModelForCausalLM.from_pretrained(a.model, dtype=getattr(torch, a.dtype)).to(dev).eval()
    load_s = time.perf_counter() - t
    vocab = model.config.vocab_size
    name = f"transformers {torch.__version__} {a.device} {a.dtype}"
    emit = lambda d: print(json.dumps(d), flush=True)
    emit({"engine": "transformers", "backend": name, "load_s": load_s})
    sync = (lambda: torch.cuda.synchronize()) if dev.type == "cuda" else (lambda: None)

    best, ttft = float("inf"), float("inf")
    with torch.inference_mode():
        for r in range(4):
            ids = torch.tensor([prompt(a.prompt_len, r, vocab)], device=dev)
            sync()
            t = time.perf_counter()
            out = model(input_ids=ids, use_cache=True)
            sync()
            prefill = time.perf_counter() - t
            out.logits[0, -1].argmax().item()
            first = time.perf_counter() - t
            if r > 0:
                best, ttft = min(best, prefill), min(ttft, first)
        emit({"engine": "transformers", "backend": name, "bench": "prefill",
              "prompt_tokens": a.prompt_len, "seconds": best,
              "tokens_per_s": a.prompt_len / best, "ttft_s": ttft})

        batches = [(1, a.prompt_len)] + [(int(b), a.batch_prompt_len) for b in a.concurrency.split(",") if b]
        for b, plen in batches:
            ids = torch.tensor([prompt(plen, i + 7, vocab) for i in range(b)], device=dev)
            mask = torch.ones_like(ids)

            def gen(n):
                sync()
                t = time.perf_counter()
                out = model.generate(input_ids=ids, attention_mask=mask, max_new_tokens=n,
                                     min_new_tokens=n, do_sample=False, pad_token_id=0)
                sync()
                assert out.shape[1] == plen + n
                return time.perf_counter() - t

            gen(2)  # warm-up
            one = gen(1)
            full = gen(a.new_tokens + 1)
            decode = full - one
            emit({"engine": "transformers", "backend": name, "bench": "decode", "batch": b,
                  "prompt_tokens": plen, "new_tokens": a.new_tokens, "prefill_s": one,
                  "seconds": decode, "tokens_per_s": b * a.new_tokens / decode})
    params = sum(t.numel() * t.element_size() for t in model.parameters())
    emit({"engine": "transformers", "backend": name, "bench": "memory", "weight_bytes": params,
          "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024})


if __name__ == "__main__":
    main()
