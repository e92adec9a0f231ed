"""/api/v1: each app contributes its own routes here."""

from __future__ import annotations

from django.urls import include, path

from apps.api import chain, docs, exports, system
from apps.monitoring import metrics  # noqa: F401  registers the custom metrics before /metrics is first served

urlpatterns = [
    path("", include("apps.monitoring.urls")),
    path("", include("apps.brokers.api_urls")),
    path("schema/", docs.SchemaApi.as_view(), name="api-schema"),
    path("docs/", docs.SwaggerDocsView.as_view(), name="api-docs"),
    path("market-status", system.MarketStatusApi.as_view(), name="api-market-status"),
    path("underlyings", system.UnderlyingListApi.as_view(), name="api-underlyings"),
    path("collection-runs", system.CollectionRunListApi.as_view(), name="api-collection-runs"),
    path("errors", system.ErrorListApi.as_view(), name="api-errors"),
    path("errors/<int:pk>/resolve", system.ErrorResolveApi.as_view(), name="api-error-resolve"),
    path("option-chain/<str:symbol>", chain.OptionChainApi.as_view(), name="api-option-chain"),
    path("exports/quotes.csv", exports.QuotesCsvApi.as_view(), name="api-export-quotes-csv"),
    path("exports/quotes.parquet", exports.QuotesParquetApi.as_view(), name="api-export-quotes-parquet"),
    path("exports/chain.csv", exports.ChainCsvApi.as_view(), name="api-export-chain-csv"),
]
