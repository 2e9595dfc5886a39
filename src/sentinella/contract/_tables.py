"""The input tables of the data contract (docs/data-contract.md), as data."""

from __future__ import annotations

from ._model import Column, ColumnKind, TableSpec

ID = ColumnKind.ID
TEXT = ColumnKind.TEXT
TIME = ColumnKind.TIMESTAMP
MONEY = ColumnKind.MONEY
CURRENCY = ColumnKind.CURRENCY
ENUM = ColumnKind.ENUM
INT = ColumnKind.INTEGER

ORDER_STATUSES = (
    "placed",
    "paid",
    "shipped",
    "delivered",
    "completed",
    "refunded",
    "disputed",
    "cancelled",
)
PAYMENT_KINDS = ("entry_fee", "purchase", "commission", "bonus", "refund", "withdrawal", "other")
COMMISSION_BASES = ("own_sales", "downline_sales", "recruitment")
TIE_KINDS = ("friend", "group")
MEDIA_CONTEXTS = ("listing", "post", "receipt", "delivery", "origin")


MEMBERS = TableSpec(
    name="members",
    description="Every account on the platform or in the seized records.",
    key=("member_id",),
    needed_by=("every analysis",),
    columns=(
        Column("member_id", ID, "The account's ID.", required=True),
        Column("joined_at", TIME, "When the account joined."),
        Column(
            "sponsor_id",
            ID,
            "Who recruited this account (their member_id); empty for a root.",
            references="members.member_id",
        ),
        Column("left_at", TIME, "When the account left or was closed."),
        Column("name", TEXT, "Display or legal name.", personal=True),
        Column("phone", TEXT, "Phone number.", identity=True, personal=True),
        Column("id_number", TEXT, "National ID or passport number.", identity=True, personal=True),
        Column("device_id", TEXT, "A device the account uses.", identity=True, personal=True),
        Column("bank_account", TEXT, "Payout account.", identity=True, personal=True),
    ),
)

MERCHANTS = TableSpec(
    name="merchants",
    description="Shops; each is owned by a member.",
    key=("merchant_id",),
    needed_by=("credit", "rings", "provenance", "compare"),
    columns=(
        Column("merchant_id", ID, "The shop's ID.", required=True),
        Column(
            "member_id",
            ID,
            "The member who owns the shop.",
            required=True,
            references="members.member_id",
        ),
        Column("name", TEXT, "Shop name."),
        Column("opened_at", TIME, "When the shop opened."),
        Column("category", TEXT, "Main category of goods."),
    ),
)

LISTINGS = TableSpec(
    name="listings",
    description="Products offered by a shop.",
    key=("listing_id",),
    needed_by=("provenance", "compare"),
    columns=(
        Column("listing_id", ID, "The listing's ID.", required=True),
        Column(
            "merchant_id",
            ID,
            "The shop offering it.",
            required=True,
            references="merchants.merchant_id",
        ),
        Column("title", TEXT, "Title as shown to buyers, in any language.", required=True),
        Column("price", MONEY, "Asking price (≥ 0).", required=True, minimum=0),
        Column("currency", CURRENCY, "ISO 4217 code of the price.", required=True),
        Column("brand", TEXT, "Brand as stated by the merchant."),
        Column("category", TEXT, "Product category."),
        Column("gtin", TEXT, "GTIN / EAN / UPC barcode, if known."),
        Column("listed_at", TIME, "When it was listed."),
    ),
)

ORDERS = TableSpec(
    name="orders",
    description="Purchases: the transactions ratings are tied to.",
    key=("order_id",),
    needed_by=("credit", "rings", "pyramid (team sales)"),
    columns=(
        Column("order_id", ID, "The order's ID.", required=True),
        Column("buyer_id", ID, "The buying member.", required=True, references="members.member_id"),
        Column(
            "merchant_id",
            ID,
            "The selling shop.",
            required=True,
            references="merchants.merchant_id",
        ),
        Column("amount", MONEY, "Order total (≥ 0).", required=True, minimum=0),
        Column("currency", CURRENCY, "ISO 4217 code of the amount.", required=True),
        Column("placed_at", TIME, "When the order was placed.", required=True),
        Column("status", ENUM, "Latest status of the order.", required=True, allowed=ORDER_STATUSES),
        Column("listing_id", ID, "What was bought.", references="listings.listing_id"),
        Column("quantity", INT, "Units bought (≥ 1).", minimum=1),
        Column("completed_at", TIME, "When the order was completed (confirmed received)."),
        Column("ship_to", TEXT, "Delivery address.", personal=True),
        Column("device_id", TEXT, "Device the order was placed from.", personal=True),
        Column("tracking_no", TEXT, "Parcel tracking number."),
    ),
)

