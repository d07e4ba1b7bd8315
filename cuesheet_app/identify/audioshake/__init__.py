"""The AudioShake cloud engine: a ``requests`` client of the Tasks API (``music_identification``).

``check_connection`` is what the settings dialog's "Test connection" button calls.
"""

from cuesheet_app.identify.audioshake.check import check_connection

__all__ = ["check_connection"]
