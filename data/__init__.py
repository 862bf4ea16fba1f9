"""The data layer: the DuckDB store, importers, the demo city and the `python -m data` command line.

Only `data.store` imports duckdb.
"""
