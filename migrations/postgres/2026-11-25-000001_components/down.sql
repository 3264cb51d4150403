DROP TABLE component_versions;
DROP TABLE components;
