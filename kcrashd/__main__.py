import sys

from kcrashd.cli import main

sys.exit(main())
