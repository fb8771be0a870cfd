"""`python -m devsite`: serve the replica site, or with --crawl run the offline demo (see fixture_site.main)."""

from devsite.fixture_site import main

raise SystemExit(main())
