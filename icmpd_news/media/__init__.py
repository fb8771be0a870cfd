"""Downloaded files: what they really are, and the text of PDFs (read in worker processes)."""
