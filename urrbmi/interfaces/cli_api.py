"""`urrbmi serve`: run the REST API."""

from __future__ import annotations

import click


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="监听地址 / bind address")
@click.option("--port", default=8000, show_default=True, type=int, help="端口 / port")
@click.option("--workers", default=1, show_default=True, type=int, help="进程数 / worker processes")
def serve(host: str, port: int, workers: int) -> None:
    """启动REST API服务 / start the REST API server (OpenAPI docs at /docs)."""
    import uvicorn

    uvicorn.run(
        "urrbmi.interfaces.api:create_app", factory=True, host=host, port=port, workers=workers
    )
