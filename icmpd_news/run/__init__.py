"""What a run reports: its outcome and exit status, its failure kinds, its console."""
