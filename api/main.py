"""The FastAPI application."""

from __future__ import annotations

import logging

from fastapi import FastAPI

from api.errors import install_error_handlers
from api.routes import drafts, employees, health, imports
from coach import __version__
from coach.db import engine_for, migrate
from coach.settings import Settings, get_settings


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app for these settings, upgrading the database schema first."""
    settings = settings or get_settings()
    engine = engine_for(settings)
    migrate(engine)
    app = FastAPI(
        title="Coach 绩效教练",
        version=__version__,
        description="AI drafts for continuous performance management; people decide.",
    )
    app.state.settings = settings
    app.state.engine = engine
    install_error_handlers(app)
    for module in (health, employees, imports, drafts):
        app.include_router(module.router)
    logging.getLogger("coach").setLevel(logging.INFO)
    return app
