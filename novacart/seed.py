"""`flask seed`: demo users and an office-supply catalogue, once."""

from __future__ import annotations

import click
from flask import Blueprint, current_app
from sqlalchemy import func, select

from novacart.auth import services as auth_services
from novacart.auth.models import Role, User
from novacart.extensions import db
from novacart.inventory import services as inventory_services

seed_bp = Blueprint("seed_cli", __name__, cli_group=None)

DEMO_PASSWORD = "novacart-demo"
DEMO_USERS = [
    ("admin@novacart.test", "Ada Admin", Role.ADMIN),
    ("staff@novacart.test", "Sam Staff", Role.STAFF),
    ("alice@novacart.test", "Alice Customer", Role.CUSTOMER),
    ("bob@novacart.test", "Bob Customer", Role.CUSTOMER),
]

# (sku, name, category, price_cents, stock, low_stock_threshold)
DEMO_PRODUCTS = [
    ("PAP-A4-500", "A4 copy paper, 500 sheets", "paper", 599, 240, 40),
    ("PAP-A4-2500", "A4 copy paper, box of 5 reams", "paper", 2699, 35, 10),
    ("PAP-A3-500", "A3 copy paper, 500 sheets", "paper", 1299, 18, 5),
    ("PAP-NOTE-A5", "A5 ruled notebook", "paper", 349, 120, 20),
    ("PAP-STICKY-12", "Sticky notes, 12 pads", "paper", 899, 4, 10),
    ("PAP-ENV-C5", "C5 envelopes, 100 pack", "paper", 1149, 60, 10),
    ("INK-HP-305-BK", "HP 305 black ink cartridge", "ink", 1499, 25, 8),
    ("INK-HP-305-CL", "HP 305 colour ink cartridge", "ink", 1799, 3, 8),
    ("INK-CAN-545", "Canon PG-545 black ink", "ink", 1699, 14, 5),
    ("INK-TON-LJ26", "LaserJet 26A toner", "ink", 8999, 6, 3),
    ("INK-BRO-TN2420", "Brother TN-2420 toner", "ink", 5999, 0, 3),
    ("WRI-PEN-BL-50", "Ballpoint pens, blue, 50 pack", "writing", 999, 80, 15),
    ("WRI-GEL-BK-12", "Gel pens, black, 12 pack", "writing", 749, 45, 10),
    ("WRI-HIGH-6", "Highlighters, 6 colours", "writing", 549, 70, 10),
    ("WRI-PENC-HB-24", "HB pencils, 24 pack", "writing", 449, 2, 6),
    ("WRI-MARK-WB-4", "Whiteboard markers, 4 pack", "writing", 699, 33, 8),
    ("DESK-STAPLER", "Heavy-duty stapler", "desk", 1999, 22, 5),
    ("DESK-STAPLES-5K", "Staples 26/6, 5000", "desk", 299, 150, 20),
    ("DESK-PUNCH-2", "Two-hole punch", "desk", 1499, 12, 4),
    ("DESK-TAPE-6", "Clear tape, 6 rolls", "desk", 599, 48, 10),
    ("DESK-SCISSORS", "Office scissors, 21 cm", "desk", 499, 30, 6),
    ("DESK-CALC", "Desktop calculator, 12 digits", "desk", 1299, 9, 3),
    ("FIL-BINDER-A4", "Lever-arch binder, A4", "filing", 399, 95, 15),
    ("FIL-FOLDER-25", "Suspension files, 25 pack", "filing", 1899, 5, 5),
    ("FIL-POCKETS-100", "Punched pockets, 100 pack", "filing", 649, 64, 10),
    ("FIL-BOX-ARCH", "Archive boxes, 10 pack", "filing", 2499, 11, 4),
    ("FUR-CHAIR-ERG", "Ergonomic office chair", "furniture", 24900, 7, 2),
    ("FUR-DESK-LAMP", "LED desk lamp", "furniture", 3499, 16, 4),
    ("FUR-MONITOR-ARM", "Monitor arm, single", "furniture", 5999, 1, 2),
    ("FUR-FOOTREST", "Adjustable footrest", "furniture", 2999, 13, 3),
]


@seed_bp.cli.command("seed")
def seed() -> None:
    """Create demo users and products; does nothing when any user exists. Refused in production."""
    if current_app.config["CONFIG_NAME"] == "production":
        # The demo admin's password is printed below and written in the README: never in a real shop.
        raise click.ClickException("refusing to seed demo data in production (NOVACART_CONFIG=production)")
    if db.session.scalar(select(func.count()).select_from(User)):
        click.echo("Data already exists; nothing seeded.")
        return
    admin_id = None
    for email, name, role in DEMO_USERS:
        user = auth_services.create_user(email, DEMO_PASSWORD, name, role)
        admin_id = admin_id or user.id
    for sku, name, category, price, stock, threshold in DEMO_PRODUCTS:
        inventory_services.create_product(
            admin_id,
            {
                "sku": sku,
                "name": name,
                "description": f"{name}. Office supplies delivered nationwide.",
                "category": category,
                "price_cents": price,
                "stock": stock,
                "low_stock_threshold": threshold,
            },
        )
    click.echo(f"Seeded {len(DEMO_USERS)} users (password {DEMO_PASSWORD!r}) and {len(DEMO_PRODUCTS)} products.")
