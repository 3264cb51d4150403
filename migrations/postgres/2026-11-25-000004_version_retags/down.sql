DROP TABLE version_retags;
