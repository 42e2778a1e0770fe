"""``nser-link serve`` and ``nser-link tokens``: the HTTP service and its access tokens.

Kept apart from ``linkage/cli.py`` so that file needs one line to add them (:func:`register`).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

console = Console()

Registry = Annotated[
    Path, typer.Option("--registry", help="The --out folder of a dedupe or link-waves run.")
]

tokens_app = typer.Typer(
    help="Access tokens for the service: made, listed, revoked.", no_args_is_help=True
)


@tokens_app.command("add")
def tokens_add(
    name: Annotated[str, typer.Argument(help="Who the token is for (a desk or a partner).")],
    role: Annotated[str, typer.Option(help="desk or partner.")],
    registry: Registry,
) -> None:
    """Make a token and print it, once: only its hash is kept."""
    from linkage.service.app import check_registry
    from linkage.service.tokens import TokenStore

    token = TokenStore(check_registry(registry)).add(name, role)
    console.print(f"token for {name} ({role}); it is shown only now, keep it safe:")
    print(token)


@tokens_app.command("list")
def tokens_list(registry: Registry) -> None:
    """The tokens of a registry: name, role, when made (never the tokens)."""
    from linkage.service.app import check_registry
    from linkage.service.tokens import TokenStore

    table = Table("name", "role", "created")
    for t in TokenStore(check_registry(registry)).listing():
        table.add_row(t["name"], t["role"], t["created"])
    console.print(table)


@tokens_app.command("revoke")
def tokens_revoke(name: str, registry: Registry) -> None:
    """Revoke a token by its name; it stops working at once."""
    from linkage.errors import ConfigError
    from linkage.service.app import check_registry
    from linkage.service.tokens import TokenStore

    if not TokenStore(check_registry(registry)).revoke(name):
        raise ConfigError(f"no token named {name!r} in {registry}")
    console.print(f"revoked {name}")


def serve(
    registry: Registry,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    max_upload_mb: Annotated[
        float,
        typer.Option(
            min=0.001, help="Largest partner list the portal accepts, in MB (larger: HTTP 413)."
        ),
    ] = 50.0,
) -> None:
    """Serve a registry over HTTP: desk lookup and registration, the partner portal."""
    import uvicorn

    from linkage.service.app import create_app

    app = create_app(registry)
    app.state.max_upload_bytes = int(max_upload_mb * 2**20)
    logging.getLogger("nser_link.service").setLevel(logging.INFO)
    console.print(f"serving {registry} on http://{host}:{port} (OpenAPI at /docs)")
    # uvicorn's access log prints query strings; the app logs its own line without them
    uvicorn.run(app, host=host, port=port, access_log=False, log_level="warning")


def register(app: typer.Typer) -> None:
    """Add ``serve`` and ``tokens`` to the ``nser-link`` command."""
    app.command()(serve)
    app.add_typer(tokens_app, name="tokens")
