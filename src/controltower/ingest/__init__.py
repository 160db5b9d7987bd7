"""Ingest: read, check and import a bundle (the import contract of PRODUCT.md)."""
