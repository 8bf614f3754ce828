from linksplus.cli import main

raise SystemExit(main())
