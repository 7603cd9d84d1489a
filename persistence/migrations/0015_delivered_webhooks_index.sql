-- GET /platform/health names each client's last successful webhook: its latest delivered row,
-- found at the end of this index rather than by reading the client's deliveries.
CREATE INDEX webhook_deliveries_delivered_idx ON platform.webhook_deliveries (client_id, delivered_at)
  WHERE status = 'delivered';
