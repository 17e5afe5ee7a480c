"""`python -m service.cli` — how `up` starts its worker and scheduler children."""

from service.cli import main

raise SystemExit(main())
