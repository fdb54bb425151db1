"""Analytics (ANA-1..5): feature pipelines written once in Ibis, run on DuckDB or Spark;
models from scikit-learn / LightGBM stored as versioned artefacts."""
