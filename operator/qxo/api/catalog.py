"""The extension catalog of the seed page, as data: who publishes each extension and what it allows.

The brand's live catalog is the authority at reconcile time. This snapshot of the catalog on
Qualtrics' "Extensions Administration" page lets `qxo validate` warn offline (an unknown id,
a third-party install without terms acceptance) and seeds the brand sandbox. Which extensions
are third party, Preview, or allow domain edits is modelled: the page names first-party
examples (ServiceNow, Google Sheets, Salesforce, the Web Service task, which allows domain
edits) but not the rest.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CatalogEntry:
    id: str
    name: str
    publisher: str
    preview: bool = False
    domains_editable: bool = False
    default_domains: tuple[str, ...] = ()

    @property
    def first_party(self) -> bool:
        """First-party extensions say "By Qualtrics"; only third-party ones need terms acceptance."""
        return self.publisher == "Qualtrics"

    @property
    def privacy_policy_url(self) -> str:
        return f"https://extensions.qualtrics.example/{self.id}/privacy"

    @property
    def terms_url(self) -> str:
        return f"https://extensions.qualtrics.example/{self.id}/terms"

    @property
    def support_contact(self) -> str:
        if self.first_party:
            return "https://www.qualtrics.com/support/"
        return f"support@{self.publisher.lower().replace(' ', '')}.example"


def _q(id: str, name: str, *domains: str, editable: bool = False) -> CatalogEntry:
    return CatalogEntry(id, name, "Qualtrics", domains_editable=editable, default_domains=domains)


def _third(id: str, name: str, publisher: str, *domains: str, preview: bool = False, editable: bool = False):
    return CatalogEntry(id, name, publisher, preview=preview, domains_editable=editable, default_domains=domains)


CATALOG: tuple[CatalogEntry, ...] = (
    _q("servicenow", "ServiceNow", "https://*.service-now.com"),
    _q("google-sheets", "Google Sheets", "https://sheets.googleapis.com", "https://www.googleapis.com"),
    _q("webservice", "WebService", editable=True),
    _q("microsoft-teams", "Microsoft Teams", "https://graph.microsoft.com"),
    _q("salesforce", "Salesforce", "https://*.salesforce.com", "https://*.force.com"),
    _q("slack", "Slack", "https://slack.com"),
    _third("reviewtrackers", "ReviewTrackers", "ReviewTrackers", "https://api.reviewtrackers.com"),
    _q("freshdesk", "Freshdesk", "https://*.freshdesk.com"),
    _q("google-calendar", "Google Calendar", "https://www.googleapis.com"),
    _third("brandwatch", "Brandwatch", "Brandwatch", "https://api.brandwatch.com", editable=True),
    _q("successfactors-employee-data", "Extract Employee Data from SuccessFactors",
       "https://*.successfactors.com", editable=True),
    _q("jira", "Jira", "https://*.atlassian.net", editable=True),
    _q("salesforce-extractor", "Salesforce Extractor", "https://*.salesforce.com"),
    _q("zendesk", "Zendesk", "https://*.zendesk.com"),
    _q("sftp-extract", "Extract Data from SFTP Files", editable=True),
    _q("salesforce-sandbox", "Salesforce (Sandbox)", "https://test.salesforce.com", "https://*.sandbox.my.salesforce.com"),
    _third("whatsapp-twilio", "WhatsApp via Twilio", "Twilio", "https://api.twilio.com", editable=True),
    _q("hubspot", "HubSpot", "https://api.hubapi.com"),
    _q("adobe", "Adobe", "https://*.adobe.io"),
    _third("sms-link-mobility", "Text messages (SMS) via Link Mobility", "Link Mobility",
           "https://*.linkmobility.com", preview=True, editable=True),
    _q("marketo", "Marketo", "https://*.mktorest.com"),
    _q("microsoft-dynamics", "Microsoft Dynamics", "https://*.dynamics.com", editable=True),
    _q("microsoft-excel", "Microsoft Excel", "https://graph.microsoft.com"),
    _q("google-drive-extract", "Extract Data from Google Drive", "https://www.googleapis.com"),
    _third("sms-sinch-livelink", "Text messages (SMS) via Sinch LiveLink", "Sinch", "https://*.sinch.com",
           preview=True),
    _third("sms-infobip", "Text messages (SMS) via Infobip", "Infobip", "https://*.api.infobip.com",
           editable=True),
    _q("smtp-relay", "SMTP Relay", editable=True),
    _third("facebook-reviews", "Facebook Reviews", "Meta Reviews Connector", "https://graph.facebook.com",
           preview=True),
    _q("sftp-load", "Load data into SFTP", editable=True),
    _q("successfactors-recruiting-extract", "Extract Recruiting Data from SuccessFactors",
       "https://*.successfactors.com", editable=True),
    _q("salesforce-sandbox-extract", "Extract Data from Salesforce (Sandbox)", "https://test.salesforce.com"),
    _q("snowflake-extract", "Extract Data from Snowflake", "https://*.snowflakecomputing.com", editable=True),
)

BY_ID: dict[str, CatalogEntry] = {entry.id: entry for entry in CATALOG}
