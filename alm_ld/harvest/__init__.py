"""Harvesting: the HTTP client, one module per provider, and the run loop that makes feeds.

This package is the IO layer between providers' APIs and the feed format; it never imports the
pipeline or the store (the CLI decides whether a feed is written to a file or ingested).
"""
