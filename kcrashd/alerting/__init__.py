"""Alerting: targets, policy and the delivery outbox."""
