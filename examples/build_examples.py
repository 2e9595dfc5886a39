"""Write the sample case and its broken copy shipped in examples/.

The files are committed; this script says how they were made and re-makes them byte for byte:
    python examples/build_examples.py
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from PIL import Image, ImageDraw

from sentinella.contract import TABLES

HERE = Path(__file__).resolve().parent
SAMPLE = HERE / "sample-case"
BROKEN = HERE / "broken-case"

MEMBERS = [
    # member_id, joined_at, sponsor_id, left_at, name, phone, id_number, device_id, bank_account
    (
        "M001",
        "2024-01-03T09:00:00+08:00",
        "",
        "",
        "Zhang Wei",
        "+8613800000001",
        "ID-110101-1",
        "dev-a1",
        "622200001",
    ),
    (
        "M002",
        "2024-01-05T10:12:00+08:00",
        "M001",
        "",
        "Li Na",
        "+8613800000002",
        "ID-110101-2",
        "dev-a2",
        "622200002",
    ),
    (
        "M003",
        "2024-01-06T11:30:00+08:00",
        "M001",
        "",
        "Wang Fang",
        "+8613800000003",
        "ID-110101-3",
        "dev-a3",
        "622200003",
    ),
    (
        "M004",
        "2024-01-09T08:45:00+08:00",
        "M002",
        "",
        "Liu Yang",
        "+8613800000004",
        "ID-110101-4",
        "dev-a4",
        "622200004",
    ),
    (
        "M005",
        "2024-01-10T14:00:00+08:00",
        "M002",
        "",
        "Chen Jing",
        "+8613800000005",
        "ID-110101-5",
        "dev-a5",
        "622200005",
    ),
    (
        "M006",
        "2024-01-12T16:20:00+08:00",
        "M003",
        "",
        "Yang Li",
        "+8613800000006",
        "ID-110101-6",
        "dev-a6",
        "622200006",
    ),
    (
        "M007",
        "2024-01-15T09:10:00+08:00",
        "M004",
        "",
        "Zhao Min",
        "+8613800000007",
        "ID-110101-7",
        "dev-a7",
        "622200007",
    ),
    (
        "M008",
        "2024-01-18T19:00:00+08:00",
        "M004",
        "2024-06-30T00:00:00+08:00",
        "Huang Lei",
        "+8613800000008",
        "ID-110101-8",
        "dev-a8",
        "622200008",
    ),
    (
        "M009",
        "2024-02-01T10:00:00+08:00",
        "M005",
        "",
        "Zhou Tao",
        "+8613800000009",
        "ID-110101-9",
        "dev-a9",
        "622200009",
    ),
    (
        "M010",
        "2024-02-03T12:00:00+08:00",
        "M005",
        "",
        "Wu Xia",
        "+8613800000010",
        "ID-110101-10",
        "dev-a10",
        "622200010",
    ),
    # M011 is M004's second account: same phone and ID number.
    (
        "M011",
        "2024-02-10T08:00:00+08:00",
        "M002",
        "",
        "Liu Y.",
        "+8613800000004",
        "ID-110101-4",
        "dev-b11",
        "622200011",
    ),
    (
        "M012",
        "2024-02-11T09:00:00+08:00",
        "M011",
        "",
        "Sun Hui",
        "+8613800000012",
        "ID-110101-12",
        "dev-a12",
        "622200012",
    ),
    ("B001", "2023-11-01T10:00:00+01:00", "", "", "Giulia Rossi", "+393400000001", "", "dev-c1", ""),
    ("B002", "2023-12-02T18:30:00+01:00", "", "", "Marco Bianchi", "+393400000002", "", "dev-c2", ""),
    ("B003", "2024-01-20T07:15:00Z", "", "", "Emily Clark", "+447700000003", "", "dev-c3", ""),
    ("B004", "2024-02-14T21:00:00+08:00", "", "", "Ma Jun", "+8613900000004", "", "dev-c4", ""),
    ("B005", "2024-02-20T13:00:00+08:00", "", "", "Gao Yan", "+8613900000005", "", "dev-c5", ""),
    ("B006", "2024-03-01T09:30:00+08:00", "", "", "Lin Qing", "+8613900000006", "", "dev-c6", ""),
    (
        "S001",
        "2023-10-01T09:00:00+08:00",
        "",
        "",
        "Xu Shop Owner",
        "+8613700000001",
        "ID-440301-1",
        "dev-s1",
        "622800001",
    ),
    (
        "S002",
        "2023-10-15T09:00:00+08:00",
        "",
        "",
        "He Daigou",
        "+8613700000002",
        "ID-440301-2",
        "dev-s2",
        "622800002",
    ),
    (
        "S003",
        "2023-11-20T09:00:00+08:00",
        "",
        "",
        "Guo Outlet",
        "+8613700000003",
        "ID-440301-3",
        "dev-s3",
        "622800003",
    ),
]

MERCHANTS = [
    ("SHOP1", "S001", "Xu's Beauty Corner", "2023-10-02T09:00:00+08:00", "skincare"),
    ("SHOP2", "S002", "Milano Daigou 米兰代购", "2023-10-16T09:00:00+08:00", "handbags"),
    ("SHOP3", "S003", "Guo Outlet Store", "2023-11-21T09:00:00+08:00", "skincare"),
    ("SHOP4", "M001", "Zhang Wellness Team", "2024-01-04T09:00:00+08:00", "supplements"),
]

LISTINGS = [
    (
        "L001",
        "SHOP1",
        "Lumière Hydra Serum 50ml 保湿精华",
        "329.00",
        "CNY",
        "Lumière",
        "skincare",
        "6901234567892",
        "2023-10-05T10:00:00+08:00",
    ),
    (
        "L002",
        "SHOP3",
        "LUMIERE hydra-serum 50 ml",
        "119.00",
        "CNY",
        "Lumiere",
        "skincare",
        "6901234567892",
        "2023-11-25T10:00:00+08:00",
    ),
    (
        "L003",
        "SHOP1",
        "Aurora Silk Face Mask x10 面膜",
        "89.00",
        "CNY",
        "Aurora",
        "skincare",
        "6901234567908",
        "2023-10-06T10:00:00+08:00",
    ),
    (
        "L004",
        "SHOP2",
        "Borsa Milano Classica M 手提包",
        "4200.00",
        "CNY",
        "Milano Pelle",
        "handbags",
        "8051234567895",
        "2023-10-20T10:00:00+08:00",
    ),
    (
        "L005",
        "SHOP2",
        "Milano Pelle classic tote, medium",
        "589.00",
        "EUR",
        "Milano Pelle",
        "handbags",
        "8051234567895",
        "2024-01-10T10:00:00+01:00",
    ),
    (
        "L006",
        "SHOP4",
        "VitaPlus 复合维生素 120粒",
        "268.00",
        "CNY",
        "VitaPlus",
        "supplements",
        "",
        "2024-01-04T12:00:00+08:00",
    ),
    (
        "L007",
        "SHOP4",
        "Starter distributor pack 入门套装",
        "1980.00",
        "CNY",
        "VitaPlus",
        "supplements",
        "",
        "2024-01-04T12:00:00+08:00",
    ),
    (
        "L008",
        "SHOP3",
        "Aurora silk mask 10 pcs (clearance 清仓)",
        "45.00",
        "CNY",
        "Aurora",
        "skincare",
        "6901234567908",
        "2024-02-01T10:00:00+08:00",
    ),
]

ORDERS = [
    # order_id, buyer, merchant, amount, currency, placed_at, status, listing, qty,
    # completed_at, ship_to, device, tracking
    (
        "O001",
        "B001",
        "SHOP1",
        "329.00",
        "CNY",
        "2024-02-01T10:00:00+08:00",
        "completed",
        "L001",
        1,
        "2024-02-05T10:00:00+08:00",
        "Via Roma 1, Milano",
        "dev-c1",
        "SF1000001",
    ),
    (
        "O002",
        "B002",
        "SHOP1",
        "178.00",
        "CNY",
        "2024-02-02T11:00:00+08:00",
        "completed",
        "L003",
        2,
        "2024-02-06T11:00:00+08:00",
        "Corso Como 5, Milano",
        "dev-c2",
        "SF1000002",
    ),
    (
        "O003",
        "B003",
        "SHOP1",
        "329.00",
        "CNY",
        "2024-02-03T12:00:00+08:00",
        "refunded",
        "L001",
        1,
        "",
        "10 High St, London",
        "dev-c3",
        "SF1000003",
    ),
    (
        "O004",
        "B004",
        "SHOP2",
        "4200.00",
        "CNY",
        "2024-02-10T09:00:00+08:00",
        "completed",
        "L004",
        1,
        "2024-02-20T09:00:00+08:00",
        "Nanjing Rd 100, Shanghai",
        "dev-c4",
        "EMS200001",
    ),
    (
        "O005",
        "B005",
        "SHOP2",
        "589.00",
        "EUR",
        "2024-02-12T09:00:00+08:00",
        "completed",
        "L005",
        1,
        "2024-02-22T09:00:00+08:00",
        "Huaihai Rd 8, Shanghai",
        "dev-c5",
        "EMS200002",
    ),
    (
        "O006",
        "B006",
        "SHOP3",
        "119.00",
        "CNY",
        "2024-03-02T09:00:00+08:00",
        "completed",
        "L002",
        1,
        "2024-03-05T09:00:00+08:00",
        "Tianhe Rd 3, Guangzhou",
        "dev-c6",
        "ZT300001",
    ),
    (
        "O007",
        "B004",
        "SHOP3",
        "119.00",
        "CNY",
        "2024-03-03T09:00:00+08:00",
        "disputed",
        "L002",
        1,
        "",
        "Nanjing Rd 100, Shanghai",
        "dev-c4",
        "ZT300002",
    ),
    (
        "O008",
        "B005",
        "SHOP3",
        "45.00",
        "CNY",
        "2024-03-04T09:00:00+08:00",
        "completed",
        "L008",
        1,
        "2024-03-07T09:00:00+08:00",
        "Huaihai Rd 8, Shanghai",
        "dev-c5",
        "ZT300003",
    ),
    (
        "O009",
        "M002",
        "SHOP4",
        "1980.00",
        "CNY",
        "2024-01-05T10:30:00+08:00",
        "completed",
        "L007",
        1,
        "2024-01-06T10:30:00+08:00",
        "",
        "dev-a2",
        "",
    ),
    (
        "O010",
        "M003",
        "SHOP4",
        "1980.00",
        "CNY",
        "2024-01-06T11:45:00+08:00",
        "completed",
        "L007",
        1,
        "2024-01-07T11:45:00+08:00",
        "",
        "dev-a3",
        "",
    ),
    (
        "O011",
        "M004",
        "SHOP4",
        "1980.00",
        "CNY",
        "2024-01-09T09:00:00+08:00",
        "completed",
        "L007",
        1,
        "2024-01-10T09:00:00+08:00",
        "",
        "dev-a4",
        "",
    ),
    (
        "O012",
        "M005",
        "SHOP4",
        "1980.00",
        "CNY",
        "2024-01-10T14:10:00+08:00",
        "completed",
        "L007",
        1,
        "2024-01-11T14:10:00+08:00",
        "",
        "dev-a5",
        "",
    ),
    (
        "O013",
        "B006",
        "SHOP4",
        "268.00",
        "CNY",
        "2024-03-10T10:00:00+08:00",
        "completed",
        "L006",
        1,
        "2024-03-12T10:00:00+08:00",
        "Tianhe Rd 3, Guangzhou",
        "dev-c6",
        "YT400001",
    ),
    (
        "O014",
        "M007",
        "SHOP4",
        "536.00",
        "CNY",
        "2024-02-01T10:00:00+08:00",
        "paid",
        "L006",
        2,
        "",
        "",
        "dev-a7",
        "",
    ),
    (
        "O015",
        "B001",
        "SHOP2",
        "4200.00",
        "CNY",
        "2024-03-15T10:00:00+01:00",
        "shipped",
        "L004",
        1,
        "",
        "Via Roma 1, Milano",
        "dev-c1",
        "EMS200003",
    ),
]

REVIEWS = [
    {
        "review_id": "R001",
        "order_id": "O001",
        "rating": 5,
        "created_at": "2024-02-06T10:00:00+08:00",
        "dsr_described": 5,
        "dsr_service": 5,
        "dsr_shipping": 4,
        "text": "Genuine, fast shipping",
    },
    {
        "review_id": "R002",
        "order_id": "O002",
        "rating": 4,
        "created_at": "2024-02-07T10:00:00+08:00",
        "dsr_described": 4,
        "dsr_service": 4,
        "dsr_shipping": 4,
        "text": "Buone maschere",
    },
    {
        "review_id": "R003",
        "order_id": "O003",
        "rating": 2,
        "created_at": "2024-02-04T10:00:00+08:00",
        "text": "Wrong item, refunded",
    },
    {
        "review_id": "R004",
        "order_id": "O004",
        "rating": 5,
        "created_at": "2024-02-21T10:00:00+08:00",
        "dsr_described": 5,
        "dsr_service": 5,
        "dsr_shipping": 5,
        "text": "正品，很满意",
    },
    {
        "review_id": "R005",
        "order_id": "O005",
        "rating": 5,
        "created_at": "2024-02-23T10:00:00+08:00",
        "dsr_described": 5,
        "dsr_service": 4,
        "dsr_shipping": 3,
    },
    {
        "review_id": "R006",
        "order_id": "O006",
        "rating": 1,
        "created_at": "2024-03-06T10:00:00+08:00",
        "dsr_described": 1,
        "dsr_service": 2,
        "dsr_shipping": 3,
        "text": "Smells wrong, fake?",
    },
    {
        "review_id": "R007",
        "order_id": "O008",
        "rating": 3,
        "created_at": "2024-03-08T10:00:00+08:00",
        "dsr_described": 3,
        "dsr_service": 3,
        "dsr_shipping": 3,
        "text": "ok for the price",
    },
    {
        "review_id": "R008",
        "order_id": "O009",
        "rating": 5,
        "created_at": "2024-01-07T10:00:00+08:00",
        "text": "Great opportunity!",
    },
    {
        "review_id": "R009",
        "order_id": "O013",
        "rating": 4,
        "created_at": "2024-03-13T10:00:00+08:00",
        "dsr_described": 4,
        "dsr_service": 5,
        "dsr_shipping": 4,
    },
]

PAYMENTS = [
    # payment_id, payer, payee, amount, currency, kind, paid_at, order_id, basis, level
    ("P001", "M002", "M001", "1980.00", "CNY", "entry_fee", "2024-01-05T10:30:00+08:00", "O009", "", ""),
    ("P002", "M003", "M001", "1980.00", "CNY", "entry_fee", "2024-01-06T11:45:00+08:00", "O010", "", ""),
    ("P003", "M004", "M002", "1980.00", "CNY", "entry_fee", "2024-01-09T09:00:00+08:00", "O011", "", ""),
    (
        "P004",
        "M002",
        "M001",
        "396.00",
        "CNY",
        "commission",
        "2024-01-09T09:05:00+08:00",
        "O011",
        "recruitment",
        "1",
    ),
    ("P005", "M005", "M002", "1980.00", "CNY", "entry_fee", "2024-01-10T14:10:00+08:00", "O012", "", ""),
    (
        "P006",
        "M002",
        "M001",
        "396.00",
        "CNY",
        "commission",
        "2024-01-10T14:15:00+08:00",
        "O012",
        "recruitment",
        "1",
    ),
    (
        "P007",
        "M004",
        "M002",
        "198.00",
        "CNY",
        "commission",
        "2024-01-15T09:20:00+08:00",
        "",
        "recruitment",
        "1",
    ),
    (
        "P008",
        "M004",
        "M001",
        "99.00",
        "CNY",
        "commission",
        "2024-01-15T09:20:00+08:00",
        "",
        "recruitment",
        "2",
    ),
    ("P009", "M001", "M003", "150.00", "CNY", "bonus", "2024-02-01T12:00:00+08:00", "", "", ""),
    (
        "P010",
        "M001",
        "M008",
        "80.00",
        "CNY",
        "commission",
        "2024-07-15T12:00:00+08:00",
        "",
        "downline_sales",
        "3",
    ),
    ("P011", "B006", "S001", "268.00", "CNY", "purchase", "2024-03-10T10:00:00+08:00", "O013", "", ""),
    ("P012", "M002", "M002", "500.00", "CNY", "withdrawal", "2024-02-28T12:00:00+08:00", "", "", ""),
]

TIES = [
    ("M001", "M002", "friend", "", "2023-06-01T00:00:00Z"),
    ("M001", "M003", "friend", "", "2023-06-01T00:00:00Z"),
    ("M002", "M004", "friend", "", "2023-08-01T00:00:00Z"),
    ("M002", "M005", "friend", "", "2023-08-01T00:00:00Z"),
    ("M004", "M007", "friend", "", "2023-09-01T00:00:00Z"),
    ("M001", "M002", "group", "G-wellness", "2024-01-05T00:00:00Z"),
    ("M001", "M003", "group", "G-wellness", "2024-01-06T00:00:00Z"),
    ("B004", "B005", "friend", "", "2022-01-01T00:00:00Z"),
    ("S002", "B004", "friend", "", "2021-05-01T00:00:00Z"),
]

POSTS = [
    {
        "post_id": "PO1",
        "member_id": "S002",
        "posted_at": "2024-01-09T18:00:00+01:00",
        "text": "Shopping in Milano today! 今天在米兰扫货",
        "claimed_place": "Milan, Italy",
    },
    {
        "post_id": "PO2",
        "member_id": "S002",
        "posted_at": "2024-01-12T10:00:00+01:00",
        "text": "Receipts for your orders",
        "claimed_place": "Milan, Italy",
    },
    {
        "post_id": "PO3",
        "member_id": "S003",
        "posted_at": "2024-02-01T10:00:00+08:00",
        "text": "清仓 clearance!",
        "claimed_place": "",
    },
    {
        "post_id": "PO4",
        "member_id": "M001",
        "posted_at": "2024-01-04T20:00:00+08:00",
        "text": "Join my team, earn while you sleep 躺赚",
    },
]

MEDIA = [
    ("IMG1", "media/listing-L001.jpg", "S001", "listing", "L001", "2023-10-05T10:00:00+08:00"),
    ("IMG2", "media/listing-L002.jpg", "S003", "listing", "L002", "2023-11-25T10:00:00+08:00"),
    ("IMG3", "media/origin-PO1.jpg", "S002", "origin", "PO1", "2024-01-09T18:00:00+01:00"),
]


def _write_csv(
    path: Path, header: tuple[str, ...], rows: list[tuple[object, ...]], delimiter: str = ","
) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter=delimiter, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def _write_jsonl(path: Path, rows: list[dict[str, object]]) -> None:
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")


def _write_orders_parquet(path: Path, rows: list[tuple[object, ...]]) -> None:
    """Orders as Parquet with the contract's types, the way a platform export would be."""
    import datetime as dt
    from decimal import Decimal

    spec = TABLES["orders"]
    columns = list(zip(*rows, strict=True))

    def when(text: object) -> dt.datetime | None:
        return dt.datetime.fromisoformat(str(text)) if text else None

    data = {
        "order_id": list(columns[0]),
        "buyer_id": list(columns[1]),
        "merchant_id": list(columns[2]),
        "amount": [Decimal(str(v)) for v in columns[3]],
        "currency": list(columns[4]),
        "placed_at": [when(v) for v in columns[5]],
        "status": list(columns[6]),
        "listing_id": [v or None for v in columns[7]],
        "quantity": list(columns[8]),
        "completed_at": [when(v) for v in columns[9]],
        "ship_to": [v or None for v in columns[10]],
        "device_id": [v or None for v in columns[11]],
        "tracking_no": [v or None for v in columns[12]],
    }
    table = pa.table(data, schema=spec.arrow_schema())
    pq.write_table(table, path, compression="zstd")


