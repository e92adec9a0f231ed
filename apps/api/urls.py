"""/api/v1: each app contributes its own routes here."""

from __future__ import annotations

from django.urls import include, path, re_path

from apps.api import analytics, chain, docs, exports, flow, overview, participants, system, volviews
from apps.monitoring import metrics  # noqa: F401  registers the custom metrics before /metrics is first served

urlpatterns = [
    # The most requested first: Django tries the patterns in order, and each include is a resolver of its own.
    path("", include("apps.health.urls")),
    path("option-chain/<str:symbol>", chain.OptionChainApi.as_view(), name="api-option-chain"),
    path("market-status", system.MarketStatusApi.as_view(), name="api-market-status"),
    path("", include("apps.quality.urls")),
    path("", include("apps.alerts.urls")),
    path("", include("apps.brokers.api_urls")),
    path("", include("apps.strategies.urls")),
    path("schema/", docs.SchemaApi.as_view(), name="api-schema"),
    path("docs/", docs.SwaggerDocsView.as_view(), name="api-docs"),
    path("underlyings", system.UnderlyingListApi.as_view(), name="api-underlyings"),
    path("collection-runs", system.CollectionRunListApi.as_view(), name="api-collection-runs"),
    path("errors", system.ErrorListApi.as_view(), name="api-errors"),
    path("errors/<int:pk>/resolve", system.ErrorResolveApi.as_view(), name="api-error-resolve"),
    path("analytics/<str:symbol>/summary", analytics.SummaryApi.as_view(), name="api-analytics-summary"),
    path("analytics/<str:symbol>/greeks", analytics.GreeksApi.as_view(), name="api-analytics-greeks"),
    path("analytics/<str:symbol>/iv-smile", analytics.IvSmileApi.as_view(), name="api-analytics-iv-smile"),
    path("analytics/<str:symbol>/iv-surface", analytics.IvSurfaceApi.as_view(), name="api-analytics-iv-surface"),
    path("analytics/<str:symbol>/oi", analytics.OiApi.as_view(), name="api-analytics-oi"),
    path("analytics/<str:symbol>/gex", analytics.GexApi.as_view(), name="api-analytics-gex"),
    path("analytics/<str:symbol>/price-toggle", analytics.PriceToggleApi.as_view(), name="api-analytics-price-toggle"),
    path("analytics/<str:symbol>/overlay", analytics.OverlayApi.as_view(), name="api-analytics-overlay"),
    path("analytics/<str:symbol>/history", analytics.HistoryApi.as_view(), name="api-analytics-history"),
    path("analytics/<str:symbol>/iv-rank", analytics.IvRankApi.as_view(), name="api-analytics-iv-rank"),
    path(
        "analytics/<str:symbol>/expiry-comparison",
        analytics.ExpiryComparisonApi.as_view(),
        name="api-analytics-expiry-comparison",
    ),
    path(
        "analytics/<str:symbol>/vix-correlation",
        analytics.VixCorrelationApi.as_view(),
        name="api-analytics-vix-correlation",
    ),
    path("analytics/<str:symbol>/volatility", analytics.VolatilityApi.as_view(), name="api-analytics-volatility"),
    path("analytics/<str:symbol>/oi-flow", flow.OiFlowApi.as_view(), name="api-analytics-oi-flow"),
    path("analytics/<str:symbol>/oi-cumulative", flow.OiCumulativeApi.as_view(), name="api-analytics-oi-cumulative"),
    path("analytics/<str:symbol>/term-structure", volviews.TermStructureApi.as_view(), name="api-term-structure"),
    path("analytics/<str:symbol>/surface", volviews.SurfaceApi.as_view(), name="api-analytics-surface"),
    path("analytics/<str:symbol>/skew-history", volviews.SkewHistoryApi.as_view(), name="api-skew-history"),
    path("analytics/<str:symbol>/exposures", volviews.ExposuresApi.as_view(), name="api-analytics-exposures"),
    path("analytics/<str:symbol>/futures", volviews.FuturesApi.as_view(), name="api-analytics-futures"),
    path("participants", participants.ParticipantsApi.as_view(), name="api-participants"),
    path("participants/history", participants.ParticipantsHistoryApi.as_view(), name="api-participants-history"),
    path("overview/indices", overview.OverviewIndicesApi.as_view(), name="api-overview-indices"),
    path("overview/sectors", overview.OverviewSectorsApi.as_view(), name="api-overview-sectors"),
    path("overview/breadth", overview.OverviewBreadthApi.as_view(), name="api-overview-breadth"),
    path("exports/quotes.csv", exports.QuotesCsvApi.as_view(), name="api-export-quotes-csv"),
    path("exports/quotes.parquet", exports.QuotesParquetApi.as_view(), name="api-export-quotes-parquet"),
    path("exports/chain.csv", exports.ChainCsvApi.as_view(), name="api-export-chain-csv"),
    # Last: any other path under /api/v1/ (an unknown route, a negative id) is a JSON 404, not Django's HTML page.
    re_path(r"^.*$", system.not_found, name="api-not-found"),
]
