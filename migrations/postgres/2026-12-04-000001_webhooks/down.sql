ALTER TABLE registry_integrations DROP COLUMN event_secret;
DROP TABLE webhook_deliveries;
DROP TABLE webhook_subscriptions;
DROP TABLE webhooks;
