"""ASGI entry point for uvicorn and other servers: ``ketaclinic.asgi:app``."""

from ketaclinic.app import create_app

app = create_app()
