"""Kubernetes-side helpers for the reconcilers: Secrets, Events and status, with no kopf in sight."""
