"""Trust boundaries shared by every client and command: where credentials may go, and how remote text is kept."""
