"""``python -m loopdsl``: the same command as the ``loopdsl`` console script."""

from loopdsl.cli import main

if __name__ == "__main__":
    main()
