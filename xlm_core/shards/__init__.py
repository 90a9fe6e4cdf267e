"""Per-language Parquet shards and the dataset manifest."""
