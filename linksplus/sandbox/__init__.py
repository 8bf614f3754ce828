"""A local stand-in for the Links+ service: the same API paths, test controls and webhooks.

`server.create_app` builds the FastAPI app, `server.serve` runs it with uvicorn (this is
what ``linksplus sandbox`` calls). The modules each do one job: `state` keeps teams,
templates, links and payments in memory; `api` answers the real API's paths; `controls`
the test-only ``/_sandbox/*`` paths; `delivery` sends signed webhooks; `demo_data` seeds
the demo; `payer` is the tiny page behind each link's payment URL; `faults` and `drop`
inject latency, 500s, 429s and dropped connections. ``--idempotency off`` makes creates
ignore Idempotency-Key, as the documented Links+ service may. `controls_client` is the
other side: the one HTTP client of the test controls, for the app, the demo and the tests.
"""
