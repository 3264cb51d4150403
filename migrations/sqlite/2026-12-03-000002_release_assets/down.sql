DROP TABLE release_assets;
