"""The contract is self-consistent and its docs page is the one rendered from the code."""

from __future__ import annotations

from sentinella.contract import TABLES, ColumnKind, get_table, render_markdown
from support import REPO


def test_docs_page_is_generated_from_the_code() -> None:
    page = (REPO / "docs" / "data-contract.md").read_text(encoding="utf-8")
    assert page == render_markdown(), "run: sentinella contract > docs/data-contract.md"


def test_every_key_and_reference_names_a_real_column() -> None:
    for spec in TABLES.values():
        for key in spec.key:
            assert key in spec.column_names
        for column in spec.columns:
            if column.references:
                table, name = column.references.split(".")
                assert name in get_table(table).column_names
            if column.kind is ColumnKind.ENUM:
                assert column.allowed


def test_arrow_schema_marks_required_columns_not_nullable() -> None:
    schema = get_table("orders").arrow_schema()
    assert not schema.field("order_id").nullable
    assert schema.field("listing_id").nullable
    assert str(schema.field("amount").type) == "decimal128(18, 4)"


def test_product_md_table_list() -> None:
    assert list(TABLES) == [
        "members",
        "merchants",
        "listings",
        "orders",
        "reviews",
        "payments",
        "ties",
        "posts",
        "media",
    ]


def test_contract_command_prints_json_for_scripts() -> None:
    import json

    from typer.testing import CliRunner

    from sentinella.cli import app

    done = CliRunner().invoke(app, ["contract", "--json"])
    tables = {t["table"]: t for t in json.loads(done.stdout)}
    assert set(tables) == set(TABLES)
    status = next(c for c in tables["orders"]["columns"] if c["name"] == "status")
    assert status["required"] and "completed" in status["allowed"]