def _write_images(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, colour in (
        ("listing-L001.jpg", (200, 160, 210)),
        ("listing-L002.jpg", (195, 158, 205)),
        ("origin-PO1.jpg", (120, 150, 190)),
    ):
        image = Image.new("RGB", (96, 72), colour)
        ImageDraw.Draw(image).rectangle((30, 16, 66, 56), fill=(250, 250, 250))
        image.save(folder / name, format="JPEG", quality=85)


def build_sample(folder: Path) -> None:
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    _write_csv(folder / "members.csv", TABLES["members"].column_names, MEMBERS)
    _write_csv(folder / "merchants.csv", TABLES["merchants"].column_names, MERCHANTS)
    _write_csv(folder / "listings.csv", TABLES["listings"].column_names, LISTINGS)
    _write_orders_parquet(folder / "orders.parquet", ORDERS)
    _write_jsonl(folder / "reviews.jsonl", REVIEWS)  # type: ignore[arg-type]
    _write_csv(folder / "payments.csv", TABLES["payments"].column_names, PAYMENTS)
    _write_csv(folder / "ties.csv", TABLES["ties"].column_names, TIES)
    _write_jsonl(folder / "posts.jsonl", POSTS)  # type: ignore[arg-type]
    _write_csv(folder / "media.csv", TABLES["media"].column_names, MEDIA)
    _write_images(folder / "media")


def build_broken(folder: Path) -> None:
    """The sample with the faults ingestion must name, one kind per table."""
    build_sample(folder)
    members = list(MEMBERS)
    members[2] = (*members[2][:1], "2024-13-01", *members[2][2:])  # bad date
    members.append(MEMBERS[0])  # identical duplicate: counted, not an error
    members.append(("M002", *MEMBERS[1][1:4], "Li Na (changed)", *MEMBERS[1][5:]))  # conflict
    _write_csv(folder / "members.csv", TABLES["members"].column_names, members)
    orders = [list(row) for row in ORDERS]
    orders[1][6] = "lost_in_post"  # unknown status
    orders[2][3] = "-329.00"  # negative amount
    orders[3][5] = "yesterday"  # bad date
    orders.append(list(ORDERS[0]))  # duplicate ID, same content
    _write_csv(
        folder / "orders.csv", TABLES["orders"].column_names, [tuple(r) for r in orders], delimiter=";"
    )
    (folder / "orders.parquet").unlink()
    reviews = [dict(r) for r in REVIEWS]
    reviews.append(
        {"review_id": "R100", "order_id": "O999", "rating": 5, "created_at": "2024-03-20T10:00:00+08:00"}
    )
    reviews.append(
        {"review_id": "R101", "order_id": "O002", "rating": 9, "created_at": "2024-03-20T10:00:00+08:00"}
    )
    _write_jsonl(folder / "reviews.jsonl", reviews)  # type: ignore[arg-type]
    with (folder / "reviews.jsonl").open("a", encoding="utf-8") as handle:
        handle.write('["not", "an", "object"]\n{"review_id": "R102", "order_id": \n')
    payments = list(PAYMENTS)
    payments.append(
        (
            "P013",
            "M003",
            "M001",
            "ten",
            "CNY",
            "commission",
            "2024-01-20T10:00:00+08:00",
            "",
            "recruitment",
            "1",
        )
    )
    payments.append(
        (
            "P014",
            "M003",
            "M001",
            "10.00",
            "RMB",
            "commision",
            "2024-01-20T10:00:00+08:00",
            "",
            "recruitment",
            "0",
        )
    )
    _write_csv(folder / "payments.csv", TABLES["payments"].column_names, payments)
    # A truncated Parquet file: the listings export was cut off mid-write.
    (folder / "listings.csv").unlink()
    full = pa.table(
        {name: [str(row[i]) for row in LISTINGS] for i, name in enumerate(TABLES["listings"].column_names)}
    )
    pq.write_table(full, folder / "listings.parquet")
    data = (folder / "listings.parquet").read_bytes()
    (folder / "listings.parquet").write_bytes(data[: len(data) // 2])


if __name__ == "__main__":
    build_sample(SAMPLE)
    build_broken(BROKEN)
    print(f"wrote {SAMPLE} and {BROKEN}")
