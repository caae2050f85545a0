"""Sandboxes for trying and testing qxo: a Kubernetes API server, a brand and a Salesforce org.

Nothing here is used by the operator itself; each sandbox is a real HTTP server.
"""
