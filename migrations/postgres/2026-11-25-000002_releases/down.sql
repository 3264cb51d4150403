DROP TABLE release_members;
DROP TABLE releases;
