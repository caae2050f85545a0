"""The Salesforce client: OAuth refresh and the preflight checks of an integration user and its org."""
