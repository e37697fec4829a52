"""fastapi-docs-lsp: FastAPI documentation in the editor."""
__version__ = "0.1.0"
