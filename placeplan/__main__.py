from placeplan.cli import main

raise SystemExit(main())
