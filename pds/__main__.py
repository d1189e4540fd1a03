from pds.cli import entry

entry()
