"""The brand client: Qualtrics API v3 and qxo's modelled extension-administration routes."""
