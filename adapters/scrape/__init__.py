"""Scraping Prometheus/OpenMetrics endpoints over HTTP (httpx)."""

from adapters.scrape.http import HttpScrapeClient

__all__ = ["HttpScrapeClient"]
