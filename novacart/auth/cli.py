"""`flask users create`: the only way to make the first admin."""

from __future__ import annotations

import click
from flask import Blueprint

from novacart.auth import services
from novacart.auth.models import Role
from novacart.errors import DomainError

cli_bp = Blueprint("users_cli", __name__, cli_group="users")


@cli_bp.cli.command("create")
@click.option("--email", required=True)
@click.option("--password", required=True, help="At least 8 characters.")
@click.option("--role", type=click.Choice([r.value for r in Role]), default=Role.CUSTOMER.value, show_default=True)
@click.option("--name", default=None, help="Display name (defaults to the part of the e-mail before @).")
def create_user(email: str, password: str, role: str, name: str | None) -> None:
    """Create a user with any role."""
    if len(password) < 8:
        raise click.BadParameter("must be at least 8 characters", param_hint="--password")
    if "@" not in email:
        raise click.BadParameter("is not an e-mail address", param_hint="--email")
    try:
        user = services.create_user(email, password, name or email.split("@")[0], Role(role))
    except DomainError as exc:
        raise click.ClickException(exc.detail) from exc
    click.echo(f"Created {user.role.value} {user.email} (id {user.id}).")
