"""The dataset in ICMPD_OUTPUT_DIR: the export and its journal, change detection, recovery, the lock, the state store, stored files."""