REVIEWS = TableSpec(
    name="reviews",
    description=(
        "Ratings buyers gave; only reviews of completed orders count toward credit. A rating changed "
        "later is a further row for the same order (its own review_id, created_at and rating); credit "
        "counts it in place of a neutral or negative rating changed once within 30 days, and keeps the "
        "detailed ratings first given (docs/legal-credit.md)."
    ),
    key=("review_id",),
    needed_by=("credit", "rings"),
    columns=(
        Column("review_id", ID, "The review's ID.", required=True),
        Column(
            "order_id",
            ID,
            "The order reviewed; reviews of unknown orders are kept as unverified.",
            required=True,
            references="orders.order_id",
        ),
        Column("rating", INT, "Overall rating, 1 to 5.", required=True, minimum=1, maximum=5),
        Column("created_at", TIME, "When the review was written.", required=True),
        Column("dsr_described", INT, "Item as described, 1 to 5.", minimum=1, maximum=5),
        Column("dsr_service", INT, "Seller's service, 1 to 5.", minimum=1, maximum=5),
        Column("dsr_shipping", INT, "Shipping speed, 1 to 5.", minimum=1, maximum=5),
        Column("text", TEXT, "Review text."),
    ),
)

PAYMENTS = TableSpec(
    name="payments",
    description="Money moving between members: fees, purchases, commissions, payouts.",
    key=("payment_id",),
    needed_by=("pyramid",),
    columns=(
        Column("payment_id", ID, "The payment's ID.", required=True),
        Column("payer_id", ID, "Who paid.", required=True, references="members.member_id"),
        Column("payee_id", ID, "Who was paid.", required=True, references="members.member_id"),
        Column("amount", MONEY, "Amount paid (≥ 0).", required=True, minimum=0),
        Column("currency", CURRENCY, "ISO 4217 code of the amount.", required=True),
        Column("kind", ENUM, "What the payment was for.", required=True, allowed=PAYMENT_KINDS),
        Column("paid_at", TIME, "When it was paid.", required=True),
        Column("order_id", ID, "The order it belongs to, if any.", references="orders.order_id"),
        Column("basis", ENUM, "For commissions: what they were paid on.", allowed=COMMISSION_BASES),
        Column(
            "level",
            INT,
            "For commissions: how many upline steps they were paid across (≥ 1).",
            minimum=1,
        ),
        Column(
            "memo",
            TEXT,
            "The ledger's own words for the payment (a bonus name such as 直推奖 or 见点奖); pyramid "
            "reads a commission's basis from it when `basis` is empty.",
        ),
    ),
)

TIES = TableSpec(
    name="ties",
    description="Social ties: friendships and shared chat groups.",
    key=("member_a", "member_b", "kind", "group_id"),
    needed_by=("rings", "pyramid (inference)"),
    columns=(
        Column("member_a", ID, "One member.", required=True, references="members.member_id"),
        Column("member_b", ID, "The other member.", required=True, references="members.member_id"),
        Column("kind", ENUM, "Kind of tie.", allowed=TIE_KINDS),
        Column("group_id", ID, "The chat group, for group ties."),
        Column("since", TIME, "When the tie began."),
    ),
)

POSTS = TableSpec(
    name="posts",
    description="Feed posts (Moments), the place claims of origin are made.",
    key=("post_id",),
    needed_by=("provenance",),
    columns=(
        Column("post_id", ID, "The post's ID.", required=True),
        Column("member_id", ID, "Who posted.", required=True, references="members.member_id"),
        Column("posted_at", TIME, "When it was posted.", required=True),
        Column("text", TEXT, "Post text."),
        Column("claimed_place", TEXT, "Where the post claims to be (e.g. 'Milan, Italy')."),
    ),
)

MEDIA = TableSpec(
    name="media",
    description="Images attached to listings and posts, stored as files in the case folder.",
    key=("media_id",),
    needed_by=("provenance",),
    columns=(
        Column("media_id", ID, "The image's ID.", required=True),
        Column("path", TEXT, "File path relative to the case folder.", required=True),
        Column("owner_id", ID, "Member who uploaded it.", references="members.member_id"),
        Column("context", ENUM, "What the image is shown as.", allowed=MEDIA_CONTEXTS),
        Column("ref_id", ID, "The listing or post it belongs to."),
        Column("uploaded_at", TIME, "When it was uploaded."),
    ),
)

TABLES: dict[str, TableSpec] = {
    spec.name: spec for spec in (MEMBERS, MERCHANTS, LISTINGS, ORDERS, REVIEWS, PAYMENTS, TIES, POSTS, MEDIA)
}
