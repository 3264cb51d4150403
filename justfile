# relman one-liners. `pip install rust-just` or `cargo install just` provides `just`.

# Run the server on its embedded default (SQLite in ./relman-data).
run:
    cargo run --release -p relman-server -- serve

# The whole test suite (PostgreSQL tests run when a local server answers).
test:
    ./scripts/test

# The whole test suite, failing if PostgreSQL is not there.
test-pg:
    RELMAN_TEST_POSTGRES_URL=${RELMAN_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test} RELMAN_REQUIRE_POSTGRES=1 ./scripts/test

# Formatting, clippy and the layering rules.
lint:
    ./scripts/lint

# Regenerate the checked-in OpenAPI document.
openapi:
    cargo run -q -p relman-server -- openapi > openapi/relman.json
    cargo run -q -p relman-server -- openapi --spec-version 3.0 > openapi/relman-3.0.json

# Criterion benchmarks of the domain.
bench:
    cargo bench -p relman-domain

# Generate a Python SDK from the OpenAPI document and drive the server through it.
sdk-check:
    ./scripts/sdk-check

# relman against its floors (nginx, raw registry requests), interleaved; prints the ratios.
bench-all *ARGS:
    ./scripts/bench/run {{ARGS}}
