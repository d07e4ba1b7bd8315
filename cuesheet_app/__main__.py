"""``python -m cuesheet_app`` is the ``cuesheet`` command."""

import sys

from cuesheet_app.cli.main import main

sys.exit(main())
